"""marshmallow schemas of the case API (:mod:`.cases`, :mod:`.attachments`): the report body,
one body per workflow step, the filters, and what comes back.

As in :mod:`.schemas`, input schemas check types and sizes; the workflow's rules (which step
from which state, by whom, which units) stay in :mod:`gridgov.operations.cases`. Titles come as
``{"zh", "en"}`` beside the key they name.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from flask import g, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..metrics import RATE_TITLES, CaseMetrics
from ..models.cases import CASE_SOURCES, CLOSURE_TYPES, REPORTER_KINDS
from ..operations.cases import STATES, TRANSITIONS
from ..plugins import DEADLINE_STAGES, SEVERITIES
from .schemas import Bilingual, Id, PageQuery, QueryId, Text, page_of

NOTE = 4000


def _titled(table: dict, attribute: str):
    """``{"zh", "en"}`` of the key in ``attribute``, from a {key: (zh, en)} table."""
    def title(obj):
        pair = table.get(getattr(obj, attribute))
        return {"zh": pair[0], "en": pair[1]} if pair else None
    return fields.Function(title, metadata={"description": "{zh, en}; null when unknown"})


def _category_title(case):
    category = g.tenant_plugins.case_categories.get(case.category)
    return {"zh": category.title_zh, "en": category.title_en} if category else None


def _local(instant):
    return instant.astimezone(zoneinfo.ZoneInfo(g.tenant.timezone)).isoformat() if instant else None


def _deadlines(case) -> dict:
    """The case's time limits as fixed at report/acceptance, with the current (pause-shifted) due
    instants; a stage whose clock has not started has ``due_at`` null."""
    out = {}
    for stage in DEADLINE_STAGES:
        spec = (case.deadlines or {}).get(stage)
        if spec is not None:
            due = getattr(case, f"{stage}_due_at")
            out[stage] = {**spec, "due_at": due.isoformat() if due else None, "due_at_local": _local(due)}
    return out


# -- catalogue -----------------------------------------------------------------------------

class CaseCategoryOut(Schema):
    key = fields.String()
    title = Bilingual("title_zh", "title_en")
    plugin = fields.String()
    description = fields.String()
    handling_unit_kind = fields.String(allow_none=True, metadata={"description": "the kind of unit dispatch picks by default"})
    pauses_when_waiting = fields.Boolean(metadata={"description": "whether the wait step (挂起) is possible and pauses the deadlines"})
    deadlines = fields.Function(
        lambda c: {stage: {sev: {"amount": dl.amount, "unit": dl.unit} for sev, dl in table.items()}
                   for stage, table in c.deadlines.items()},
        metadata={"description": "{stage: {severity: {amount, unit}}}; stages accept, resolve, close (optional); "
                                 "unit hours or working_days (official Chinese calendar)"})


# -- report and read -----------------------------------------------------------------------

class CaseIn(Schema):
    """A report (上报); the fields of :func:`gridgov.operations.cases.report_case`."""

    category = Text(96, required=True, metadata={"description": "a key of case-categories"})
    severity = fields.String(validate=validate.OneOf(list(SEVERITIES)), metadata={"description": "default normal"})
    grid_id = Id(metadata={"description": "required unless place_id gives the grid"})
    place_id = Id(allow_none=True)
    latitude = fields.Decimal(allow_none=True, validate=validate.Range(-90, 90), metadata={"description": "with longitude"})
    longitude = fields.Decimal(allow_none=True, validate=validate.Range(-180, 180))
    address = Text(300)
    description = Text(NOTE, required=True, min_length=1)
    source = fields.String(validate=validate.OneOf(list(CASE_SOURCES)),
                           metadata={"description": "default patrol for staff reports"})
    source_ref = Text(128, allow_none=True, metadata={"description": "e.g. a 12345 hotline work-order number"})
    reporter_kind = fields.String(validate=validate.OneOf(list(REPORTER_KINDS)), metadata={"description": "default staff"})
    reporter_person_id = Id(allow_none=True, metadata={"description": "default: the caller's person record"})
    reporter_name = Text(100)
    reporter_contact = Text(100)
    reported_at = fields.AwareDateTime(metadata={"description": "default now; earlier for a report entered late (补录)"})
    note = Text(NOTE)



class CaseOut(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "unique in the tenant, e.g. 2026-000123"})
    state = fields.String(metadata={"description": "one of " + ", ".join(STATES)})
    state_title = _titled(STATES, "state")
    category = fields.String()
    category_title = fields.Function(_category_title, metadata={"description": "{zh, en}; null if its plugin is off"})
    severity = fields.String()
    severity_title = _titled(SEVERITIES, "severity")
    grid_id = fields.Integer()
    place_id = fields.Integer(allow_none=True)
    latitude = fields.Decimal(as_string=True, allow_none=True)
    longitude = fields.Decimal(as_string=True, allow_none=True)
    address = fields.String()
    description = fields.String()
    source = fields.String()
    source_title = _titled(CASE_SOURCES, "source")
    source_ref = fields.String(allow_none=True)
    reporter_kind = fields.String()
    reporter_user_id = fields.Integer(allow_none=True)
    reporter_person_id = fields.Integer(allow_none=True)
    reporter_name = fields.String()
    reporter_contact = fields.String()
    unit_id = fields.Integer(allow_none=True, metadata={"description": "the unit responsible now"})
    handler_person_id = fields.Integer(allow_none=True)
    reject_reason = fields.String()
    overdue = fields.Boolean(metadata={"description": "some deadline was missed (sticky)"})
    deadlines = fields.Function(_deadlines, metadata={
        "description": "{stage: {amount, unit, due_at, due_at_local}} for accept, resolve and close"})
    paused = fields.Function(lambda c: c.paused_at is not None, metadata={"description": "waiting (挂起): the clocks stand"})
    paused_at = fields.DateTime(allow_none=True)
    paused_seconds = fields.Integer(metadata={"description": "total time spent waiting"})
    reported_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closure_type = fields.String(allow_none=True, metadata={"description": "normal 正常结案, overdue 超时结案, special 特殊结案"})
    closure_type_title = _titled(CLOSURE_TYPES, "closure_type")
    closure_reason = fields.String()
    handling_seconds = fields.Integer(allow_none=True, metadata={"description": "report → close minus the waits"})
    last_transition_at = fields.DateTime()
    reopen_count = fields.Integer()
    escalation_count = fields.Integer()
    handoff_count = fields.Integer()


class AllowedAction(Schema):
    action = fields.String(metadata={"description": "close_special is POST close with special_reason"})
    title = fields.Dict()
    url = fields.String(metadata={"description": "POST here to take the step"})


class ForCaller(fields.List):
    """A list the view worked out for the caller (``g.<key>``), not a column of the row."""

    def __init__(self, key: str, item, **kwargs):
        super().__init__(item, **kwargs)
        self.key = key

    def get_value(self, obj, attr, accessor=None, default=None):
        return getattr(g, self.key)


class CaseDetail(CaseOut):
    allowed_actions = ForCaller("allowed_actions", fields.Nested(AllowedAction),
                                metadata={"description": "the steps the caller may take now"})


CasePage = page_of(CaseOut, "CasePage")


class CaseQuery(PageQuery):
    state = fields.List(fields.String(validate=validate.OneOf(list(STATES))), metadata={"description": "repeatable"})
    unit_id = QueryId(metadata={"description": "the unit responsible now"})
    grid_id = QueryId(metadata={"description": "cases in this grid's whole subtree"})
    overdue = fields.Boolean()
    category = Text(96)
    source = fields.String(validate=validate.OneOf(list(CASE_SOURCES)))


class Actor(Schema):
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    person_name = fields.String(allow_none=True)


class TransitionOut(Schema):
    id = fields.Integer()
    action = fields.String()
    action_title = fields.Function(lambda s: {"zh": TRANSITIONS[s.action].title_zh, "en": TRANSITIONS[s.action].title_en})
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.Function(lambda s: g.case_actors[s.id], metadata={"description": "who took the step"})
    at = fields.DateTime(metadata={"description": "when the step was taken"})
    at_local = fields.Function(lambda s: _local(s.at))
    recorded_at = fields.DateTime(metadata={"description": "when it was entered (later than at for 补录)"})
    note = fields.String()
    extra = fields.Dict(metadata={"description": "what the step decided: units, deadlines, closure type"})


class HandOffOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    transition_id = fields.Integer()
    from_unit_id = fields.Integer(allow_none=True)
    to_unit_id = fields.Integer()
    letter_number = fields.String(metadata={"description": "交办函 number"})
    letter_text = fields.String()
    reason = fields.String()
    attachment_ids = fields.List(fields.Integer(), metadata={"description": "scanned letters, see cases/{id}/attachments"})
    created_by_id = fields.Integer(allow_none=True)
    at = fields.DateTime()


# -- the steps -----------------------------------------------------------------------------

class StepIn(Schema):
    note = Text(NOTE)
    at = fields.AwareDateTime(metadata={"description": "when it happened, for a paper record entered late (补录); default now"})


class ReasonIn(Schema):
    reason = Text(NOTE, required=True, min_length=1)
    at = fields.AwareDateTime(metadata={"description": "default now"})


class AcceptIn(StepIn):
    category = Text(96, metadata={"description": "correct the category; the deadlines follow"})
    severity = fields.String(validate=validate.OneOf(list(SEVERITIES)))


class UnitStepIn(StepIn):
    unit_id = Id(allow_none=True, metadata={"description": "the unit to take the case; default: the one the grid tree gives"})


class VerifyIn(StepIn):
    passed = fields.Boolean(load_default=True, metadata={"description": "false reopens the case (返工) with note as reason"})

    @validates_schema
    def _reason_for_rework(self, data, **kwargs):
        if not data["passed"] and not (data.get("note") or "").strip():
            raise ValidationError({"note": ["required when passed is false: the reason for the rework"]})


class HandOffIn(StepIn):
    to_unit_id = Id(required=True)
    reason = Text(NOTE, required=True, min_length=1)
    letter_number = Text(64)
    letter_text = Text(20000)
    attachment_ids = fields.List(Id(), validate=validate.Length(max=50),
                                 metadata={"description": "scanned letters already attached to this case"})


class CloseIn(StepIn):
    special_reason = Text(NOTE, metadata={"description": "given: a 特殊结案 from any accepted open state"})


# -- reminders and metrics -----------------------------------------------------------------

class ReminderOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    stage = fields.String(metadata={"description": "the deadline missed: accept, resolve or close"})
    kind = fields.String()
    due_at = fields.DateTime()
    unit_id = fields.Integer(allow_none=True, metadata={"description": "null: the supervising centre"})
    person_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by_id = fields.Integer(allow_none=True)


ReminderPage = page_of(ReminderOut, "ReminderPage")


class ReminderQuery(PageQuery):
    mine = fields.Boolean(load_default=False, metadata={"description": "only those addressed to the caller"})
    unit_id = QueryId(metadata={"description": "only those of this unit"})
    open = fields.Boolean(load_default=True, metadata={"description": "only those not yet acknowledged"})


class DateOrInstant(fields.Field):
    """A date (local midnight in the tenant's time zone) or an ISO 8601 date-time with an offset."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata.setdefault("type", "string")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return dt.date.fromisoformat(value)
                instant = dt.datetime.fromisoformat(value)
                if instant.tzinfo is not None:
                    return instant
            except ValueError:
                pass
        raise ValidationError("a date (2026-10-01) or an ISO 8601 date-time with an offset")


class MetricsQuery(Schema):
    grid_id = QueryId(metadata={"description": "cases reported in this grid's subtree"})
    unit_id = QueryId(metadata={"description": "cases this unit is responsible for"})
    from_ = DateOrInstant(data_key="from", metadata={
        "description": "inclusive: a date (local midnight) or a date-time with an offset; with to, or neither (this month)"})
    to = DateOrInstant(metadata={"description": "exclusive: a date (local midnight) or a date-time with an offset"})


class RateOut(Schema):
    key = fields.String()
    title = fields.Dict(metadata={"description": "{zh, en}, the names of digital urban management"})
    numerator = fields.Integer()
    denominator = fields.Integer()
    percent = fields.Decimal(as_string=True, metadata={"description": "percentage points, two decimals, half up"})
    nothing_due = fields.Boolean(metadata={"description": "denominator 0: the rate is 100 % by convention"})


COUNTS = tuple(f.name for f in dataclasses.fields(CaseMetrics) if f.type == "int")
CaseRates = Schema.from_dict({key: fields.Nested(RateOut) for key in RATE_TITLES}, name="CaseRates")
CaseCounts = Schema.from_dict({name: fields.Integer() for name in COUNTS}, name="CaseCounts")


class MetricsOut(Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    grid_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    rates = fields.Nested(CaseRates)
    counts = fields.Nested(CaseCounts)
    mean_handling_seconds = fields.Decimal(as_string=True, allow_none=True)
    p90_handling_seconds = fields.Integer(allow_none=True, metadata={"description": "nearest rank"})


# -- attachments ---------------------------------------------------------------------------

class AttachmentOut(Schema):
    id = fields.Integer()
    owner_kind = fields.String()
    owner_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "detected from the content"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by_id = fields.Integer(allow_none=True)
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda a: url_for("attachments.serve", attachment_id=a.id),
                          metadata={"description": "GET it with the same bearer token"})
