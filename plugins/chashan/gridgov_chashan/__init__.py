"""茶山街道网格化管理奖惩办法 — the Chashan Street scheme (gridgov plugin ``chashan``).

A street office (街道办事处) divides its communities (社区) into grids, each run by a grid room
director (网格室主任). Community liaison staff (社区网格挂点人员) and the street departments'
liaison staff (街道科室挂点人员) are attached to the grids. What a grid cannot settle goes to the
community, what the community cannot settle goes to the street (小事不出网格，急事不出社区，
大事不出街道). Directors earn and lose cash every month; communities and departments are scored
out of 100 every quarter.

This module reads top to bottom: identity, grid levels, settings with their defaults, roles,
event types, demo. The assessment sheets come with a later issue.
"""
from decimal import ROUND_HALF_UP

from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PluginInfo, Role

VERSION = "0.1.0"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="茶山街道网格化管理奖惩办法",
        title_en="Chashan Street grid management rewards and penalties",
        version=VERSION,
        description="网格室主任按月奖惩，社区及街道科室挂点人员按季百分制考核。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("街道", "Street"), Level("社区", "Community"), Level("网格", "Grid")]


PATROL_DAYS = {"working_days": "法定工作日 Official working days", "every_day": "每天 Every day"}
RANKING_BASES = {"mean_of_quarters": "四个季度平均分 Mean of the quarters", "sum_of_quarters": "四个季度总分 Sum of the quarters"}


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    required_patrol_days = fields.String(
        load_default="working_days", validate=validate.OneOf(list(PATROL_DAYS), labels=list(PATROL_DAYS.values())),
        metadata={"title_zh": "应巡查日", "title_en": "Days a patrol is required"})
    patrol_minimum_minutes = fields.Integer(
        load_default=60, validate=validate.Range(min=1, max=24 * 60),
        metadata={"title_zh": "每日最少巡查时长（分钟）", "title_en": "Minimum daily patrol (minutes)"})
    major_matter_report_hours = fields.Integer(
        load_default=2, validate=validate.Range(min=1, max=72),
        metadata={"title_zh": "重大事项及时上报时限（小时）", "title_en": "Major matter reported in time (hours)"})
    honour_bonus_cap = fields.Decimal(
        as_string=True, places=1, rounding=ROUND_HALF_UP, allow_none=True, load_default=None,
        validate=validate.Range(min=0),
        metadata={"title_zh": "荣誉加分上限（空为不封顶）", "title_en": "Cap on honour bonus (empty: no cap)"})
    annual_ranking_basis = fields.String(
        load_default="mean_of_quarters",
        validate=validate.OneOf(list(RANKING_BASES), labels=list(RANKING_BASES.values())),
        metadata={"title_zh": "年度排名依据", "title_en": "Annual ranking basis"})


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("grid_director", "网格室主任", "Grid room director", "grid"),
        Role("community_liaison", "社区网格挂点人员", "Community grid liaison", "grid"),
        Role("community_leading_group", "社区网格化管理考核领导小组成员", "Community assessment leading group member", "grid"),
        Role("street_liaison", "街道科室挂点人员", "Street department liaison", "unit"),
    ]


class PatrolPayload(Schema):
    """A director's patrol of their own grid (网格巡查), with the day's log (网格日志)."""

    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 60))
    log = fields.String(required=True, validate=validate.Length(min=1, max=4000))


INFO_CATEGORIES = {
    "public_opinion": "社情民意", "public_order": "社区治安", "environment": "环境监督整治",
    "disputes": "矛盾纠纷排解", "family_planning": "计划生育管理", "party_building": "党建群团发展",
}


class InfoReportPayload(Schema):
    """Information a director reports to the community (信息上报); ``major`` marks a major matter
    (重大事项) that must reach the community in time."""

    category = fields.String(required=True, validate=validate.OneOf(list(INFO_CATEGORIES)))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    major = fields.Boolean(load_default=False)


class MeetingAttendancePayload(Schema):
    """Signing in at a grid meeting: the Friday-morning community meeting (社区网格调度会) or the
    first-Monday street meeting (街道网格工作调度会)."""

    meeting = fields.String(required=True, validate=validate.OneOf(["community_friday", "street_first_monday"]))


@hookimpl
def gridgov_event_types():
    return [
        EventType("patrol", "网格巡查", "Grid patrol", PatrolPayload),
        EventType("info_report", "信息上报", "Information report", InfoReportPayload),
        EventType("meeting_attendance", "会议签到", "Meeting attendance", MeetingAttendancePayload),
    ]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
