"""The family-planning forms (event types) and registers (place kinds).

Daily work sheet (日工作单): a leader checks in (``work_plan``: which households, to do what)
and checks out (``work_result``: households done, how far). Leave (请假单): ``leave_request``
by the leader, ``leave_decision`` by the director. The annual assessment reads
``indicator_mark`` (an assessor's mark for a judged sub-item) and ``reward_penalty``. The
registers' events: ``visit`` (随访), ``checkup`` (查体), ``floating_change`` (流动人口变动),
``registration_cleared`` (漏管空挂清理). Rules that look at other events are the types'
``check`` functions in :mod:`.rules`.

Households, women of childbearing age and floating residents are personal data: their place
kinds are ``personal=True``, readable by the tenant roles in :data:`READERS` only — field staff
only in the grids they hold (:data:`GRID_SCOPED`) — every read audited by the core.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridgov.plugins import EventType, PlaceKind

from . import rules

TEXT = validate.Length(min=1, max=1000)
# Tenant roles that need the personal registers: administrators, the director's supervisors and
# the leaders and workers in the field. Assessors and viewers do not.
READERS = ("tenant_admin", "supervisor", "field_staff")
# Of those, the field staff (group leaders, workers: 楼长/片长) read only the entries of the
# grids they hold (their block, or their piece / zone / community and everything below); the
# administrators and supervisors, community-level, read all.
GRID_SCOPED = ("field_staff",)


# -- registers (places) --------------------------------------------------------------------------

class HouseholdAttributes(Schema):
    """A household (户) a group leader visits: who lives there, as far as family planning asks."""

    head = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"title_zh": "户主", "title_en": "Head of household"})
    members = fields.Integer(required=True, validate=validate.Range(min=1, max=50))
    women_of_childbearing_age = fields.Integer(load_default=0, validate=validate.Range(min=0, max=20),
                                               metadata={"title_zh": "育龄妇女人数", "title_en": "Women of childbearing age"})
    floating = fields.Boolean(load_default=False,
                              metadata={"title_zh": "流动人口户", "title_en": "Floating-population household"})


class WomanAttributes(Schema):
    """A woman of childbearing age (育龄妇女) in a block: her household, when she was last
    checked up before the register began (later check-ups are ``checkup`` events), and whether
    she still lives here (``moved_out`` ends her schedules)."""

    household = fields.String(required=True, validate=validate.Length(min=1, max=64))
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1950, max=2015))
    registered_on = fields.Date(required=True)
    last_checkup_on = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default="resident", validate=validate.OneOf(["resident", "moved_out"]))


class FloatingAttributes(Schema):
    """A member of the floating population (流动人口) living in a block."""

    household = fields.String(required=True, validate=validate.Length(min=1, max=64))
    origin = fields.String(required=True, validate=validate.Length(min=1, max=200))
    arrived_on = fields.Date(required=True)
    status = fields.String(load_default="present", validate=validate.OneOf(["present", "left"]))


PLACE_KINDS = [
    PlaceKind("household", "住户", "Household", HouseholdAttributes, personal=True, readers=READERS,
              grid_scoped_readers=GRID_SCOPED),
    PlaceKind("woman", "育龄妇女", "Woman of childbearing age", WomanAttributes, personal=True, readers=READERS,
              grid_scoped_readers=GRID_SCOPED),
    PlaceKind("floating", "流动人口", "Floating resident", FloatingAttributes, personal=True, readers=READERS,
              grid_scoped_readers=GRID_SCOPED),
]


# -- daily work sheet and leave ------------------------------------------------------------------

class WorkPlanPayload(Schema):
    """The daily work sheet at check-in (日工作单·签到): which households, to do what."""

    households = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                             validate=validate.Length(min=1, max=100))
    task = fields.String(required=True, validate=TEXT)


class WorkResultPayload(Schema):
    """The daily work sheet at check-out (日工作单·签退): how many households, how far."""

    households_done = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    progress = fields.String(required=True, validate=TEXT)


class LeaveRequestPayload(Schema):
    """A leave request (请假单) from a group leader, inclusive dates."""

    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @validates_schema
    def _span_ordered(self, data, **kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", field_name="ends_on")


class LeaveDecisionPayload(Schema):
    """The director's decision on a leave request (审批): the request's event id."""

    request_id = fields.Integer(required=True, validate=validate.Range(min=1))
    approved = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))


# -- the annual assessment -----------------------------------------------------------------------

class IndicatorMarkPayload(Schema):
    """An assessor's mark for a judged sub-item of a leader (the event's subject person) —
    ``indicator`` is a key of the tenant's indicator tree, ``points`` within its maximum."""

    indicator = fields.String(required=True, validate=validate.Length(min=1, max=32))
    points = fields.Decimal(as_string=True, places=1, required=True, validate=validate.Range(min=0, max=100))
    reason = fields.String(required=True, validate=TEXT)


