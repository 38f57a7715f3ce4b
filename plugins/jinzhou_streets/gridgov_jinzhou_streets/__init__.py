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

This module reads top to bottom: identity, grid levels, roles, place kinds, event types, and the
hooks that hand over to the modules: :mod:`.settings` (defaults), :mod:`.network` (sections in
exactly one group, violation cases, shift rosters), :mod:`.sheets` (half-month deduction,
quarter, year, one-vote veto), :mod:`.reports` (network, bulletin, selection), :mod:`.console`
(the network map and the shift roster form), :mod:`.demo`.
"""
from decimal import ROUND_HALF_UP

from marshmallow import Schema, ValidationError, fields, validate

from gridgov import hookimpl
from gridgov.plugins import EventType, Level, PlaceKind, PluginInfo, Role

from .network import OPEN_CASES_JOB, VIOLATION_CATEGORY, check_violation, line_problem
from .settings import EIGHT_NOS, FOUR_NOS, VIOLATIONS, Settings  # noqa: F401 (re-exported)

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


def _line(value) -> None:
    problem = line_problem(value)
    if problem:
        raise ValidationError(problem)


class StreetSectionAttributes(Schema):
    """A section of a city-managed street (街路路段), in exactly one block; only streets of 12 m
    and wider are the bureau's. ``line``: its course on the map, [[lng, lat], ...] (WGS 84)."""

    street = fields.String(required=True, validate=validate.Length(min=1, max=100))
    from_to = fields.String(load_default="", validate=validate.Length(max=200),
                            metadata={"title_zh": "起止", "title_en": "From – to"})
    width_m = fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, required=True,
                              validate=validate.Range(min=12, max=200))
    grade = fields.Integer(required=True, validate=validate.OneOf([1, 2]))
    line = fields.Raw(validate=_line,  # optional; absent when the section is not drawn
                      metadata={"title_zh": "路段走向（经纬度折线）", "title_en": "Course (polyline of [lng, lat])"})


@hookimpl
def gridgov_place_kinds():
    return [PlaceKind("street_section", "街路路段", "Street section", StreetSectionAttributes)]


class ViolationPayload(Schema):
    """A violation found on a street section (发现问题), in an open or a covert inspection."""

    violation = fields.String(required=True, validate=validate.OneOf(list(VIOLATIONS)))
    mode = fields.String(required=True, validate=validate.OneOf(["open", "covert"]),
                         metadata={"title_zh": "明查/暗查", "title_en": "Open or covert"})
    by = fields.String(load_default="office", validate=validate.OneOf(["office", "detachment"]),
                       metadata={"title_zh": "检查单位（考评处/支队）", "title_en": "Inspected by (office/detachment)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class VetoPayload(Schema):
    """一票否决: a grave failure recorded against a group (grid) or a person (subject person);
    it removes them from every selection of that calendar year."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@hookimpl
def gridgov_event_types():
    return [EventType("violation", "违章发现", "Violation found", ViolationPayload, check=check_violation,
                      description="明查或暗查在路段上发现的违章，按该路段的标准（八无/四无）。"),
            EventType("veto", "一票否决", "One-vote veto", VetoPayload)]


@hookimpl
def gridgov_case_categories():
    return [VIOLATION_CATEGORY]


@hookimpl
def gridgov_scheduled_jobs():
    return [OPEN_CASES_JOB]


@hookimpl
def gridgov_assessment_sheets():
    from .sheets import SHEETS

    return list(SHEETS)


@hookimpl
def gridgov_reports():
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)


@hookimpl
def gridgov_console_views():
    from .console import views

    return views()
