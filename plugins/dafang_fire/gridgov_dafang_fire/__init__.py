"""毕节市大方县 消防安全网格化管理 — the Dafang fire-safety scheme (plugin ``dafang_fire``).

Dafang County (8 communities, 34 townships, 103 key units, 1.08 million people) runs fire safety
on two levels of grid: 34 big grids (大网格: the county fire brigade and the township police
stations) organise, coordinate and guide; 378 small grids (小网格: villages and communities) do
the work — in Dafang town the 8 communities form 19 grid rooms (网格工作室), each staffed by two
police officers and one assistant. The station head is the first responsible person of a
township, the village or community director of a village or community. The brigade checks key
units and key construction sites; stations and area officers check the units they list.
Hazards are rectified, handed off to the brigade in writing, or reported to the county public
security bureau for supervised rectification; a fatal fire is a one-vote veto.

This module wires the scheme together; each part reads on its own:

* :mod:`.settings` — hotline, station quota, grid-room staffing, with their defaults;
* :mod:`.forms` — the record book (checks, publicity), enforcement, fatal fires, government listing;
* :mod:`.hazards` — hazard cases on the core's case workflow and the hand-off chain;
* :mod:`.reports` — headline figures, station quota and veto, hazard ledger, grid responsibility;
* :mod:`.sheets` — the stations' monthly and yearly assessment against the quota, with the veto;
* :mod:`.demo` — the county's grids, registers and the year's activity to date.

Roles and place kinds (the unit and site register, key units marked by their kind) are here.
"""
from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.plugins import Level, PlaceKind, PluginInfo, Role

from .forms import EVENT_TYPES
from .hazards import HAZARD
from .settings import Settings

VERSION = "0.1.0"


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="大方县消防安全网格化管理",
        title_en="Dafang County fire-safety grid management",
        version=VERSION,
        description="县消防大队、乡镇派出所大网格，村（社区）小网格与网格工作室，火灾隐患排查整治。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("县", "County"), Level("大网格", "Big grid"), Level("小网格", "Small grid"),
            Level("网格工作室", "Grid room")]


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("brigade_chief", "消防大队大队长", "Fire brigade chief", "unit"),
        Role("fire_inspector", "消防监督员", "Fire inspector", "unit"),
        Role("station_head", "派出所所长（第一责任人）", "Police station head (first responsible person)", "grid"),
        Role("area_officer", "片区民警", "Area police officer", "grid"),
        Role("assistant", "协勤", "Police assistant", "grid"),
        Role("village_director", "村（社区）主任（第一责任人）", "Village or community director (first responsible person)", "grid"),
    ]


CHECKED_BY = {"brigade": "消防大队", "station": "派出所"}


class UnitAttributes(Schema):
    """An entry of the unit and site register (单位场所网格化划分台账); its archive (单位场所档案)
    is the events recorded against it. ``checked_by`` says whose list it is on: the brigade's
    (key units and key construction sites) or the station's."""

    category = fields.String(required=True, validate=validate.Length(min=1, max=100))
    responsible_person = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                       metadata={"title_zh": "消防安全责任人", "title_en": "Fire safety responsible person"})
    checked_by = fields.String(required=True, validate=validate.OneOf(list(CHECKED_BY)))


@hookimpl
def gridgov_place_kinds():
    return [
        PlaceKind("key_unit", "消防安全重点单位", "Key fire-safety unit", UnitAttributes),
        PlaceKind("construction_site", "重点在建工地", "Key construction site", UnitAttributes),
        PlaceKind("listed_unit", "列管单位", "Listed unit", UnitAttributes),
    ]


@hookimpl
def gridgov_event_types():
    return list(EVENT_TYPES)


@hookimpl
def gridgov_case_categories():
    return [HAZARD]


@hookimpl
def gridgov_reports():
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def gridgov_assessment_sheets():
    from .sheets import SHEETS

    return list(SHEETS)


@hookimpl
def gridgov_console_notices(tenant, today):
    """A warning naming the grid rooms not staffed by 2 officers and 1 assistant (settings)."""
    from gridgov.plugins import Notice

    from .reports import misstaffed_rooms

    rooms = misstaffed_rooms()
    if not rooms:
        return []
    names = "、".join(r.name for r in rooms[:5]) + ("等" if len(rooms) > 5 else "")
    return [Notice("room_staffing", "warning", f"{len(rooms)} 个网格工作室人员配备不符（应2名民警、1名协勤）：{names}",
                   f"{len(rooms)} grid room(s) staffed otherwise than required: {names}")]


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
