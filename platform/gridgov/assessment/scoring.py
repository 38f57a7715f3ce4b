"""What a sheet's scoring function returns, the rounding rules of SCHEMES.md, and the engine's
arithmetic after scoring: totals, grades, ranks and awards.

A scoring function builds one :class:`SubjectScore` per subject with one :class:`ItemScore`
per item of the sheet; everything else (base + bonus − penalty, the grade, the rank, money)
is the engine's, so every scheme adds, grades and ranks the same way.
"""
from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping, Sequence

from ..plugins import GradeBand, Sheet

ZERO = Decimal(0)
ONE_PLACE = Decimal("0.1")
CENTS = Decimal("0.01")


def round_points(value: Decimal) -> Decimal:
    """A computed product such as 35 × rate, to one decimal place, half up (四舍五入)."""
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def round_money(value: Decimal) -> Decimal:
    """CNY to the fen, half up (a −0 fine reads as 0)."""
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP) + ZERO


def shortfall_steps(rate: Decimal, threshold: Decimal, step: Decimal = Decimal("0.05")) -> int:
    """"每少5%扣0.5分": ceil((threshold − rate) / step), 0 at or above the threshold;
    94.9 % against 95 % is one step. Rates and step are fractions (0.95, 0.05)."""
    short = Decimal(threshold) - Decimal(rate)
    return 0 if short <= 0 else math.ceil(short / Decimal(step))


@dataclasses.dataclass(frozen=True)
class JudgedEntry:
    """The latest judged input for one subject and item: who entered it, when and why."""

    id: int
    points: Decimal
    entered_by: str
    entered_at: str  # ISO 8601
    reason: str


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What earned or cost the points of a line: events, cases, a judged entry, a note."""

    event_ids: tuple[int, ...] = ()
    case_ids: tuple[int, ...] = ()
    judged: JudgedEntry | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class ItemScore:
    """One line of a subject's sheet. ``points`` None for a money-only line; ``rule`` says in
    words what was applied ("−0.5 × 3 missed Fridays"); ``money`` is CNY (+ reward, − fine)."""

    key: str
    points: Decimal | None
    rule: str = ""
    evidence: Evidence = Evidence()
    money: Decimal = ZERO
    nothing_due: bool = False


@dataclasses.dataclass(frozen=True)
class SubjectScore:
    """A subject's items as scored; ``vetoes`` (一票否决) and ``flags`` are short texts.
    ``context`` carries what the sheet's ``awards`` decide on beyond the standing — figures the
    scoring read from the facts, such as the number of staff attached to a community (JSON-safe
    values; passed on as :attr:`Standing.context`, not stored)."""

    items: Sequence[ItemScore]
    vetoes: Sequence[str] = ()
    flags: Sequence[str] = ()
    context: Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Award:
    """Money granted after ranking (¥1000 for an excellent community)."""

    key: str
    title_zh: str
    title_en: str
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Standing:
    """A subject's place once graded and ranked: what ``Sheet.awards`` decides on, with the
    subject's ``flags``, the money of its lines (``item_money``) and the ``context`` its
    :class:`SubjectScore` carried (how many staff an award multiplies, say)."""

    subject_id: int
    total: Decimal
    grade: str
    rank: int
    eligible_rank: int | None
    subjects: int
    flags: tuple[str, ...] = ()
    item_money: Decimal = ZERO
    context: Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Outcome:
    """The engine's complete result for one subject (stored as an AssessmentResult)."""

    subject_id: int
    items: list[dict]
    base: Decimal
    bonus: Decimal
    penalty: Decimal
    total: Decimal
    vetoes: list[str]
    flags: list[str]
    item_money: Decimal
    context: Mapping = dataclasses.field(default_factory=dict)
    grade: str = ""
    rank: int = 0
    eligible_rank: int | None = None
    awards: list[dict] = dataclasses.field(default_factory=list)

    @property
    def money(self) -> Decimal:
        return round_money(self.item_money + sum((Decimal(a["amount"]) for a in self.awards), ZERO))


class ScoringError(RuntimeError):
    """A scoring function returned something the sheet does not declare."""


