"""茶山街道网格化管理奖惩办法 — the Chashan Street scheme (gridgov plugin ``chashan``).

A street office (街道办事处) divides its communities (社区) into grids, each run by a grid room
director (网格室主任). Community liaison staff (社区网格挂点人员) and the street departments'
liaison staff (街道科室挂点人员) are attached to the grids. What a grid cannot settle goes to the
community, what the community cannot settle goes to the street (小事不出网格，急事不出社区，
大事不出街道). Directors earn and lose cash every month; communities and departments are scored
out of 100 every quarter.

This module declares identity, grid levels, settings (:mod:`.settings`), roles, event types
(:mod:`.forms`), the sheets — A :mod:`.directors` (monthly ledger and quarterly settlement),
B :mod:`.communities`, C :mod:`.departments`, the annual ranking :mod:`.annual` — and the demo.
"""
from gridgov import hookimpl
from gridgov.plugins import Level, PluginInfo, Role

from . import annual, communities, departments, directors
from .forms import EVENT_TYPES
from .settings import Settings

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


@hookimpl
def gridgov_event_types():
    return list(EVENT_TYPES)


@hookimpl
def gridgov_assessment_sheets():
    return [directors.MONTH, directors.QUARTER, communities.QUARTER, departments.QUARTER, annual.YEAR]


@hookimpl
def gridgov_reports():
    """网格长月度奖惩台账, 社区季度考核排名, 街道科室季度考核明细, 社区年度考核汇总 (:mod:`.reports`)."""
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
