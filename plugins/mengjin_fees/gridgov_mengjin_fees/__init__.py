"""孟津县交通规费征稽所 网格化管理工作考核办法 — the Mengjin scheme (plugin ``mengjin_fees``).

The document bears the fee collection office's title, but its body describes a market
supervision sub-bureau (分局) working by grids; the plugin keeps the title's name. The office's
general office (综合办公室) assesses every month, between the 25th and the 30th, on a
100-point scale tied to awards; an inspection group (督察组) checks the comprehensive service
group (综合服务组) and the grid responsible persons (网格责任人), who patrol their grids and keep
the register of "economic households" (经济户口: enterprises and individual businesses, graded
by risk and credit). Branch association cadres (分会干部) are scored out of 50. A named person can
be assessed on another role's sheet ("邵军按网格责任人进行考核": ``Assignment.sheet_override``).

The plugin in modules, each readable on its own — copy it for a new jurisdiction:

* :mod:`.settings` — every amount and threshold with its SCHEMES.md default;
* :mod:`.places` — the economic household register and graded supervision;
* :mod:`.forms` — the event types (violations, briefs, statistics, patrols …) and case categories;
* :mod:`.sheets` — sheets A (service group), B (branch cadres), C (grid responsible persons);
* :mod:`.reports` — the monthly summary and the grid evidence table;
* :mod:`.window` — the monthly assessment window's console notices;
* :mod:`.demo` — a year of a county bureau's records with its published monthly runs.
"""
from gridgov import hookimpl
from gridgov.plugins import Level, PluginInfo, Role

from . import sheets, window
from .forms import CASE_CATEGORIES, EVENT_TYPES
from .places import PLACE_KINDS
from .reports import REPORTS
from .settings import Settings

VERSION = "0.1.0"
# The sheet a grid responsible person is assessed on; an assignment of another role names it in
# ``sheet_override`` to be assessed the same way (邵军).
GRID_RESPONSIBLE_SHEET = sheets.GRID_RESPONSIBLE_SHEET


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(
        title_zh="孟津县交通规费征稽所网格化管理工作考核办法",
        title_en="Mengjin County Traffic Fee Collection Office grid management assessment",
        version=VERSION,
        description="综合服务组、分会干部、网格责任人百分制目标考核，与评优挂钩；每月25日至30日考核。",
    )


@hookimpl
def gridgov_grid_levels():
    return [Level("县局", "County bureau"), Level("分局", "Sub-bureau"), Level("网格", "Grid")]


@hookimpl
def gridgov_settings_schema():
    return Settings


@hookimpl
def gridgov_roles():
    return [
        Role("bureau_leader", "分局领导", "Sub-bureau leader", "unit"),
        Role("office_staff", "综合办公室人员（考核）", "General office staff (assessing)", "unit"),
        Role("inspector", "督察组成员", "Inspection group member", "unit"),
        Role("service_staff", "综合服务组成员", "Comprehensive service group member", "unit"),
        Role("branch_cadre", "分会干部", "Branch association cadre", "unit"),
        Role("grid_responsible", "网格责任人", "Grid responsible person", "grid"),
    ]


@hookimpl
def gridgov_place_kinds():
    return list(PLACE_KINDS)


@hookimpl
def gridgov_event_types():
    return list(EVENT_TYPES)


@hookimpl
def gridgov_case_categories():
    return list(CASE_CATEGORIES)


@hookimpl
def gridgov_assessment_sheets():
    return list(sheets.SHEETS)


@hookimpl
def gridgov_reports():
    return list(REPORTS)


@hookimpl
def gridgov_console_notices(tenant, today):
    return window.notices(tenant, today)


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
