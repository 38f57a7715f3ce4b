"""Satisfaction rates (满意率), computed in SQL over the vote events.

Counts come from one aggregate over the tokens (what was sampled) left-joined to their vote
events (what was answered); a vote that has been voided (作废) no longer counts. The answer is
read from the event's payload in SQL. Only votes cast through a token count: an event of type
``core.survey_vote`` recorded by other means is not linked to any token and is ignored.

* **满意率** ``rate`` = satisfied / sampled — the SCHEMES.md convention (茶山 item 8, 站前
  item 2): a household sampled that did not answer counts against the rate.
* ``approval_rate`` = (satisfied + basically satisfied) / answered — the "满意+基本满意" rate
  many surveys publish beside it.
* Nothing sampled → 100 % with ``nothing_due`` (:class:`gridgov.metrics.Rate`).

A period ``[start, end)`` of local dates selects the surveys whose **last day** falls in it: a
survey counts, whole, for the period in which it closes, so a period's figure is final once its
surveys have ended and a survey spanning two periods is never counted twice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from ..extensions import db
from ..metrics import Rate
from ..models import Event, Grid, Tenant
from ..models.grids import PATH_SEP
from ..models.surveys import Survey, SurveyToken
from ..operations.common import ref
from ..operations.errors import OperationError
from ..operations.events import superseded_condition
from ..operations.grids import subtree_ids
from ..tenancy import current_tenant_id


@dataclasses.dataclass(frozen=True)
class SatisfactionCounts:
    sampled: int = 0
    answered: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0

    @property
    def rate(self) -> Rate:
        """满意率: satisfied / sampled."""
        return Rate(self.satisfied, self.sampled)

    @property
    def approval_rate(self) -> Rate:
        """(satisfied + basically satisfied) / answered."""
        return Rate(self.satisfied + self.basically_satisfied, self.answered)

    @property
    def response_rate(self) -> Rate:
        return Rate(self.answered, self.sampled)

    def __add__(self, other: "SatisfactionCounts") -> "SatisfactionCounts":
        return SatisfactionCounts(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other))))


def _local_date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise OperationError({field: ["must carry a time zone"]})
        return value.astimezone(ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)).date()
    if isinstance(value, dt.date):
        return value
    raise OperationError({field: ["a date or an aware date-time"]})


def _grid(grid) -> Grid | None:
    if grid is None or isinstance(grid, Grid):
        return grid
    return ref(Grid, grid, "grid")


def _counted(*group_by):
    """SELECT group columns and the five counts, tokens left-joined to their standing votes."""
    answer = Event.payload["answer"].as_string()

    def votes(value=None):
        return func.count(Event.id) if value is None else func.count(Event.id).filter(answer == value)

    return (select(*group_by, func.count(SurveyToken.id), votes(), votes("satisfied"), votes("basically_satisfied"),
                   votes("dissatisfied"))
            .select_from(SurveyToken).join(Survey, Survey.id == SurveyToken.survey_id)
            .outerjoin(Event, and_(Event.id == SurveyToken.event_id, ~superseded_condition())))


def _conditions(grid, start, end, survey) -> list:
    conditions = []
    grid = _grid(grid)
    if grid is not None:
        conditions.append(SurveyToken.grid_id.in_(subtree_ids(grid)))
    if start is not None or end is not None:
        if start is None or end is None:
            raise OperationError({"end" if end is None else "start": ["give start and end together"]})
        lo, hi = _local_date(start, "start"), _local_date(end, "end")
        if hi <= lo:
            raise OperationError({"end": ["must be after start"]})
        conditions += [Survey.ends_on >= lo, Survey.ends_on < hi]
    if survey is not None:
        conditions.append(SurveyToken.survey_id == (survey.id if isinstance(survey, Survey) else int(survey)))
    return conditions


def satisfaction_rate(grid, start, end) -> SatisfactionCounts:
    """The current tenant's satisfaction counts for the subtree of ``grid`` (a Grid, its id, or
    None for the whole tenant) over the surveys that end in ``[start, end)``; ``.rate`` is the
    满意率 (see the module docstring)."""
    row = db.session.execute(_counted().where(*_conditions(grid, start, end, None))).one()
    return SatisfactionCounts(*row)


def counts_by_grid(*, grid=None, start=None, end=None, survey=None) -> dict[int, SatisfactionCounts]:
    """{grid id: counts of the tokens issued for that grid itself} — one GROUP BY query."""
    query = _counted(SurveyToken.grid_id).where(*_conditions(grid, start, end, survey)).group_by(SurveyToken.grid_id)
    return {grid_id: SatisfactionCounts(*counts) for grid_id, *counts in db.session.execute(query)}


def counts_by_survey(survey_ids) -> dict[int, SatisfactionCounts]:
    """{survey id: counts} for the given surveys — one GROUP BY query (the console's list)."""
    ids = list(survey_ids)
    if not ids:
        return {}
    query = _counted(SurveyToken.survey_id).where(SurveyToken.survey_id.in_(ids)).group_by(SurveyToken.survey_id)
    return {survey_id: SatisfactionCounts(*counts) for survey_id, *counts in db.session.execute(query)}


def subtree_table(root: Grid | None, own: dict[int, SatisfactionCounts]) -> list[tuple[Grid, SatisfactionCounts]]:
    """Rows for a report: every grid of ``root``'s subtree (the whole tree for None) that has
    anything sampled at or below it, in tree order, each with the sum over its subtree — the
    community's figure beside its grids'. Sums the per-grid aggregates of :func:`counts_by_grid`."""
    query = select(Grid).order_by(Grid.path)
    if root is not None:
        query = query.where(Grid.id.in_(subtree_ids(root)))
    grids = list(db.session.scalars(query))
    paths = {g.id: g.path for g in grids}
    totals: dict[int, SatisfactionCounts] = {}
    for grid_id, counts in own.items():
        for ancestor in paths.get(grid_id, "").strip(PATH_SEP).split(PATH_SEP):
            if ancestor:
                totals[int(ancestor)] = totals.get(int(ancestor), SatisfactionCounts()) + counts
    return [(g, totals[g.id]) for g in grids if g.id in totals]
