"""站前街道办事处 网格化城市管理奖惩和考评办法 — the Zhanqian Street scheme (plugin ``zhanqian``).

A street office's assessment leading group (考核工作领导小组: a leader, deputies, members)
assesses every level of grid responsible person (各级网格责任人), one sheet per community; each
community director (社区主任) checks how the community's second-level grids (二级网格) run.
The score: investigation rate (排查率) and disposal rate (处置率), public satisfaction from the
民意测评表 survey, the leadership's evaluation, honours and penalties. Inspectors recuse
themselves from their own grids; results stay confidential until published; every finding fed
back to a community is rectified to closure.

This module only wires the scheme together; each part reads on its own:

* :mod:`.settings` — every tunable number and choice, with the defaults of SCHEMES.md;
* :mod:`.forms` — the event types, with the recusal and own-community checks;
* :mod:`.rectification` — findings → rectification cases, and the open ones per community;
* :mod:`.sheets` — the monthly sheet, the quarterly rating and the annual summary;
* :mod:`.reports` — ranking, quarterly rating, annual summary and the evidence archive;
* :mod:`.demo` — a year of the street's data.

Who assesses: the leading group's logins hold the tenant role ``assessor`` (the core's
permission to enter judged items, run and publish assessments, and read them before
publication); community directors log in as ``field_staff`` and record their monthly checks.
"""
from gridgov import hookimpl
from gridgov.plugins import Level, PluginInfo, Role

from .forms import EVENT_TYPES
from .rectification import FEED_BACK_JOB, RECTIFICATION
from .settings import Settings
from .sheets import SHEETS

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


@hookimpl
def gridgov_event_types():
    return list(EVENT_TYPES)


@hookimpl
def gridgov_case_categories():
    return [RECTIFICATION]


@hookimpl
def gridgov_scheduled_jobs():
    return [FEED_BACK_JOB]


@hookimpl
def gridgov_assessment_sheets():
    return list(SHEETS)


@hookimpl
def gridgov_reports():
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
