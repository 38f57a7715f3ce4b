"""孟津县交通规费征稽所 网格化管理工作考核办法 — the Mengjin scheme (plugin ``mengjin_fees``).

The document bears the fee collection office's title, but its body describes a market
supervision sub-bureau (分局) working by grids; the plugin keeps the title's name. The office's
general office (综合办公室) assesses on a 100-point scale tied to awards; an inspection group
(督察组) checks the comprehensive service group (综合服务组) and the grid responsible persons
(网格责任人), who patrol their grids and keep the register of "economic households" (经济户口:
enterprises and individual businesses, graded by risk and credit). Branch association cadres
(分会干部) are scored out of 50. A named person can be assessed on another role's sheet
("邵军按网格责任人进行考核").

This module reads top to bottom: identity, grid levels, settings with their defaults, roles,
place kinds, event types, demo. The three assessment sheets come with a later issue.
"""
from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PlaceKind, PluginInfo, Role

VERSION = "0.1.0"
# The sheet a grid responsible person is assessed on; an assignment of another role names it in
# ``sheet_override`` to be assessed the same way. Sheets themselves come with the assessments.
GRID_RESPONSIBLE_SHEET = "mengjin_fees.grid_responsible"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="孟津县交通规费征稽所网格化管理工作考核办法",
        title_en="Mengjin County Traffic Fee Collection Office grid management assessment",
        version=VERSION,
        description="综合服务组、分会干部、网格责任人百分制目标考核，与评优挂钩。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("县局", "County bureau"), Level("分局", "Sub-bureau"), Level("网格", "Grid")]


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    service_group_floor_at_zero = fields.Boolean(
        load_default=True,
        metadata={"title_zh": "综合服务组扣分扣完为止", "title_en": "Service group score floors at 0"})


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("bureau_leader", "分局领导", "Sub-bureau leader", "unit"),
        Role("office_staff", "综合办公室人员", "General office staff", "unit"),
        Role("inspector", "督察组成员", "Inspection group member", "unit"),
        Role("service_staff", "综合服务组成员", "Comprehensive service group member", "unit"),
        Role("branch_cadre", "分会干部", "Branch association cadre", "unit"),
        Role("grid_responsible", "网格责任人", "Grid responsible person", "grid"),
    ]


RISK_GRADES = {"low": "低风险", "medium": "中风险", "high": "高风险"}
CREDIT_GRADES = ("A", "B", "C", "D")


class EconomicHouseholdAttributes(Schema):
    """An entry of the economic household register (经济户口): kept identical on paper and in the
    system, supervised by risk (风险度) and credit (信用度) grade."""

    registration_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    operator = fields.String(required=True, validate=validate.Length(min=1, max=100))
    industry = fields.String(load_default="", validate=validate.Length(max=100))
    risk_grade = fields.String(load_default="low", validate=validate.OneOf(list(RISK_GRADES)))
    credit_grade = fields.String(load_default="A", validate=validate.OneOf(CREDIT_GRADES))


class MarketAttributes(Schema):
    """A market (商品交易市场) and its organiser (市场开办者)."""

    market_type = fields.String(required=True, validate=validate.OneOf(["farm", "wholesale", "general"]))
    organiser = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stalls = fields.Integer(load_default=0, validate=validate.Range(min=0))


@hookimpl
def gridgov_place_kinds():
    return [
        PlaceKind("enterprise", "企业", "Enterprise", EconomicHouseholdAttributes),
        PlaceKind("individual_business", "个体工商户", "Individual business", EconomicHouseholdAttributes),
        PlaceKind("market", "商品交易市场", "Market", MarketAttributes),
    ]


class PatrolPayload(Schema):
    """A grid responsible person's patrol (网格巡查) of the grid's streets, markets and businesses."""

    households_visited = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@hookimpl
def gridgov_event_types():
    return [EventType("patrol", "网格巡查", "Grid patrol", PatrolPayload)]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
