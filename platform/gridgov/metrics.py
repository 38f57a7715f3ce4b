"""Case metrics (案件考核指标) for a grid subtree or a unit and a period, computed in SQL.

Plugins read these for scoring (茶山 item 6 "handling rate", 站前 处置率). Every count is an
aggregate with a FILTER clause over the ``cases`` table (one query), the rework counts come from
``case_transitions`` (one query) and the 90th percentile of the handling time is one ordered
``LIMIT 1 OFFSET k`` query: nothing is loaded case by case into Python.

The period is half-open, ``[start, end)``; a ``date`` means local midnight in the tenant's time
zone. ``grid`` selects the cases reported in that grid or any grid below it; ``unit`` the cases
the unit is responsible for now (``Case.unit_id``). What counts where:

* **有效上报率** valid report rate = reported in the period and not rejected / reported in the
  period (a report not yet decided counts as valid).
* **按时立案率** on-time accept rate = accepted in the period by the accept deadline /
  accepted in the period.
* **处置率** disposal rate = cases whose resolve deadline falls in the period and that were
  resolved before the period's end / cases whose resolve deadline falls in the period (open ones
  count as not disposed; a reopened case is not disposed until resolved again) — the 站前
  definition.
* **按期处置率** on-time disposal rate = of the same cases, those resolved by their deadline.
* **结案率** closure rate = accepted in the period and closed before the period's end /
  accepted in the period.
* **按期结案率** on-time closure rate = closed in the period as 正常结案 / closed in the period as
  正常结案 or 超时结案 (特殊结案 is neither in time nor late and is left out; it is counted
  in ``closed_special``).
* **返工率** rework rate = reopen steps (返工) in the period / resolve steps in the period.
* ``overdue``, ``escalated``, ``handed_off``: of the cases reported in the period, those that
  missed a deadline, were escalated at least once, were handed off at least once.
* Handling time: of the cases closed in the period, report → close minus the time spent waiting
  (``Case.handling_seconds``); mean and 90th percentile (nearest rank), in seconds.

A rate with nothing due is 100 % with ``nothing_due`` set (SCHEMES.md convention).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from .extensions import db
from .models import Case, CaseTransition, Grid, Tenant, Unit
from .operations.common import ref
from .operations.errors import OperationError
from .operations.grids import subtree_ids
from .tenancy import current_tenant_id

RATE_TITLES = {
    "valid_report_rate": ("有效上报率", "Valid report rate"),
    "on_time_accept_rate": ("按时立案率", "On-time accept rate"),
    "disposal_rate": ("处置率", "Disposal rate"),
    "on_time_disposal_rate": ("按期处置率", "On-time disposal rate"),
    "closure_rate": ("结案率", "Closure rate"),
    "on_time_closure_rate": ("按期结案率", "On-time closure rate"),
    "rework_rate": ("返工率", "Rework rate"),
}


@dataclasses.dataclass(frozen=True)
class Rate:
    """``numerator / denominator``; with nothing due it is 1 (100 %) and ``nothing_due``."""

    numerator: int
    denominator: int

    @property
    def nothing_due(self) -> bool:
        return self.denominator == 0

    @property
    def value(self) -> Decimal:
        """The exact fraction (28 significant digits), for thresholds and products."""
        return Decimal(1) if self.nothing_due else Decimal(self.numerator) / Decimal(self.denominator)

    @property
    def percent(self) -> Decimal:
        """For display: percentage points with two decimals, rounded half up."""
        return (self.value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class CaseMetrics:
    start: dt.datetime
    end: dt.datetime
    reported: int
    valid: int
    accepted: int
    accepted_on_time: int
    due_for_disposal: int
    disposed: int
    disposed_on_time: int
    accepted_closed: int  # accepted in the period and closed before its end
    closed: int
    closed_normal: int
    closed_overdue: int
    closed_special: int
    resolutions: int
    reopenings: int
    overdue: int
    escalated: int
    handed_off: int
    mean_handling_seconds: Decimal | None
    p90_handling_seconds: int | None

    @property
    def valid_report_rate(self) -> Rate:
        return Rate(self.valid, self.reported)

    @property
    def on_time_accept_rate(self) -> Rate:
        return Rate(self.accepted_on_time, self.accepted)

    @property
    def disposal_rate(self) -> Rate:
        return Rate(self.disposed, self.due_for_disposal)

    @property
    def on_time_disposal_rate(self) -> Rate:
        return Rate(self.disposed_on_time, self.due_for_disposal)

    @property
    def closure_rate(self) -> Rate:
        return Rate(self.accepted_closed, self.accepted)

    @property
    def on_time_closure_rate(self) -> Rate:
        return Rate(self.closed_normal, self.closed_normal + self.closed_overdue)

    @property
    def rework_rate(self) -> Rate:
        return Rate(self.reopenings, self.resolutions)

    def rates(self) -> dict[str, Rate]:
        return {name: getattr(self, name) for name in RATE_TITLES}


def _instant(value, field: str, tz: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise OperationError({field: ["must carry a time zone"]})
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
    raise OperationError({field: ["a date or an aware date-time"]})


def case_metrics(*, start, end, grid: Grid | int | None = None, unit: Unit | int | None = None) -> CaseMetrics:
    """The case metrics of the current tenant for ``[start, end)``, restricted to the subtree of
    ``grid`` and/or the cases ``unit`` is responsible for (see the module for each definition)."""
    tz = ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)
    lo, hi = _instant(start, "start", tz), _instant(end, "end", tz)
    if hi <= lo:
        raise OperationError({"end": ["must be after start"]})
    scope = []
    if grid is not None:
        grid = grid if isinstance(grid, Grid) else ref(Grid, grid, "grid")
        scope.append(Case.grid_id.in_(subtree_ids(grid)))
    if unit is not None:
        scope.append(Case.unit_id == (unit.id if isinstance(unit, Unit) else ref(Unit, unit, "unit").id))

    def within(column):
        return and_(column >= lo, column < hi)

    def count(*conditions):
        return func.count(Case.id).filter(and_(*conditions))

    # Only aggregates are selected: select_from names the entity, without which the tenant
    # criteria (gridgov.tenancy) would not be applied to the FROM.
    closed = within(Case.closed_at)
    timed = and_(closed, Case.handling_seconds.is_not(None))
    row = db.session.execute(select(
        count(within(Case.reported_at)),
        count(within(Case.reported_at), Case.state != "rejected"),
        count(within(Case.accepted_at)),
        count(within(Case.accepted_at), Case.accepted_at <= Case.accept_due_at),
        count(within(Case.resolve_due_at)),
        count(within(Case.resolve_due_at), Case.resolved_at < hi),
        count(within(Case.resolve_due_at), Case.resolved_at <= Case.resolve_due_at),
        count(within(Case.accepted_at), Case.closed_at < hi),
        count(closed),
        count(closed, Case.closure_type == "normal"),
        count(closed, Case.closure_type == "overdue"),
        count(closed, Case.closure_type == "special"),
        count(within(Case.reported_at), Case.overdue.is_(True)),
        count(within(Case.reported_at), Case.escalation_count > 0),
        count(within(Case.reported_at), Case.handoff_count > 0),
        count(timed),
        func.sum(Case.handling_seconds).filter(timed),
    ).select_from(Case).where(*scope)).one()
    (reported, valid, accepted, accepted_on_time, due, disposed, disposed_on_time, accepted_closed, n_closed,
     closed_normal, closed_overdue, closed_special, overdue, escalated, handed_off, n_timed, total) = row

    def steps(action):
        return func.count(CaseTransition.id).filter(CaseTransition.action == action)

    resolutions, reopenings = db.session.execute(
        select(steps("resolve"), steps("reopen")).select_from(CaseTransition).join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.action.in_(("resolve", "reopen")), within(CaseTransition.at), *scope)).one()
    mean = p90 = None
    if n_timed:
        mean = (Decimal(int(total)) / n_timed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        rank = math.ceil(Decimal("0.9") * n_timed)  # nearest rank, 1-based
        p90 = db.session.scalar(select(Case.handling_seconds).where(timed, *scope)
                                .order_by(Case.handling_seconds).limit(1).offset(rank - 1))
    return CaseMetrics(
        start=lo, end=hi, reported=reported, valid=valid, accepted=accepted, accepted_on_time=accepted_on_time,
        due_for_disposal=due, disposed=disposed, disposed_on_time=disposed_on_time, accepted_closed=accepted_closed,
        closed=n_closed, closed_normal=closed_normal, closed_overdue=closed_overdue, closed_special=closed_special,
        resolutions=resolutions, reopenings=reopenings, overdue=overdue, escalated=escalated, handed_off=handed_off,
        mean_handling_seconds=mean, p90_handling_seconds=p90,
    )
