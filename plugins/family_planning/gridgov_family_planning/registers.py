"""What the registers answer: the month's list of women without a check-up for N months
(月上报) and how many were cleared (月清理), and the visit schedule.

A woman is *listed* for a month when she is resident and her latest check-up (her register's
``last_checkup_on`` or a ``checkup`` event) is older than ``checkup_overdue_months`` months at
the month's last day, or she has none. She is *cleared* in a month when she was listed for the
month before and is not listed for this one (checked up, or moved out); registrations cleared
(``registration_cleared`` events, 漏管空挂) are counted beside.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Event, Grid, Place
from gridgov.operations.events import superseded_condition
from gridgov.operations.grids import subtree_ids

from .salary import T, last_checkups, months_before


def month_end(first: dt.date) -> dt.date:
    return dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1) - dt.timedelta(days=1)


def _women(grid_id: int | None) -> list[Place]:
    query = select(Place).where(Place.kind == T + "woman").order_by(Place.grid_id, Place.code)
    if grid_id is not None:
        grid = db.session.get(Grid, grid_id)
        query = query.where(Place.grid_id.in_(subtree_ids(grid))) if grid else query.where(False)
    return list(db.session.scalars(query))


def overdue(women, day: dt.date, months: int) -> list[tuple[Place, dt.date | None]]:
    """(woman, latest check-up) for resident women without a check-up since ``months`` before ``day``."""
    cutoff = months_before(day + dt.timedelta(days=1), months)
    last = last_checkups(women, day)
    return [(w, last[w.id]) for w in women if w.attributes.get("status") != "moved_out"
            and w.attributes.get("registered_on", "") <= day.isoformat() and (last[w.id] is None or last[w.id] < cutoff)]


def checkup_month(first: dt.date, months: int, grid_id: int | None = None) -> dict:
    """The month's list, the ids cleared since last month, and registrations cleared."""
    women = _women(grid_id)
    listed = overdue(women, month_end(first), months)
    before = {w.id for w, _ in overdue(women, first - dt.timedelta(days=1), months)}
    now = {w.id for w, _ in listed}
    return {"listed": listed, "cleared": sorted(before - now), "previously_listed": len(before)}


def registrations_cleared(first: dt.date, zone) -> int:
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(month_end(first) + dt.timedelta(days=1), dt.time(), zone)
    return len(db.session.scalars(select(Event.id).where(Event.type == T + "registration_cleared",
                                                          Event.occurred_at >= start, Event.occurred_at < end,
                                                          ~superseded_condition())).all())


def next_visit_due(woman: Place, interval_days: int, visits: list[dt.date]) -> dt.date:
    """The day the next visit is due: ``interval_days`` after the last visit (or registration)."""
    last = max(visits, default=dt.date.fromisoformat(woman.attributes["registered_on"]))
    return last + dt.timedelta(days=interval_days)
