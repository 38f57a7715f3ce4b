"""Rectification (整改): every finding a supervision (督查) feeds back to a community becomes a
case of category ``zhanqian.rectification`` in the core's case workflow, and is tracked there
to closure like any case (accept → dispatch to the community → resolve → verify → close).

:func:`feed_back` turns findings into cases; it runs every ten minutes for each tenant
(scheduled job ``zhanqian.feed_back``) and is safe to run again: a case remembers its finding
in ``source_ref`` (``督查<event id>-<n>``), so a finding is never fed back twice. A voided or
amended supervision feeds back only what stands. :func:`open_rectifications` is what the
community's sheet shows: the rectification cases in its grids still open at a given instant.

Deadlines are the category's (the core declares categories at start-up, the same for every
tenant): accept within 1 working day, resolve within 10, close within 15.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from gridgov.extensions import db
from gridgov.models import Case, Event, Grid
from gridgov.operations.event_cases import open_cases_for_events
from gridgov.operations.grids import subtree_ids
from gridgov.plugins import CaseCategory, Deadline, ScheduledJob, SEVERITIES

CATEGORY = "zhanqian.rectification"
SUPERVISION = "zhanqian.supervision"


def _every(amount: int) -> dict:
    return {severity: Deadline(amount, "working_days") for severity in SEVERITIES}


RECTIFICATION = CaseCategory(
    "rectification", "督查反馈整改", "Rectification of a supervision finding",
    deadlines={"accept": _every(1), "resolve": _every(10), "close": _every(15)},
    handling_unit_kind="community",
    description="督查组发现并反馈社区的问题，社区整改至结案。")

FEED_BACK_JOB = ScheduledJob("feed_back", "*/10 * * * *", "gridgov_zhanqian.rectification.feed_back",
                             "督查发现问题反馈整改立案", "Feed supervision findings back as rectification cases")


def _ref(event_id: int, n: int) -> str:
    return f"督查{event_id}-{n}"


def _finding_cases(event: Event) -> list[dict]:
    return [{"description": finding, "source_ref": _ref(event.id, n), "note": f"督查反馈 (supervision event {event.id})"}
            for n, finding in enumerate(event.payload.get("findings") or [], 1)]


def feed_back() -> list[int]:
    """Report a rectification case for every finding of a standing supervision event that has
    none yet (:func:`gridgov.operations.event_cases.open_cases_for_events`); returns the new
    cases' ids."""
    return open_cases_for_events(SUPERVISION, _finding_cases, category=CATEGORY)


def open_rectifications(community_id: int, at: dt.datetime) -> list[Case]:
    """Rectification cases in the community's grids reported before ``at`` and not closed or
    rejected by then (a case closed later was still open at ``at``)."""
    ended = or_(and_(Case.closed_at.is_not(None), Case.closed_at < at),
                and_(Case.state == "rejected", Case.last_transition_at < at))
    grids = subtree_ids(db.session.get(Grid, community_id))
    return list(db.session.scalars(select(Case).where(
        Case.category == CATEGORY, Case.grid_id.in_(grids), Case.reported_at < at, ~ended).order_by(Case.id)))
