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
import functools
from decimal import Decimal
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Float, Integer, String, and_, any_, bindparam, case, cast, distinct, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from .. import metrics, workdays
from ..extensions import db
from ..models import Assignment, Case, Event, Grid, Person, Place, Unit
from ..models.assessment import AssessmentResult, Judgement
from ..models.surveys import Survey, SurveyToken
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
    by_half_day: Mapping[tuple[dt.date, str], int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Total:
    """A subject's sum of a numeric payload field: the amount, how many events carried the
    field, their ids, and with ``daily=True`` the amount per local day."""

    amount: Decimal = Decimal(0)
    count: int = 0
    event_ids: tuple[int, ...] = ()
    by_day: Mapping[dt.date, Decimal] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Satisfaction:
    """Satisfaction survey counts (满意度测评, :mod:`gridgov.surveys.rates`) for the period:
    households sampled, answered, and each answer. ``rate`` = satisfied / sampled (满意率), 1
    with ``nothing_due`` when nothing was sampled; ``vote_ids`` are the vote events (evidence)."""

    sampled: int = 0
    answered: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    vote_ids: tuple[int, ...] = ()

    @property
    def ratio(self) -> metrics.Rate:
        """The 满意率 as a :class:`gridgov.metrics.Rate` (numerator, denominator, percent)."""
        return metrics.Rate(self.satisfied, self.sampled)

    @property
    def rate(self) -> Decimal:
        return self.ratio.value

    @property
    def nothing_due(self) -> bool:
        return self.sampled == 0

    @property
    def event_ids(self) -> tuple[int, ...]:
        """The vote events (the same as ``vote_ids``), for :class:`Evidence`."""
        return self.vote_ids

    @property
    def approval_rate(self) -> metrics.Rate:
        """(satisfied + basically satisfied) / answered."""
        return metrics.Rate(self.satisfied + self.basically_satisfied, self.answered)


@dataclasses.dataclass(frozen=True)
class Disposal:
    """A subject's cases due for disposal in the period (resolve deadline inside it), as
    :mod:`gridgov.metrics` counts them: ``disposed`` before the period's end,
    ``disposed_on_time`` by their deadline; ``late_case_ids`` the due cases not resolved by
    their deadline (the evidence behind a lost on-time rate)."""

    due: int = 0
    disposed: int = 0
    disposed_on_time: int = 0
    late_case_ids: tuple[int, ...] = ()

    @property
    def disposal_rate(self) -> metrics.Rate:
        """处置率, as ``CaseMetrics.disposal_rate``."""
        return metrics.Rate(self.disposed, self.due)

    @property
    def on_time_disposal_rate(self) -> metrics.Rate:
        """按期处置率, as ``CaseMetrics.on_time_disposal_rate``."""
        return metrics.Rate(self.disposed_on_time, self.due)


@dataclasses.dataclass(frozen=True)
class Register:
    """Register entries (登记台账, :class:`gridgov.models.Place`) of a subject: how many, and which."""

    count: int = 0
    place_ids: tuple[int, ...] = ()


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
        self._fan_outs: dict = {}

    # -- calendar ---------------------------------------------------------------------------

    def days(self) -> list[dt.date]:
        """Every local date of the period."""
        return [self.period_start + dt.timedelta(days=n) for n in range((self.period_end - self.period_start).days)]

    def working_days(self, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
        """The working days of the official Chinese calendar (:mod:`gridgov.workdays`) in
        ``[start, end)`` — by default the period; any window may be asked, such as the whole
        weeks around it (:meth:`weeks`)."""
        first, stop = start or self.period_start, end or self.period_end
        days = workdays.working_days_in(first, stop - dt.timedelta(days=1)) if stop > first else []
        if start is None and end is None:
            self.log.append(["working_days", [d.isoformat() for d in days]])
        else:
            self.log.append(["working_days", first.isoformat(), stop.isoformat(), [d.isoformat() for d in days]])
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
              daily: bool = False, half_days: bool = False, span: str = "period",
              people: Iterable[int] | None = None) -> dict[int, Tally]:
        """Count events of ``types`` per subject (every subject gets a Tally), in one query.

        :param types: namespaced event type keys (``"chashan.patrol"``).
        :param by: how an event belongs to a subject — ``"subject"``, ``"actor"``, ``"grid"``
            (see the module docstring).
        :param payload: conditions on payload fields: ``{"accepted": True}`` or
            ``{"minutes": (">=", 60)}`` (operators ``== != >= > <= <``; numbers compared as
            numbers, booleans and strings as such).
        :param daily: also count per local day (``Tally.by_day``).
        :param half_days: also count per local half-day (``Tally.by_half_day``, keys
            ``(date, "am")`` before 12:00 local time and ``(date, "pm")`` from 12:00 on — "周五上午",
            "周五下午"); implies ``daily``.
        :param span: ``"period"``, or ``"weeks"`` — from the Monday of the first to the Sunday
            of the last of :meth:`weeks`, for weekly obligations.
        :param people: count for these people instead of the run's subjects (the members of a
            unit or grid, see :meth:`members`), attributed as person subjects would be.
        """
        types = _types(types)
        result = self._tallies(types, by, payload, daily, half_days, span, people)[None]
        entry = ["count", types, by, _plain(payload or {}), daily, span, people is not None, _tally_log(result, half_days)]
        self.log.append(entry + (["half_days"] if half_days else []))
        return result

    def count_by(self, types: str | Iterable[str], field: str, values: Iterable[str], *, by: str = "subject",
                 payload: Mapping | None = None, daily: bool = False, half_days: bool = False, span: str = "period",
                 people: Iterable[int] | None = None) -> dict[str, dict[int, Tally]]:
        """Count events of ``types`` per text value of the payload ``field`` and per subject, in
        one query: ``{value: {subject: Tally}}`` for each of ``values`` (every value and every
        subject present) — the honours per level, the findings per level — where :meth:`count`
        would ask once per value with ``payload={field: value}``. Events whose ``field`` holds
        another value (or none) are not counted. The other parameters are those of :meth:`count`."""
        types = _types(types)
        values = [values] if isinstance(values, str) else list(values)
        if not values or any(not isinstance(v, str) for v in values):
            raise ValueError(f"values of {field!r}: a non-empty list of texts")
        values = sorted(set(values))
        found = self._tallies(types, by, payload, daily, half_days, span, people, field, values)
        result = {v: found.get(v) or {sid: Tally() for sid in self._keys(people)[1]} for v in values}
        self.log.append(["count_by", types, field, values, by, _plain(payload or {}), daily, half_days, span,
                         people is not None, {v: _tally_log(t, half_days) for v, t in result.items()}])
        return result

    def count_each(self, types: Iterable[str], *, by: str = "subject", payload: Mapping | None = None,
                   daily: bool = False, half_days: bool = False, span: str = "period",
                   people: Iterable[int] | None = None) -> dict[str, dict[int, Tally]]:
        """Count each of several event ``types`` per subject, in one query: ``{type: {subject:
        Tally}}`` (every type and subject present) — the same Tallies as one :meth:`count` per
        type with the same parameters (those of :meth:`count`)."""
        types = _types(types)
        if not types:
            raise ValueError("types: a non-empty list of event types")
        found = self._tallies(types, by, payload, daily, half_days, span, people, by_type=True)
        result = {t: found.get(t) or {sid: Tally() for sid in self._keys(people)[1]} for t in types}
        self.log.append(["count_each", types, by, _plain(payload or {}), daily, half_days, span, people is not None,
                         {t: _tally_log(v, half_days) for t, v in result.items()}])
        return result

    def _tallies(self, types: list[str], by: str, payload, daily: bool, half_days: bool, span: str, people,
                 field: str | None = None, values=(), by_type: bool = False) -> dict:
        """{value of ``field`` or event type with ``by_type`` (None without either): {subject:
        Tally}} — the one grouped query behind :meth:`count`, :meth:`count_by` and :meth:`count_each`."""
        kind, keys = self._keys(people)
        first, end = self._window(span)
        key, scope, fan_out = self._attribution(by, kind, keys)
        slot = self._local_slot(first, end, half_days) if (daily or half_days) else None
        split = Event.payload[field].as_string() if field is not None else (Event.type if by_type else None)
        groups = [key] + ([split] if split is not None else []) + ([slot] if slot is not None else [])
        conditions = self._event_conditions(types, first, end, payload) + [scope]
        if field is not None:
            conditions.append(split.in_(list(values)))
        query = select(*groups, func.count(Event.id), _id_list(Event.id, unique=True)).where(*conditions).group_by(*groups)
        rows = db.session.execute(query).all() if scope is not None else []
        acc: dict = {}  # (value, subject) → [count, [ids], {day: n}, {(day, half): n}]
        for row in rows:
            value = row[1] if split is not None else None
            local, half = _parse_slot(row[-3]) if slot is not None else (None, None)
            n, found_ids = row[-2], _ids(row[-1])
            for sid in (fan_out.get(row[0], ()) if fan_out is not None else (row[0],)):
                entry = acc.get((value, sid))
                if entry is None:
                    entry = acc[(value, sid)] = [0, [], {}, {}]
                entry[0] += n
                entry[1].extend(found_ids)
                if slot is not None:
                    entry[2][local] = entry[2].get(local, 0) + n
                    if half_days:
                        entry[3][(local, half)] = entry[3].get((local, half), 0) + n
        out: dict = {}
        for (value, sid), (n, found_ids, per_day, per_half) in acc.items():
            found_ids.sort()
            out.setdefault(value, {})[sid] = Tally(n, tuple(found_ids), dict(sorted(per_day.items())),
                                                   dict(sorted(per_half.items())))
        return {value: {sid: tallies.get(sid, Tally()) for sid in keys}
                for value, tallies in (out.items() if out else [(None, {})])}

    def sum(self, types: str | Iterable[str], field: str, *, by: str = "subject", payload: Mapping | None = None,
            daily: bool = False, span: str = "period", people: Iterable[int] | None = None) -> dict[int, Total]:
        """Sum the numeric payload ``field`` of events of ``types`` per subject (every subject
        gets a Total), in one query — the minutes of the patrols, the amount of the fees.

        Values may be JSON numbers or decimal strings (``"12.50"``, as Decimals are stored); each
        is taken to 4 decimal places and the sum is exact (a :class:`~decimal.Decimal`). Events
        without the field are left out of the sum, the count and the ids. The other parameters
        are those of :meth:`count`; ``daily`` fills ``Total.by_day`` (the amount per local day).
        An event counts once for a subject even when it reaches it twice (a person assigned to
        a grid and to a grid below it)."""
        types = _types(types)
        kind, keys = self._keys(people)
        first, end = self._window(span)
        key, scope, fan_out = self._attribution(by, kind, keys)
        value = _scaled(Event.payload[field])
        slot = self._local_slot(first, end, False) if daily else None
        groups = [key] + ([slot] if daily else [])
        conditions = self._event_conditions(types, first, end, payload) + [scope, value.is_not(None)]
        query = (select(*groups, func.sum(value), func.count(Event.id), _id_list(Event.id, unique=True))
                 .where(*conditions).group_by(*groups))
        rows = db.session.execute(query).all() if scope is not None else []
        dialect = db.session.get_bind().dialect.name
        amounts: dict[int, Decimal] = {}
        counts: dict[int, int] = {}
        ids: dict[int, list] = {}
        per_day: dict[int, dict] = {}
        for row in rows:
            amount, n, found_ids = _unscale(row[-3], dialect), row[-2], _ids(row[-1])
            local = _parse_slot(row[1])[0] if daily else None
            for sid in (fan_out.get(row[0], ()) if fan_out is not None else (row[0],)):
                amounts[sid] = amounts.get(sid, Decimal(0)) + amount
                counts[sid] = counts.get(sid, 0) + n
                ids.setdefault(sid, []).extend(found_ids)
                if daily:
                    days = per_day.setdefault(sid, {})
                    days[local] = days.get(local, Decimal(0)) + amount
        result = {sid: Total(_tidy(amounts.get(sid, Decimal(0))), counts.get(sid, 0), tuple(sorted(ids.get(sid, ()))),
                             {d: _tidy(a) for d, a in sorted(per_day.get(sid, {}).items())})
                  for sid in keys}
        self.log.append(["sum", types, field, by, _plain(payload or {}), daily, span, people is not None,
                         {str(s): [str(t.amount), t.count, list(t.event_ids), {_iso(d): str(a) for d, a in t.by_day.items()}]
                          for s, t in result.items()}])
        return result

    def _keys(self, people) -> tuple[str, list[int]]:
        """(subject kind, subject ids): the run's subjects, or ``people`` as person subjects."""
        if people is not None:
            return "person", sorted(set(people))
        return self.sheet.subject_kind, sorted(self.subjects)

    def _event_conditions(self, types: list[str], first: dt.date, end: dt.date, payload) -> list:
        return [Event.type.in_(types), Event.occurred_at >= self._utc(first), Event.occurred_at < self._utc(end),
                ~superseded_condition(), *self._payload_conditions(payload or {})]

    def _held(self, person_ids=None):
        """SQL: an assignment overlapping the period (of one of ``person_ids``, if given)."""
        last_day = self.period_end - dt.timedelta(days=1)
        span = and_(Assignment.starts_on <= last_day,
                    or_(Assignment.ends_on.is_(None), Assignment.ends_on >= self.period_start))
        return span if person_ids is None else and_(Assignment.person_id.in_(person_ids), span)

    def _attribution(self, by: str, kind: str, ids: list[int]):
        """(group column, condition, fan-out) for the subject kind and ``by``: the events are
        grouped by the column; the fan-out, for ``by="grid"``, maps each grid to the subjects whose
        subtrees hold it ({grid: (subject, ...)}; None: the column is the subject). The condition
        is None when no event can belong to a subject."""
        if by not in BY or (by == "actor" and kind != "person"):
            raise ValueError(f"by must be one of {BY} ('actor' only for people)")
        if by == "actor":
            return Event.actor_person_id, Event.actor_person_id.in_(ids) if ids else None, None
        if by == "subject":
            column = {"person": Event.subject_person_id, "unit": Event.subject_unit_id, "grid": Event.grid_id}[kind]
            return column, column.in_(ids) if ids else None, None
        # By grid: the events are grouped by their own grid, and each grid's group goes to the
        # subjects holding that grid (an event lies in one grid, so a subject's groups never share
        # an event, and a grid reached twice by one subject is one pair). No join with the grid
        # tree in the big query: the database reads the events by their own conditions once.
        fan_out = self._grid_subjects(kind, ids)
        grids = sorted(fan_out)
        if not grids:
            return Event.grid_id, None, fan_out
        if db.session.get_bind().dialect.name == "postgresql":  # one array parameter, however many grids
            return Event.grid_id, Event.grid_id == any_(bindparam("subtree_grids", grids, type_=ARRAY(Integer))), fan_out
        column = Event.grid_id
        if len(grids) > 64:
            # SQLite has no statistics: given many grids it would search each grid's rows by the
            # (tenant, grid, time) index and read every event of the grid to test its type; "+ 0"
            # leaves it the (tenant, type, time) index, which reads only the events of the types
            column = Event.grid_id + 0
        return Event.grid_id, column.in_(bindparam("subtree_grids", grids, expanding=True, literal_execute=True)), fan_out

    def _grid_subjects(self, kind: str, ids: list[int]) -> dict[int, tuple[int, ...]]:
        """{grid: (subjects)} — the grids in the subtree of a grid subject, of a unit's attached
        grid, or of a grid a person is assigned to in the period; one small query, asked once per
        run and subject set."""
        cache_key = (kind, tuple(ids))
        if cache_key not in self._fan_outs:
            found: dict[int, list[int]] = {}
            if ids:
                sid, joins, _ = self._in_subtrees(None, kind, ids, pairs_only=True)
                for subject, grid in db.session.execute(joins):
                    found.setdefault(grid, []).append(subject)
            self._fan_outs[cache_key] = {g: tuple(sorted(v)) for g, v in sorted(found.items())}
        return self._fan_outs[cache_key]

    def _in_subtrees(self, grid_column, kind: str, ids: list[int], pairs_only: bool = False):
        """(subject key, joins, condition): rows whose ``grid_column`` lies in the subtree of a
        grid subject, of a unit's attached grid, or of a grid a person is assigned to."""
        place, root = aliased(Grid), aliased(Grid)
        in_subtree = and_(place.path >= root.path, place.path < root.path + PATH_END)
        if kind == "grid":
            key, joins, scope = root.id, [(root, in_subtree)], root.id.in_(ids)
        elif kind == "unit":
            key, joins, scope = Unit.id, [(root, in_subtree), (Unit, Unit.grid_id == root.id)], Unit.id.in_(ids)
        else:
            held = and_(Assignment.grid_id == root.id, self._held(ids))
            key, joins, scope = Assignment.person_id, [(root, in_subtree), (Assignment, held)], Assignment.person_id.in_(ids)
        # The (subject, grid) pairs first, as a small derived table joined to the rows by grid: a
        # row then meets its subjects by one lookup. Joined row by row instead, SQLite (without
        # statistics) walked every grid whose path sorts below the row's for each row — a million
        # events times a thousand grids. DISTINCT: a grid reached twice (a person assigned to a
        # grid and to one below it) still counts its rows once. The subject comes first: with the
        # grid first, SQLite served the DISTINCT from the order of an index over every grid of the
        # tenant and compared each with every root (a second per query for 1,200 grids).
        pairs = select(key.label("sid"), place.id.label("grid_id")).select_from(place)
        for target, onclause in joins:
            pairs = pairs.join(target, onclause)
        pairs = pairs.where(scope).distinct()
        if pairs_only:
            return None, pairs, None
        pairs = pairs.subquery()
        return pairs.c.sid, [(pairs, pairs.c.grid_id == grid_column)], true()

    def _local_slot(self, first: dt.date, end: dt.date, halves: bool):
        """The event's local date ("YYYY-MM-DD"), with ``halves`` followed by " am" or " pm", as
        SQL: PostgreSQL converts time zones itself; elsewhere a CASE over the window's local
        midnights (and noons) — correct across daylight-saving changes."""
        if db.session.get_bind().dialect.name == "postgresql":
            local = func.timezone(str(self.tz.key), Event.occurred_at)
            return func.to_char(local, "YYYY-MM-DD AM") if halves else cast(local, Date)
        offset = self._fixed_offset(first, end)
        if offset is not None:  # no clock change in the window (Asia/Shanghai): date arithmetic
            shift = f"{offset:+d} minutes"
            day = func.date(Event.occurred_at, shift)
            if not halves:
                return day
            return day.concat(case((func.strftime("%H", Event.occurred_at, shift) < "12", " am"), else_=" pm"))
        whens = []
        for n in range((end - first).days):
            day = first + dt.timedelta(days=n)
            if halves:
                noon = dt.datetime.combine(day, dt.time(12), tzinfo=self.tz).astimezone(dt.timezone.utc)
                whens.append((Event.occurred_at < noon, f"{day.isoformat()} am"))
            whens.append((Event.occurred_at < self._utc(day + dt.timedelta(days=1)),
                          f"{day.isoformat()} pm" if halves else day.isoformat()))
        return case(*whens, else_=end.isoformat())

    def _fixed_offset(self, first: dt.date, end: dt.date) -> int | None:
        """The time zone's UTC offset in minutes if it does not change in ``[first, end]``."""
        offsets = {self.tz.utcoffset(dt.datetime.combine(first + dt.timedelta(days=n), dt.time(hour)))
                   for n in range((end - first).days + 1) for hour in (0, 12)}
        return int(offsets.pop().total_seconds() // 60) if len(offsets) == 1 else None

    # -- people, units and registers ------------------------------------------------------------

    def members(self, subject_id: int, roles: Iterable[str] | None = None, *, kind: str | None = None) -> list[int]:
        """The people assigned to a grid or unit during the period (optionally only those
        holding one of ``roles``); for a person, the person. ``kind`` (``"grid"``, ``"unit"``,
        ``"person"``) defaults to the sheet's subject kind. For many grids or units at once,
        :meth:`members_by_subject` asks one query."""
        return self.members_by_subject([subject_id], roles, kind=kind)[subject_id]

    def members_by_subject(self, subject_ids: Iterable[int] | None = None, roles: Iterable[str] | None = None, *,
                           kind: str | None = None) -> dict[int, list[int]]:
        """{grid or unit id: [person ids]} as :meth:`members` for every one of ``subject_ids``
        (default: the run's subjects), in one query."""
        kind = kind or self.sheet.subject_kind
        if kind not in ("person", "grid", "unit"):
            raise ValueError("kind must be 'person', 'grid' or 'unit'")
        keys = sorted(set(self.subjects if subject_ids is None else subject_ids))
        found: dict[int, set] = {k: set() for k in keys}
        if kind == "person":
            found = {k: {k} for k in keys}
        elif keys:
            column = Assignment.grid_id if kind == "grid" else Assignment.unit_id
            query = select(column, Assignment.person_id).where(column.in_(keys), self._held())
            if roles is not None:
                query = query.where(Assignment.role.in_(sorted(set(roles))))
            for key, person in db.session.execute(query):
                found[key].add(person)
        result = {k: sorted(v) for k, v in found.items()}
        self.log.append(["members", kind, sorted(set(roles)) if roles is not None else None,
                         {str(k): v for k, v in result.items()}])
        return result

    def assignment_spans(self, roles: Iterable[str] | None = None, people: Iterable[int] | None = None
                         ) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
        """{person: [(first day, last day or None)]} of their assignments overlapping the period
        (optionally only those holding one of ``roles``), oldest first — for the run's (person)
        subjects or ``people``; one query. A duty owed daily is owed only while in post."""
        keys = sorted(set(self.subjects if people is None else people))
        spans: dict[int, list] = {k: [] for k in keys}
        if keys:
            query = select(Assignment.person_id, Assignment.starts_on, Assignment.ends_on).where(self._held(keys))
            if roles is not None:
                query = query.where(Assignment.role.in_(sorted(set(roles))))
            for person, starts, ends in db.session.execute(query.order_by(Assignment.person_id, Assignment.starts_on,
                                                                          Assignment.id)):
                spans[person].append((starts, ends))
        self.log.append(["assignment_spans", sorted(set(roles)) if roles is not None else None,
                         {str(p): [[a.isoformat(), b and b.isoformat()] for a, b in v] for p, v in spans.items()}])
        return spans

    def attached_units(self, unit_kinds: Iterable[str] | None = None, grids: Iterable[int] | None = None
                       ) -> dict[int, list[int]]:
        """{grid id: [unit ids]} of the units attached to each grid (挂点, ``Unit.grid_id``) —
        default the run's (grid) subjects — optionally only units of ``unit_kinds``; one query."""
        keys = sorted(set(self.subjects if grids is None else grids))
        found: dict[int, list[int]] = {k: [] for k in keys}
        if keys:
            query = select(Unit.grid_id, Unit.id).where(Unit.grid_id.in_(keys))
            if unit_kinds is not None:
                query = query.where(Unit.kind.in_(sorted(set(unit_kinds))))
            for grid_id, unit_id in db.session.execute(query.order_by(Unit.id)):
                found[grid_id].append(unit_id)
        self.log.append(["attached_units", sorted(set(unit_kinds)) if unit_kinds is not None else None,
                         {str(k): v for k, v in found.items()}])
        return found

    def person_names(self, person_ids: Iterable[int]) -> dict[int, str]:
        """{person id: name} (for the notes of a sheet), one query."""
        ids = sorted(set(person_ids))
        names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
        self.log.append(["person_names", {str(k): names[k] for k in sorted(names)}])
        return names

    def places(self, kinds: str | Iterable[str], *, grid: int | None = None,
               attributes: Mapping | None = None) -> dict[int, Register]:
        """Register entries (登记台账) of ``kinds`` per subject — in a grid subject's subtree, a
        unit's attached grid's, or the subtrees of the grids a person is assigned to — or, with
        ``grid``, ``{grid: Register}`` for that grid's subtree; one query. ``attributes`` are
        conditions on the entries' attributes, as ``payload`` in :meth:`count`
        (``{"licence_inspection_due": True}``). Registers have no history: they are counted as
        they stand when the run is computed."""
        kinds = _types(kinds)
        if grid is not None:
            kind, keys = "grid", [grid]
        else:
            kind, keys = self.sheet.subject_kind, sorted(self.subjects)
        key, joins, scope = self._in_subtrees(Place.grid_id, kind, keys)
        query = select(key, func.count(distinct(Place.id)), _id_list(Place.id)).select_from(Place)
        for target, onclause in joins:
            query = query.join(target, onclause)
        conditions = [Place.kind.in_(kinds), scope, *_json_conditions(Place.attributes, attributes or {})]
        rows = db.session.execute(query.where(*conditions).group_by(key)).all() if keys else []
        found = {sid: Register(n, tuple(sorted(_ids(id_text)))) for sid, n, id_text in rows}
        result = {sid: found.get(sid, Register()) for sid in keys}
        self.log.append(["places", kinds, grid, _plain(attributes or {}),
                         {str(k): [r.count, list(r.place_ids)] for k, r in result.items()}])
        return result

    @staticmethod
    def _payload_conditions(payload: Mapping) -> list:
        return _json_conditions(Event.payload, payload)

    # -- cases and judged inputs ------------------------------------------------------------

    def case_metrics(self, *, grid: int | None = None, unit: int | None = None) -> metrics.CaseMetrics:
        """:func:`gridgov.metrics.case_metrics` for the period, a grid subtree and/or a unit."""
        result = metrics.case_metrics(start=self.period_start, end=self.period_end, grid=grid, unit=unit)
        self.log.append(["case_metrics", grid, unit, _plain(dataclasses.asdict(result))])
        return result

    def undisposed_case_ids(self, *, grid: int | None = None, unit: int | None = None,
                            on_time: bool = False) -> list[int]:
        """The cases behind a lost disposal rate: due for disposal in the period (resolve
        deadline inside it) and not resolved before its end — the complement of
        ``CaseMetrics.disposed`` for the same grid subtree and/or unit, as evidence. With
        ``on_time``, those not resolved by their deadline — the complement of
        ``CaseMetrics.disposed_on_time`` (``on_time_disposal_rate``)."""
        late = Case.resolved_at > Case.resolve_due_at if on_time else Case.resolved_at >= self.end
        query = select(Case.id).where(Case.resolve_due_at >= self.start, Case.resolve_due_at < self.end,
                                      or_(Case.resolved_at.is_(None), late))
        if grid is not None:
            root = aliased(Grid)
            query = query.join(Grid, Grid.id == Case.grid_id).join(
                root, and_(root.id == grid, Grid.path >= root.path, Grid.path < root.path + PATH_END))
        if unit is not None:
            query = query.where(Case.unit_id == unit)
        ids = list(db.session.scalars(query.order_by(Case.id)))
        self.log.append(["undisposed_case_ids", grid, unit, ids] + (["on_time"] if on_time else []))
        return ids

    def disposal_by_subject(self, *, by: str = "grid") -> dict[int, Disposal]:
        """:class:`Disposal` counts for every subject in one query (instead of
        :meth:`case_metrics` per subject): ``by="grid"`` counts the cases in a grid subject's
        subtree, a unit's attached grid's or a person's assigned grids'; ``by="unit"`` the cases
        a unit subject is responsible for (``Case.unit_id``)."""
        kind, keys = self.sheet.subject_kind, sorted(self.subjects)
        if by == "unit" and kind == "unit":
            key, joins, scope = Case.unit_id, [], Case.unit_id.in_(keys)
        elif by == "grid":
            key, joins, scope = self._in_subtrees(Case.grid_id, kind, keys)
        else:
            raise ValueError("by must be 'grid', or 'unit' for unit subjects")
        late = or_(Case.resolved_at.is_(None), Case.resolved_at > Case.resolve_due_at)
        query = select(key, func.count(distinct(Case.id)),
                       func.count(distinct(case((Case.resolved_at < self.end, Case.id)))),
                       func.count(distinct(case((Case.resolved_at <= Case.resolve_due_at, Case.id)))),
                       _id_list(case((late, Case.id)))).select_from(Case)
        for target, onclause in joins:
            query = query.join(target, onclause)
        conditions = [Case.resolve_due_at >= self.start, Case.resolve_due_at < self.end, scope]
        rows = db.session.execute(query.where(*conditions).group_by(key)).all() if keys else []
        found = {sid: Disposal(due, disposed, on_time, tuple(sorted(_ids(id_text))))
                 for sid, due, disposed, on_time, id_text in rows}
        result = {sid: found.get(sid, Disposal()) for sid in keys}
        self.log.append(["disposal_by_subject", by, {str(k): _plain(dataclasses.asdict(v)) for k, v in result.items()}])
        return result

    # -- satisfaction surveys ---------------------------------------------------------------

    def satisfaction(self, *, grid: int | None = None, unit: int | None = None,
                     question: str | None = None) -> Satisfaction:
        """Satisfaction survey counts for the subtree of ``grid``, of ``unit``'s attached grid,
        or (neither) the whole tenant, over the surveys that close in the period (the
        :mod:`gridgov.surveys.rates` rule: a survey counts, whole, for the period of its last
        day), optionally only surveys asking ``question``. A household sampled that did not
        answer counts against the rate; nothing sampled → rate 1, ``nothing_due``. For every
        subject at once, :meth:`satisfaction_by_subject` asks one query."""
        if grid is not None and unit is not None:
            raise ValueError("give grid or unit, not both")
        if grid is None and unit is None:
            row = db.session.execute(_votes().where(*self._survey_conditions(question))).one()
            found = _satisfaction(row)
        else:
            kind, key = ("grid", grid) if grid is not None else ("unit", unit)
            found = self._satisfaction_of(kind, [key], question).get(key, Satisfaction())
        self.log.append(["satisfaction", grid, unit, question, _plain(dataclasses.asdict(found))])
        return found

    def satisfaction_by_subject(self, *, question: str | None = None) -> dict[int, Satisfaction]:
        """:meth:`satisfaction` for each of the run's subjects — a grid's subtree, a unit's
        attached grid's, the subtrees of the grids a person is assigned to — in one query."""
        kind, keys = self.sheet.subject_kind, sorted(self.subjects)
        found = self._satisfaction_of(kind, keys, question)
        result = {sid: found.get(sid, Satisfaction()) for sid in keys}
        self.log.append(["satisfaction_by_subject", question,
                         {str(k): _plain(dataclasses.asdict(v)) for k, v in result.items()}])
        return result

    def _survey_conditions(self, question: str | None) -> list:
        conditions = [Survey.ends_on >= self.period_start, Survey.ends_on < self.period_end]
        return conditions + ([Survey.question == question] if question is not None else [])

    def _satisfaction_of(self, kind: str, keys: list[int], question: str | None) -> dict[int, Satisfaction]:
        if not keys:
            return {}
        key, joins, scope = self._in_subtrees(SurveyToken.grid_id, kind, keys)
        query = _votes(key)
        for target, onclause in joins:
            query = query.join(target, onclause)
        rows = db.session.execute(query.where(scope, *self._survey_conditions(question)).group_by(key)).all()
        return {row[0]: _satisfaction(row[1:]) for row in rows}

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

    def judged(self, item: str, *, period_start: dt.date | None = None) -> dict[int, JudgedEntry]:
        """The latest judged input of ``item`` per subject (subjects without one are absent).

        ``period_start`` reads the inputs entered for another period of the same sheet key —
        a sheet that judges an item monthly inside a quarter passes each month's first day;
        default the run's period."""
        start = period_start or self.period_start
        rows = db.session.scalars(select(Judgement).where(
            Judgement.sheet == self.sheet.key, Judgement.period_start == start, Judgement.item == item,
            Judgement.subject_id.in_(list(self.subjects))).order_by(Judgement.id))
        latest = {}
        for row in rows:
            latest[row.subject_id] = JudgedEntry(row.id, Decimal(row.points), row.entered_by_name,
                                                 row.entered_at.isoformat(), row.reason)
        entry = ["judged", item, {str(k): _plain(dataclasses.asdict(v)) for k, v in sorted(latest.items())}]
        self.log.append(entry + ([start.isoformat()] if period_start is not None else []))
        return latest

    def judged_months(self, item: str) -> dict[dt.date, dict[int, JudgedEntry]]:
        """For an item judged each month (``SheetItem(judged_per="month")``) of a quarterly or
        yearly sheet: ``{first day of each month of the period: {subject: latest JudgedEntry}}``
        — every month present, a month without entries empty; one query."""
        months, first = [], self.period_start.replace(day=1)
        while first < self.period_end:
            months.append(first)
            first = (first + dt.timedelta(days=32)).replace(day=1)
        rows = db.session.scalars(select(Judgement).where(
            Judgement.sheet == self.sheet.key, Judgement.item == item, Judgement.period_start.in_(months),
            Judgement.subject_id.in_(list(self.subjects))).order_by(Judgement.id))
        found: dict[dt.date, dict[int, JudgedEntry]] = {m: {} for m in months}
        for row in rows:
            found[row.period_start][row.subject_id] = JudgedEntry(row.id, Decimal(row.points), row.entered_by_name,
                                                                  row.entered_at.isoformat(), row.reason)
        result = {m: dict(sorted(v.items())) for m, v in found.items()}
        self.log.append(["judged_months", item, {m.isoformat(): {str(k): _plain(dataclasses.asdict(v)) for k, v in e.items()}
                                                 for m, e in result.items()}])
        return result


def _id_list(column, unique: bool = False):
    """The distinct ids of a group (one row per group), in no particular order, as one
    comma-separated text — or, with ``unique`` on PostgreSQL, an array (the driver reads it
    into a list of ints without a Python parse). ``unique``: the group holds each id once
    already (the events of one grid, actor or subject), so the database need not sort them out."""
    if db.session.get_bind().dialect.name == "postgresql":
        if unique:
            return func.array_agg(column)
        return func.string_agg(distinct(cast(column, String)), ",")
    return func.group_concat(column if unique else distinct(column))


def _tally_log(tallies: Mapping[int, Tally], half_days: bool) -> dict:
    """The facts-log form of {subject: Tally}."""
    return {str(s): [t.count, list(t.event_ids), {_iso(d): n for d, n in t.by_day.items()}]
            + ([{f"{_iso(d)} {h}": n for (d, h), n in t.by_half_day.items()}] if half_days else [])
            for s, t in tallies.items()}


@functools.lru_cache(maxsize=4096)
def _iso(day: dt.date) -> str:
    return day.isoformat()


def _ids(value) -> list[int]:
    """The ids of :func:`_id_list`: a comma-separated text or an array (None: no ids)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [i for i in value if i is not None]
    return [int(i) for i in str(value).split(",") if i]


def _types(types: str | Iterable[str]) -> list[str]:
    return sorted([types] if isinstance(types, str) else set(types))


def _parse_slot(value) -> tuple[dt.date, str]:
    """(local date, "am"/"pm"/"") from a slot column of :meth:`Facts._local_slot`."""
    if isinstance(value, dt.datetime):
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    text = str(value)
    return dt.date.fromisoformat(text[:10]), text[11:13].lower()


SCALE = 10_000  # payload sums are exact to 4 decimal places


def _scaled(element):
    """A payload number (JSON number or decimal string) as SQL, exact to 4 places: NUMERIC on
    PostgreSQL; elsewhere an INTEGER count of ten-thousandths (summed without float error)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return element.as_numeric(24, 4)
    return cast(func.round(cast(element.as_string(), Float) * SCALE), Integer)


def _unscale(value, dialect: str) -> Decimal:
    """A sum of :func:`_scaled` values as a Decimal (``dialect``: the database's name)."""
    if value is None:
        return Decimal(0)
    if dialect == "postgresql":
        return Decimal(value)
    return Decimal(int(value)) / SCALE


@functools.lru_cache(maxsize=4096)  # sums repeat (a day's 60 minutes); equal values tidy alike
def _tidy(value: Decimal) -> Decimal:
    """A sum without trailing zeros (12.5, 90) — the same on every database."""
    value = Decimal(value).quantize(Decimal(1) / SCALE)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _json_conditions(column, conditions: Mapping) -> list:
    """SQL conditions on the fields of a JSON column (see the ``payload`` of :meth:`Facts.count`)."""
    out = []
    for field, wanted in conditions.items():
        op, value = wanted if isinstance(wanted, tuple) else ("==", wanted)
        if op not in COMPARISONS:
            raise ValueError(f"condition on {field!r}: operator must be one of {list(COMPARISONS)}")
        element = column[field]
        if isinstance(value, bool):
            target = element.as_boolean()
        elif isinstance(value, (int, Decimal)):
            target, value = element.as_numeric(18, 4), Decimal(value)
        else:
            target, value = element.as_string(), str(value)
        out.append(getattr(target, COMPARISONS[op])(value))
    return out


def _votes(*keys):
    """SELECT key, sampled, answered, satisfied, basically satisfied, dissatisfied, vote ids —
    survey tokens left-joined to their standing vote events (:mod:`gridgov.surveys.rates`)."""
    answer = Event.payload["answer"].as_string()

    def votes(value=None):
        return func.count(distinct(Event.id)) if value is None else func.count(distinct(Event.id)).filter(answer == value)

    return (select(*keys, func.count(distinct(SurveyToken.id)), votes(), votes("satisfied"), votes("basically_satisfied"),
                   votes("dissatisfied"), _id_list(Event.id))
            .select_from(SurveyToken).join(Survey, Survey.id == SurveyToken.survey_id)
            .outerjoin(Event, and_(Event.id == SurveyToken.event_id, ~superseded_condition())))


def _satisfaction(row) -> Satisfaction:
    sampled, answered, satisfied, basically, dissatisfied, id_text = row
    return Satisfaction(sampled, answered, satisfied, basically, dissatisfied, tuple(sorted(_ids(id_text))))
