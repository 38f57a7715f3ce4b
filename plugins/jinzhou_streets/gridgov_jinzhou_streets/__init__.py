"""锦州市城市管理综合行政执法局 街路网格化管理 — the Jinzhou street scheme (plugin ``jinzhou_streets``).

The city's enforcement bureau manages the 64 city-managed streets at least 12 m wide: the first
row of buildings along them and what is attached. The streets are split into 4 regions
(区域, one per detachment 网管支队), 12 pieces (网片, one per brigade 网管大队, three per
detachment) and 25 blocks (块, one per unit grid group 单元网格小组 of 3–5 people). Every street
section belongs to one block, under the "five fixes" (五定: fixed people, section, standard,
responsibility, reward and penalty). Level-1 streets must show the "eight nos" (八无), level-2
streets the "four nos" (四无). The evaluation office (网格化管理考评处) deducts points from a
100-point standard for every violation found in open or covert inspections (明查/暗查), scores
every half month and publishes a 巡查通报 bulletin.

This module reads top to bottom: identity, grid levels, settings with their defaults, roles,
place kinds, event types, demo. Scoring, bulletins and selections come with later issues.
"""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PlaceKind, PluginInfo, Role

VERSION = "0.1.0"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="锦州市城市管理综合行政执法局街路网格化管理",
        title_en="Jinzhou Urban Management Law Enforcement Bureau street grid management",
        version=VERSION,
        description="市管街路区、片、块三级组网，五定管理，百分制竞赛扣分，半月通报。",
    )


@hookimpl
def gridgov_grid_levels():
    return [
        Level("市局", "City bureau"),
        Level("支队（区域）", "Detachment (region)"),
        Level("大队（网片）", "Brigade (piece)"),
        Level("单元网格小组（块）", "Unit grid group (block)"),
    ]


# The "eight nos" (八无) of level-1 streets and the "four nos" (四无) of level-2 streets.
VIOLATIONS = {
    "outside_business": ("店外经营", "Business outside the shop"),
    "outside_car_service": ("店外洗修车", "Car washing or repair outside the shop"),
    "outside_piling": ("店外堆放", "Piling outside the shop"),
    "fixed_stall": ("固定摊点", "Fixed stall"),
    "road_market": ("自发马路市场", "Spontaneous road market"),
    "illegal_construction": ("违章建设", "Illegal construction"),
    "hanging_items": ("各类悬挂物", "Hanging items"),
    "window_posters": ("影响市容的玻璃字画", "Window posters spoiling the streetscape"),
    "long_term_outside_business": ("长期店外经营", "Long-term business outside the shop"),
    "unauthorised_banners": ("擅自悬挂标语条幅", "Unauthorised banners or slogans"),
}
EIGHT_NOS = ("outside_business", "outside_car_service", "outside_piling", "fixed_stall", "road_market",
             "illegal_construction", "hanging_items", "window_posters")
FOUR_NOS = ("road_market", "illegal_construction", "long_term_outside_business", "unauthorised_banners")


class _Selections(Schema):
    """How many the quarterly selection (评先选优) names; the source says "top N" only."""

    advanced_groups_per_quarter = fields.Integer(
        load_default=3, validate=validate.Range(min=1, max=25),
        metadata={"title_zh": "每季度评选先进网管小组数", "title_en": "Advanced groups selected per quarter"})
    advanced_individuals_per_quarter = fields.Integer(
        load_default=5, validate=validate.Range(min=1, max=200),
        metadata={"title_zh": "每季度评选网管先进个人数", "title_en": "Advanced individuals selected per quarter"})


def _deduction(zh: str, en: str):
    return fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal("1.0"),
                          validate=validate.Range(min=0, max=100),
                          metadata={"title_zh": f"每处扣分：{zh}", "title_en": f"Points deducted per violation: {en}"})


# The source gives the deduction standard (百分制竞赛扣分标准) but not its figures: one point per
# violation of every type, until a tenant sets its own, field ``deduction_<type>``.
Settings = _Selections.from_dict(
    {f"deduction_{key}": _deduction(zh, en) for key, (zh, en) in VIOLATIONS.items()}, name="Settings")


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("evaluator", "网格化管理考评处人员", "Evaluation office staff", "unit"),
        Role("detachment_head", "网管支队队长", "Detachment head", "grid"),
        Role("brigade_head", "网管大队队长", "Brigade head", "grid"),
        Role("group_leader", "单元网格小组组长", "Unit grid group leader", "grid"),
        Role("group_member", "网管队员", "Unit grid group member", "grid"),
    ]


class StreetSectionAttributes(Schema):
    """A section of a city-managed street (街路路段), in exactly one block; only streets of 12 m
    and wider are the bureau's."""

    street = fields.String(required=True, validate=validate.Length(min=1, max=100))
    from_to = fields.String(load_default="", validate=validate.Length(max=200),
                            metadata={"title_zh": "起止", "title_en": "From – to"})
    width_m = fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, required=True,
                              validate=validate.Range(min=12, max=200))
    grade = fields.Integer(required=True, validate=validate.OneOf([1, 2]))


@hookimpl
def gridgov_place_kinds():
    return [PlaceKind("street_section", "街路路段", "Street section", StreetSectionAttributes)]


class ViolationPayload(Schema):
    """A violation found on a street section (发现问题), in an open or a covert inspection."""

    violation = fields.String(required=True, validate=validate.OneOf(list(VIOLATIONS)))
    mode = fields.String(required=True, validate=validate.OneOf(["open", "covert"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@hookimpl
def gridgov_event_types():
    return [EventType("violation", "违章发现", "Violation found", ViolationPayload)]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
