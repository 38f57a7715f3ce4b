"""城市社区计生网格化管理 — urban community family-planning grids (plugin ``family_planning``).

A street's communities are divided into zones, pieces and blocks (海宁社区: "二区四片十个责任块",
社区-责任区-责任片-责任块). Each block has a residents' group leader (居民小组长) who visits its
households, backed by community workers (社区工作者). A leader files a daily work sheet
(日工作单): at check-in which households and what to do, at check-out what was done. Of a leader's
¥800 a month, ¥500 is paid monthly and ¥300 withheld and paid at year end by the annual
assessment; each month's amounts are fixed in a pay record on the 1st. The registers follow households, women of childbearing age (visited on schedule),
the floating population, people four months without a check-up (月上报、月清理) and
unregistered or nominal registrations (漏管空挂) — personal data, read by the roles that need
them only, every read audited.

The modules, to copy for a new jurisdiction:

* :mod:`.settings` — every number of the scheme, with its default, and the indicator tree;
* :mod:`.forms` — event types (the forms) and place kinds (the registers);
* :mod:`.rules` — the checks against stored events (one check-in a day, no check-out without it …);
* :mod:`.salary` — pay, the annual assessment sheet and the year-end payout;
* :mod:`.registers` — the visit schedule and the four-month check-up list;
* :mod:`.reports` — salary statements, the no-check-up list, the daily work summary;
* :mod:`.demo` — 海宁社区 with a year of work.
"""
from gridgov import hookimpl, hookspecs
from gridgov.plugins import Level, PluginInfo, Role, ScheduledJob

from . import salary
from .forms import EVENT_TYPES, PLACE_KINDS
from .settings import Settings

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


@hookimpl
def gridgov_place_kinds():
    return list(PLACE_KINDS)


@hookimpl
def gridgov_event_types():
    return list(EVENT_TYPES)


@hookimpl
def gridgov_scheduled_jobs():
    return [ScheduledJob("monthly_pay", "10 0 1 * *", "gridgov_family_planning.salary.record_monthly_pay",
                         "居民小组长月工资记录", "Group leaders' monthly pay records")]


@hookimpl
def gridgov_assessment_sheets():
    return [salary.YEAR]


if hasattr(hookspecs, "gridgov_reports"):  # the core's reports mechanism (gridgov.reports)
    @hookimpl
    def gridgov_reports():
        from .reports import REPORTS

        return list(REPORTS)


@hookimpl
def gridgov_load_demo(tenant, loader):
    from .demo import load

    load(loader)
