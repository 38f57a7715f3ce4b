"""城市社区计生网格化管理 — urban community family-planning grids (plugin ``family_planning``).

A street's communities are divided into zones, pieces and blocks (海宁社区: "二区四片十个责任块",
社区-责任区-责任片-责任块). Each block has a residents' group leader (居民小组长) who visits its
households, backed by community workers (社区工作者). A leader files a daily work sheet
(日工作单): at check-in which households and what to do, at check-out what was done. Of a leader's
¥800 a month, ¥500 is paid monthly and ¥300 withheld and paid at year end by the annual
assessment. The registers follow women of childbearing age, the floating population, people
four months without a check-up (月上报、月清理) and unregistered or nominal registrations.

This module reads top to bottom: identity, grid levels, settings with their defaults, roles,
place kinds, event types, demo. The annual assessment, payouts and reports come with later
issues.
"""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PlaceKind, PluginInfo, Role

VERSION = "0.1.0"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="城市社区计生网格化管理",
        title_en="Urban community family-planning grid management",
        version=VERSION,
        description="社区-责任区-责任片-责任块四级网格，居民小组长日工作单，工资按月发放与年终考核发放。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("社区", "Community"), Level("责任区", "Zone"), Level("责任片", "Piece"), Level("责任块", "Block")]


def _money(default: str, zh: str, en: str):
    return fields.Decimal(as_string=True, places=2, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0), metadata={"title_zh": zh, "title_en": en})


class Settings(Schema):
    """Pay as the source states it, and the check-up rule; tunable per tenant."""

    leader_monthly_base = _money("500.00", "居民小组长基础工资（元/月，按月发放）",
                                 "Group leader base pay (CNY a month, paid monthly)")
    leader_monthly_withheld = _money("300.00", "居民小组长考核工资（元/月，年终考核发放）",
                                     "Group leader withheld pay (CNY a month, paid at year end by assessment)")
    community_worker_monthly_pay = _money("1200.00", "社区工作者工资（元/月）", "Community worker pay (CNY a month)")
    checkup_overdue_months = fields.Integer(
        load_default=4, validate=validate.Range(min=1, max=24),
        metadata={"title_zh": "未查体上报月数", "title_en": "Months without a check-up before listing"})


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("community_director", "计生专职主任", "Family-planning director", "grid"),
        Role("community_worker", "社区工作者", "Community worker", "grid"),
        Role("group_leader", "居民小组长", "Residents' group leader", "grid"),
    ]


class HouseholdAttributes(Schema):
    """A household (户) a group leader visits: who lives there, as far as family planning asks."""

    head = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"title_zh": "户主", "title_en": "Head of household"})
    members = fields.Integer(required=True, validate=validate.Range(min=1, max=50))
    women_of_childbearing_age = fields.Integer(load_default=0, validate=validate.Range(min=0, max=20),
                                               metadata={"title_zh": "育龄妇女人数", "title_en": "Women of childbearing age"})
    floating = fields.Boolean(load_default=False,
                              metadata={"title_zh": "流动人口户", "title_en": "Floating-population household"})


@hookimpl
def gridgov_place_kinds():
    return [PlaceKind("household", "住户", "Household", HouseholdAttributes)]


class WorkPlanPayload(Schema):
    """The daily work sheet at check-in (日工作单·签到): which households, to do what."""

    households = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                             validate=validate.Length(min=1, max=100))
    task = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class WorkResultPayload(Schema):
    """The daily work sheet at check-out (日工作单·签退): how many households, how far."""

    households_done = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    progress = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class LeaveRequestPayload(Schema):
    """A leave request (请假单) from a group leader."""

    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @validates_schema
    def _span_ordered(self, data, **kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", field_name="ends_on")


@hookimpl
def gridgov_event_types():
    return [
        EventType("work_plan", "日工作单（签到）", "Daily work sheet: plan", WorkPlanPayload),
        EventType("work_result", "日工作单（签退）", "Daily work sheet: result", WorkResultPayload),
        EventType("leave_request", "请假单", "Leave request", LeaveRequestPayload),
    ]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
