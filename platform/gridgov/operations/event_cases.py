"""One case for each new event of a type (事件转案件), idempotently.

Plugins whose inspections are recorded as events (a violation found on a street, a finding of a
supervision visit) turn each of them into a case with a scheduled job. The job is
:func:`open_cases_for_events`: it walks the standing events of the type (not voided, not
superseded by an amendment), asks the plugin's function what case(s) each event should open, and
reports those not opened before. The marker is the case's ``source_ref`` within the category: a
case whose category and ``source_ref`` match is the one opened before, so running the job again
(or twice at once) never opens a second case.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Union

from sqlalchemy import select

from ..extensions import db
from ..models import Case, Event, Tenant
from ..tenancy import current_tenant_id
from . import cases as case_ops
from .events import superseded_condition

CaseFields = Union[dict, Iterable[dict], None]


def open_cases_for_events(event_type: str, case_fields: Callable[[Event], CaseFields], *, category: str) -> list[int]:
    """Report the cases ``case_fields(event)`` describes for every standing ``event_type`` event
    of the current tenant, each once; returns the new cases' ids in event order.

    ``case_fields`` gets one :class:`Event` and returns the fields of
    :func:`gridgov.operations.cases.report_case` for one case (a dict), for several (a list of
    dicts: one case per finding of an event), or None (no case). Each dict must carry a
    ``source_ref`` that names the event (and the finding) and is unique within ``category``:
    it is the marker that the case exists. The function is called for every standing event on
    every run, so keep it cheap (no queries). Defaults filled in when absent: ``category``,
    ``grid_id`` (the event's), ``source`` ``inspection``, ``reporter_kind`` ``system``,
    ``reporter_person_id`` (the event's actor), ``reported_at`` (when the event occurred).
    A refused case (:class:`OperationError` from ``report_case``) propagates: the run opens
    nothing, and the next run retries.

    Concurrent runs for one tenant are serialised by a row lock on the tenant (``FOR NO KEY
    UPDATE``, which does not block inserts referencing the tenant), held to commit; the caller
    commits (a scheduled job's runner does)."""
    db.session.execute(select(Tenant.id).where(Tenant.id == current_tenant_id())
                       .with_for_update(key_share=True))
    done = set(db.session.scalars(select(Case.source_ref).where(Case.category == category,
                                                                Case.source_ref.is_not(None))))
    events = db.session.scalars(select(Event).where(Event.type == event_type, ~superseded_condition())
                                .order_by(Event.id))
    new: list[int] = []
    for event in events:
        wanted = case_fields(event)
        if wanted is None:
            continue
        for values in [wanted] if isinstance(wanted, dict) else wanted:
            ref = values.get("source_ref")
            if not ref:
                raise ValueError(f"case_fields for event {event.id} gave a case without a source_ref")
            if ref in done:
                continue
            values = {"category": category, "grid_id": event.grid_id, "source": "inspection", "reporter_kind": "system",
                      "reporter_person_id": event.actor_person_id,
                      "reported_at": event.occurred_at.isoformat(), **values}
            if values["category"] != category:
                raise ValueError(f"case_fields for event {event.id} gave category {values['category']!r}, "
                                 f"not {category!r}")
            new.append(case_ops.report_case(values).id)
            done.add(ref)
    return new