def _item_json(sheet: Sheet, score: ItemScore) -> dict:
    decl = sheet.item(score.key)
    ev = score.evidence
    judged = dataclasses.asdict(ev.judged) if ev.judged else None
    if judged:
        judged["points"] = str(judged["points"])
    return {
        "key": score.key, "title_zh": decl.title_zh, "title_en": decl.title_en, "role": decl.role,
        "points": None if score.points is None else str(Decimal(score.points) + ZERO),  # no "-0"
        "max_points": None if decl.max_points is None else str(decl.max_points),
        "rule": score.rule, "money": str(round_money(score.money)), "nothing_due": score.nothing_due,
        "evidence": {"event_ids": sorted(set(ev.event_ids)), "case_ids": sorted(set(ev.case_ids)),
                     "judged": judged, "note": ev.note},
    }


def outcome(sheet: Sheet, subject_id: int, scored: SubjectScore) -> Outcome:
    """Check a subject's scored items against the sheet and add them up."""
    keys = [i.key for i in scored.items]
    declared = [i.key for i in sheet.items]
    if sorted(keys) != sorted(declared):
        raise ScoringError(f"{sheet.key}: subject {subject_id} scored items {keys}, the sheet declares {declared}")
    sums = {"points": ZERO, "bonus": ZERO, "penalty": ZERO}
    money = ZERO
    for score in scored.items:
        decl = sheet.item(score.key)
        if score.points is not None:
            points = Decimal(score.points)
            if decl.max_points is not None and points > decl.max_points:
                raise ScoringError(f"{sheet.key}: item {score.key} gives {points} over its maximum {decl.max_points}")
            sums[decl.role] += points
        money += Decimal(score.money)
    order = {k: n for n, k in enumerate(declared)}
    items = [_item_json(sheet, s) for s in sorted(scored.items, key=lambda s: order[s.key])]
    total = sums["points"] + sums["bonus"] - sums["penalty"]
    return Outcome(subject_id, items, sums["points"], sums["bonus"], sums["penalty"], total,
                   list(scored.vetoes), list(scored.flags), money, dict(scored.context or {}))


def bands(sheet: Sheet, settings: Mapping) -> list[GradeBand]:
    """The sheet's bands with the thresholds of the tenant's settings, if it keeps any."""
    chosen = (settings or {}).get(sheet.bands_setting) if sheet.bands_setting else None
    if not chosen:
        return list(sheet.grade_bands)
    return [dataclasses.replace(b, minimum=Decimal(chosen[b.key])) if b.minimum is not None and b.key in chosen else b
            for b in sheet.grade_bands]


def grade(total: Decimal, grade_bands: Sequence[GradeBand]) -> str:
    for band in grade_bands:
        if band.minimum is None or total >= band.minimum:
            return band.key
    return grade_bands[-1].key


def _ranks(totals: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Higher total first; equal totals share a rank (1, 1, 3)."""
    ordered = sorted(t for _, t in totals)
    ordered.reverse()
    first = {}
    for n, t in enumerate(ordered):
        first.setdefault(t, n + 1)
    return {sid: first[t] for sid, t in totals}


def rank_and_award(sheet: Sheet, outcomes: list[Outcome], settings: Mapping) -> None:
    """Grade and rank every outcome, then ask the sheet for the awards of those not vetoed."""
    grade_bands = bands(sheet, settings)
    ranks = _ranks([(o.subject_id, o.total) for o in outcomes])
    eligible = _ranks([(o.subject_id, o.total) for o in outcomes if not o.vetoes])
    for o in outcomes:
        o.grade = grade(o.total, grade_bands)
        o.rank, o.eligible_rank = ranks[o.subject_id], eligible.get(o.subject_id)
        if sheet.awards is None or o.vetoes:
            continue
        standing = Standing(o.subject_id, o.total, o.grade, o.rank, o.eligible_rank, len(outcomes), tuple(o.flags),
                            round_money(o.item_money), dict(o.context))
        o.awards = [{"key": a.key, "title_zh": a.title_zh, "title_en": a.title_en, "amount": str(round_money(a.amount))}
                    for a in sheet.awards(standing, settings)]
