"""站前街道办事处 网格化城市管理奖惩和考评办法 — the Zhanqian Street scheme (plugin ``zhanqian``).

A street office's assessment leading group (考核工作领导小组: a leader, deputies, members)
assesses every level of grid responsible person (各级网格责任人), one sheet per community; each
community director (社区主任) checks how the community's second-level grids (二级网格) run.
The score: investigation rate (排查率) and disposal rate (处置率), public satisfaction from the
民意测评表 survey, the leadership's evaluation, honours and penalties. Inspectors recuse
themselves from their own grids; results stay confidential until published.

This module reads top to bottom: identity, grid levels, settings with their defaults, roles,
event types, demo. The assessment sheet, recusal and publication come with later issues.
"""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PluginInfo, Role

VERSION = "0.1.0"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="站前街道办事处网格化城市管理奖惩和考评办法",
        title_en="Zhanqian Street Office grid-based urban management rewards, penalties and evaluation",
        version=VERSION,
        description="各级网格责任人按社区百分制考评：排查率、处置率、民意满意率、领导评价。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("街道", "Street"), Level("社区", "Community"), Level("二级网格", "Second-level grid")]


def _band(default: str, zh: str, en: str):
    return fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0, max=100), metadata={"title_zh": zh, "title_en": en})


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    required_inspections_per_month = fields.Integer(
        load_default=4, validate=validate.Range(min=1, max=100),
        metadata={"title_zh": "每个网格每月最少排查次数", "title_en": "Inspections required per grid per month"})
    excellent_min = _band("95", "“优秀”最低分", "Lowest score graded excellent")
    good_min = _band("85", "“良好”最低分", "Lowest score graded good")
    pass_min = _band("65", "“合格”最低分", "Lowest score graded pass")

    @validates_schema
    def _bands_descend(self, data, **kwargs):
        if not data["excellent_min"] > data["good_min"] > data["pass_min"]:
            raise ValidationError("must be below excellent_min and above pass_min", field_name="good_min")


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("leading_group_leader", "考核工作领导小组组长", "Assessment leading group leader", "unit"),
        Role("leading_group_deputy", "考核工作领导小组副组长", "Assessment leading group deputy leader", "unit"),
        Role("leading_group_member", "考核工作领导小组成员", "Assessment leading group member", "unit"),
        Role("inspector", "督查组成员", "Inspection group member", "unit"),
        Role("community_director", "社区主任", "Community director", "grid"),
        Role("grid_responsible", "网格责任人", "Grid responsible person", "grid"),
    ]


class InspectionPayload(Schema):
    """One inspection of a grid (网格排查): what was checked and how many problems were found."""

    problems_found = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@hookimpl
def gridgov_event_types():
    return [EventType("inspection", "网格排查", "Grid inspection", InspectionPayload)]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
