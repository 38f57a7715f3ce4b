"""Facts: what a scoring function may know about a period, counted by the database.

A sheet's ``score(facts)`` asks for counts of events per subject (and per local day), case
metrics (:mod:`gridgov.metrics`), the working days of the official calendar and the judged
inputs. Each count is ONE grouped SQL query over all subjects — events are never loaded into
Python; only the aggregated counts and the ids behind them come back, as evidence.

Every answer is also written to :attr:`Facts.log`; the run's fingerprint is the hash of that
log with the scheme version and the settings, so whatever the scoring read is what the
fingerprint covers. The same facts give the same log, the same sheet and the same fingerprint.

How an event belongs to a subject (``by``):

* ``"subject"`` (default) — the event names the subject: ``subject_person_id`` for a person,
  ``subject_unit_id`` for a unit, ``grid_id`` (that grid itself) for a grid;
* ``"actor"`` — a person subject did it (``actor_person_id``);
* ``"grid"`` — the event happened in the subject's grid or any grid below it: for a grid its
  own subtree, for a unit the subtree of the grid it is attached to (挂点), for a person the
  subtrees of the grids they are assigned to during the period (an event counts once).

Events voided or amended by a later event are left out (the amending event counts instead).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, and_, case, cast, distinct, func, or_, select
from sqlalchemy.orm import aliased

from .. import metrics, workdays
from ..extensions import db
from ..models import Assignment, Case, Event, Grid, Unit
from ..models.assessment import AssessmentResult, Judgement
from ..models.base import to_json_safe as _plain
from ..models.grids import PATH_END
from ..operations.events import superseded_condition
from ..plugins import Sheet
from .scoring import JudgedEntry

BY = ("subject", "actor", "grid")
COMPARISONS = {"==": "__eq__", "!=": "__ne__", ">=": "__ge__", ">": "__gt__", "<=": "__le__", "<": "__lt__"}


@dataclasses.dataclass(frozen=True)
class Tally:
    """A subject's events: how many, their ids, and with ``daily=True`` the count per local day."""

    count: int = 0
    event_ids: tuple[int, ...] = ()
    by_day: Mapping[dt.date, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class PublishedResult:
    """A subject's published result in a run of another sheet (see :meth:`Facts.published_results`)."""

    run_id: int
    period_start: dt.date
    total: Decimal
    grade: str
    rank: int
    money: Decimal
    vetoes: tuple[str, ...]


class Facts:
    """The facts of one run: its sheet, period, subjects and the plugin's settings.

    :ivar sheet: the :class:`gridgov.plugins.Sheet`.
    :ivar period_start, period_end: local dates, ``[start, end)``.
    :ivar subjects: {subject id: display name}, the run's subjects.
    :ivar settings: the plugin's tenant settings, loaded through its schema (defaults filled).
    :ivar tz: the tenant's time zone.
    """

    def __init__(self, sheet: Sheet, period_start: dt.date, period_end: dt.date, subjects: Mapping[int, str],
                 settings: Mapping, tz: ZoneInfo):
        self.sheet, self.period_start, self.period_end = sheet, period_start, period_end
        self.subjects, self.settings, self.tz = dict(subjects), settings, tz
        self.start = dt.datetime.combine(period_start, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
        self.end = dt.datetime.combine(period_end, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
        self.log: list = []

    # -- calendar ---------------------------------------------------------------------------

    def days(self) -> list[dt.date]:
        """Every local date of the period."""
        return [self.period_start + dt.timedelta(days=n) for n in range((self.period_end - self.period_start).days)]

    def working_days(self) -> list[dt.date]:
        """The working days of the official Chinese calendar in the period (:mod:`gridgov.workdays`)."""
        days = workdays.working_days_in(self.period_start, self.period_end - dt.timedelta(days=1))
        self.log.append(["working_days", [d.isoformat() for d in days]])
        return days

    # -- events -----------------------------------------------------------------------------

    def weeks(self) -> list[tuple[dt.date, dt.date]]:
        """The weeks (Monday, Sunday) the period holds: a week belongs to the period that holds
        its Thursday (the ISO rule), so its first or last days may lie outside the period."""
        first = self.period_start + dt.timedelta(days=(3 - self.period_start.weekday()) % 7)  # first Thursday
        thursdays = range(0, (self.period_end - first).days, 7) if first < self.period_end else ()
        return [(first + dt.timedelta(days=n - 3), first + dt.timedelta(days=n + 3)) for n in thursdays]

    def _window(self, span: str) -> tuple[dt.date, dt.date]:
        if span == "period":
            return self.period_start, self.period_end
        if span == "weeks":
            weeks = self.weeks()
            return (weeks[0][0], weeks[-1][1] + dt.timedelta(days=1)) if weeks else (self.period_start, self.period_start)
        raise ValueError("span must be 'period' or 'weeks'")

    def _utc(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz).astimezone(dt.timezone.utc)

    def count(self, types: str | Iterable[str], *, by: str = "subject", payload: Mapping | None = None,
              daily: bool = False, span: str = "period", people: Iterable[int] | None = None) -> dict[int, Tally]:
        """Count events of ``types`` per subject (every subject gets a Tally), in one query.

        :param types: namespaced event type keys (``"chashan.patrol"``).
        :param by: how an event belongs to a subject — ``"subject"``, ``"actor"``, ``"grid"``
            (see the module docstring).
        :param payload: conditions on payload fields: ``{"accepted": True}`` or
            ``{"minutes": (">=", 60)}`` (operators ``== != >= > <= <``; numbers compared as
            numbers, booleans and strings as such).
        :param daily: also count per local day (``Tally.by_day``).
        :param span: ``"period"``, or ``"weeks"`` — from the Monday of the first to the Sunday
            of the last of :meth:`weeks`, for weekly obligations.
        :param people: count for these people instead of the run's subjects (the members of a
            unit or grid, see :meth:`members`), attributed as person subjects would be.
        """
        types = sorted([types] if isinstance(types, str) else set(types))
        kind, keys = ("person", sorted(set(people))) if people is not None else (self.sheet.subject_kind, sorted(self.subjects))
        if by not in BY or (by == "actor" and kind != "person"):
            raise ValueError(f"by must be one of {BY} ('actor' only for people)")
        first, end = self._window(span)
        key, joins, scope = self._attribution(by, kind, keys)
        columns = [key] + ([self._local_day(first, end)] if daily else [])
        query = select(*columns, func.count(distinct(Event.id)), _id_list(Event.id)).select_from(Event)
        for target, onclause in joins:
            query = query.join(target, onclause)
        conditions = [Event.type.in_(types), Event.occurred_at >= self._utc(first), Event.occurred_at < self._utc(end),
                      ~superseded_condition(), scope, *self._payload_conditions(payload or {})]
        rows = db.session.execute(query.where(*conditions).group_by(*columns)).all() if keys else []
        counts: dict[int, int] = {}
        ids: dict[int, set] = {}
        per_day: dict[int, dict] = {}
        for row in rows:
            sid, n, id_text = row[0], row[-2], row[-1]
            counts[sid] = counts.get(sid, 0) + n
            ids.setdefault(sid, set()).update(int(i) for i in str(id_text).split(",") if i)
            if daily:
                local = dt.date.fromisoformat(str(row[1])[:10])
                per_day.setdefault(sid, {})[local] = per_day.get(sid, {}).get(local, 0) + n
        result = {sid: Tally(counts.get(sid, 0), tuple(sorted(ids.get(sid, ()))), dict(sorted(per_day.get(sid, {}).items())))
                  for sid in keys}
        self.log.append(["count", types, by, _plain(payload or {}), daily, span, people is not None,
                         {str(s): [t.count, list(t.event_ids), {d.isoformat(): n for d, n in t.by_day.items()}]
                          for s, t in result.items()}])
        return result

    def _held(self, person_ids=None):
        """SQL: an assignment overlapping the period (of one of ``person_ids``, if given)."""
        last_day = self.period_end - dt.timedelta(days=1)
        span = and_(Assignment.starts_on <= last_day,
                    or_(Assignment.ends_on.is_(None), Assignment.ends_on >= self.period_start))
        return span if person_ids is None else and_(Assignment.person_id.in_(person_ids), span)

    def _attribution(self, by: str, kind: str, ids: list[int]):
        """(subject key column, joins, condition) for the subject kind and ``by``."""
        if by == "actor":
            return Event.actor_person_id, [], Event.actor_person_id.in_(ids)
        if by == "subject":
            column = {"person": Event.subject_person_id, "unit": Event.subject_unit_id, "grid": Event.grid_id}[kind]
            return column, [], column.in_(ids)
        place, root = aliased(Grid), aliased(Grid)
        joins = [(place, place.id == Event.grid_id)]
        in_subtree = and_(place.path >= root.path, place.path < root.path + PATH_END)
        if kind == "grid":
            return root.id, joins + [(root, in_subtree)], root.id.in_(ids)
        if kind == "unit":
            return Unit.id, joins + [(root, in_subtree), (Unit, Unit.grid_id == root.id)], Unit.id.in_(ids)
        held = and_(Assignment.grid_id == root.id, self._held(ids))
        return Assignment.person_id, joins + [(root, in_subtree), (Assignment, held)], Assignment.person_id.in_(ids)

    def _local_day(self, first: dt.date, end: dt.date):
        """The event's local date as SQL: PostgreSQL converts time zones itself; elsewhere a
        CASE over the window's local midnights (correct across daylight-saving changes)."""
        if db.session.get_bind().dialect.name == "postgresql":
            return cast(func.timezone(str(self.tz.key), Event.occurred_at), Date)
        days = [first + dt.timedelta(days=n) for n in range((end - first).days)]
        whens = [(Event.occurred_at < self._utc(day + dt.timedelta(days=1)), day.isoformat()) for day in days]
        return case(*whens, else_=end.isoformat())

    def members(self, subject_id: int, roles: Iterable[str] | None = None) -> list[int]:
        """The people assigned to a grid or unit subject during the period (optionally only
        those holding one of ``roles``); for a person subject, the person."""
        kind = self.sheet.subject_kind
        if kind == "person":
            ids = [subject_id]
        else:
            column = Assignment.grid_id if kind == "grid" else Assignment.unit_id
            query = select(Assignment.person_id).where(column == subject_id, self._held())
            if roles is not None:
                query = query.where(Assignment.role.in_(list(roles)))
            ids = sorted(set(db.session.scalars(query)))
        self.log.append(["members", subject_id, sorted(roles) if roles is not None else None, ids])
        return ids

    @staticmethod
    def _payload_conditions(payload: Mapping) -> list:
        conditions = []
        for field, wanted in payload.items():
            op, value = wanted if isinstance(wanted, tuple) else ("==", wanted)
            if op not in COMPARISONS:
                raise ValueError(f"payload condition on {field!r}: operator must be one of {list(COMPARISONS)}")
            element = Event.payload[field]
            if isinstance(value, bool):
                column = element.as_boolean()
            elif isinstance(value, (int, Decimal)):
                column, value = element.as_numeric(18, 4), Decimal(value)
            else:
                column, value = element.as_string(), str(value)
            conditions.append(getattr(column, COMPARISONS[op])(value))
        return conditions

    # -- cases and judged inputs ------------------------------------------------------------

    def case_metrics(self, *, grid: int | None = None, unit: int | None = None) -> metrics.CaseMetrics:
        """:func:`gridgov.metrics.case_metrics` for the period, a grid subtree and/or a unit."""
        result = metrics.case_metrics(start=self.period_start, end=self.period_end, grid=grid, unit=unit)
        self.log.append(["case_metrics", grid, unit, _plain(dataclasses.asdict(result))])
        return result

    def undisposed_case_ids(self, *, grid: int | None = None, unit: int | None = None) -> list[int]:
        """The cases behind a lost disposal rate: due for disposal in the period (resolve
        deadline inside it) and not resolved before its end — the complement of
        ``CaseMetrics.disposed`` for the same grid subtree and/or unit, as evidence."""
        query = select(Case.id).where(Case.resolve_due_at >= self.start, Case.resolve_due_at < self.end,
                                      or_(Case.resolved_at.is_(None), Case.resolved_at >= self.end))
        if grid is not None:
            root = aliased(Grid)
            query = query.join(Grid, Grid.id == Case.grid_id).join(
                root, and_(root.id == grid, Grid.path >= root.path, Grid.path < root.path + PATH_END))
        if unit is not None:
            query = query.where(Case.unit_id == unit)
        ids = list(db.session.scalars(query.order_by(Case.id)))
        self.log.append(["undisposed_case_ids", grid, unit, ids])
        return ids

    def published_results(self, sheet: str) -> dict[int, list[PublishedResult]]:
        """The published results of another sheet for the periods inside this one, per subject
        (an annual ranking from the quarterly sheets, a quarter's cash settled from the monthly
        ledgers): of each period, the published run no published correction replaces. Subjects
        without any are absent."""
        from .operations import current_published_runs

        runs = {r.id: r for r in current_published_runs(sheet, self.period_start, self.period_end)}
        rows = db.session.execute(select(AssessmentResult.run_id, AssessmentResult.subject_id, AssessmentResult.total,
                                         AssessmentResult.grade, AssessmentResult.rank, AssessmentResult.money,
                                         AssessmentResult.vetoes)
                                  .where(AssessmentResult.run_id.in_(list(runs)),
                                         AssessmentResult.subject_id.in_(list(self.subjects)))) if runs else []
        found: dict[int, list[PublishedResult]] = {}
        for run_id, subject_id, total, grade, rank, money, vetoes in rows:
            found.setdefault(subject_id, []).append(PublishedResult(
                run_id, runs[run_id].period_start, Decimal(total), grade, rank, Decimal(money), tuple(vetoes or ())))
        result = {sid: sorted(found[sid], key=lambda r: r.period_start) for sid in sorted(found)}
        self.log.append(["published_results", sheet, {str(k): _plain([dataclasses.asdict(r) for r in v])
                                                      for k, v in result.items()}])
        return result

    def subject_grids(self, subject_id: int) -> list[int]:
        """The grids a subject answers for: the grid itself, a unit's attached grid, or the
        grids a person is assigned to during the period."""
        kind = self.sheet.subject_kind
        if kind == "grid":
            ids = [subject_id]
        elif kind == "unit":
            ids = [g for g in [db.session.scalar(select(Unit.grid_id).where(Unit.id == subject_id))] if g is not None]
        else:
            ids = sorted(set(db.session.scalars(select(Assignment.grid_id).where(
                Assignment.grid_id.is_not(None), self._held([subject_id])))))
        self.log.append(["subject_grids", subject_id, ids])
        return ids

    def judged(self, item: str) -> dict[int, JudgedEntry]:
        """The latest judged input of ``item`` per subject (subjects without one are absent)."""
        rows = db.session.scalars(select(Judgement).where(
            Judgement.sheet == self.sheet.key, Judgement.period_start == self.period_start, Judgement.item == item,
            Judgement.subject_id.in_(list(self.subjects))).order_by(Judgement.id))
        latest = {}
        for row in rows:
            latest[row.subject_id] = JudgedEntry(row.id, Decimal(row.points), row.entered_by_name,
                                                 row.entered_at.isoformat(), row.reason)
        self.log.append(["judged", item, {str(k): _plain(dataclasses.asdict(v)) for k, v in sorted(latest.items())}])
        return latest


def _id_list(column):
    """The distinct ids of a group as one comma-separated text (one row per group)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(distinct(cast(column, String)), ",")
    return func.group_concat(distinct(column))