class RewardPenaltyPayload(Schema):
    """A reward or penalty factor (奖惩因素) of a leader (the subject person): points for the
    ``bonus`` or ``penalty`` sub-item ``indicator``, and/or an amount of money (CNY) added to
    (reward) or taken from (penalty) the year-end payout."""

    indicator = fields.String(required=True, validate=validate.Length(min=1, max=32))
    points = fields.Decimal(as_string=True, places=1, load_default="0", validate=validate.Range(min=0, max=100))
    amount = fields.Decimal(as_string=True, places=2, load_default="0", validate=validate.Range(min=0, max=100000))
    reason = fields.String(required=True, validate=TEXT)


class MonthlyPayPayload(Schema):
    """A month's pay of a group leader (月工资发放记录, the event's subject person): the base paid
    that month and the amount withheld for the year end, as they were when it was recorded —
    later changes of the settings do not touch it. Written on the 1st of each month by the
    scheduled job ``family_planning.monthly_pay``; a correction amends it."""

    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                  error="a month as YYYY-MM"))
    base = fields.Decimal(as_string=True, places=2, required=True, validate=validate.Range(min=0, max=100000))
    withheld = fields.Decimal(as_string=True, places=2, required=True, validate=validate.Range(min=0, max=100000))


# -- the registers' events -----------------------------------------------------------------------

class VisitPayload(Schema):
    """A visit to a woman of childbearing age (上门随访), the event's place."""

    note = fields.String(load_default="", validate=validate.Length(max=1000))


class CheckupPayload(Schema):
    """A check-up (查体) of a woman of childbearing age (the event's place), on ``checked_on``."""

    checked_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class FloatingChangePayload(Schema):
    """A change in the floating population (流动人口变动) of a block; ``place_id`` names the
    resident when known."""

    change = fields.String(required=True, validate=validate.OneOf(["arrived", "left", "moved_within", "details_changed"]))
    on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class RegistrationClearedPayload(Schema):
    """An unregistered or nominal registration cleared up (漏管空挂清理)."""

    problem = fields.String(required=True, validate=validate.OneOf(["unregistered", "nominal"]))
    note = fields.String(required=True, validate=TEXT)


EVENT_TYPES = [
    EventType("work_plan", "日工作单（签到）", "Daily work sheet: check-in with the plan", WorkPlanPayload,
              check=rules.check_work_plan),
    EventType("work_result", "日工作单（签退）", "Daily work sheet: check-out with the result", WorkResultPayload,
              check=rules.check_work_result),
    EventType("leave_request", "请假单", "Leave request", LeaveRequestPayload, check=rules.check_leave_request),
    EventType("leave_decision", "请假审批", "Leave decision", LeaveDecisionPayload, check=rules.check_leave_decision),
    EventType("indicator_mark", "考核评分", "Indicator mark", IndicatorMarkPayload, check=rules.check_mark),
    EventType("reward_penalty", "奖惩因素", "Reward or penalty", RewardPenaltyPayload, check=rules.check_mark),
    EventType("monthly_pay", "月工资发放记录", "Monthly pay record", MonthlyPayPayload, check=rules.check_monthly_pay),
    EventType("visit", "育龄妇女随访", "Visit to a woman of childbearing age", VisitPayload, check=rules.check_on_woman),
    EventType("checkup", "查体", "Check-up", CheckupPayload, check=rules.check_on_woman),
    EventType("floating_change", "流动人口变动", "Floating population change", FloatingChangePayload),
    EventType("registration_cleared", "漏管空挂清理", "Unregistered or nominal registration cleared",
              RegistrationClearedPayload),
]
