"""Plugin loading and the registry of what plugins declare.

One :class:`pluggy.PluginManager` per app, built in ``create_app``. Plugins come from the
entry-point group ``gridgov.plugins`` (switch autoloading off with ``GRIDGOV_PLUGIN_AUTOLOAD =
False``, restrict it with the ``GRIDGOV_PLUGINS`` allow-list) and from ``GRIDGOV_EXTRA_PLUGINS``
(objects registered by tests). The core's own declarations are the ``core`` plugin
(:mod:`gridgov.builtin`), written with the same hooks.
"""
from __future__ import annotations

import dataclasses
from importlib.metadata import entry_points
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

import marshmallow
import pluggy
from croniter import croniter

from . import hookspecs

ENTRY_POINT_GROUP = "gridgov.plugins"
CORE = "core"
hookimpl = pluggy.HookimplMarker("gridgov")


class PluginError(RuntimeError):
    """A plugin's declarations are invalid or collide with another plugin's."""


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    title_zh: str
    title_en: str
    version: str
    description: str = ""
    name: str = ""  # filled in from the entry-point name

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


@dataclasses.dataclass(frozen=True)
class Level:
    title_zh: str
    title_en: str


@dataclasses.dataclass(frozen=True)
class Role:
    key: str
    title_zh: str
    title_en: str
    scope: str = "grid"  # "grid" or "unit"
    plugin: str = ""


@dataclasses.dataclass(frozen=True)
class EventType:
    """A form. ``check(event, earlier)`` (optional) checks an event against stored data before
    it is written — see ``gridgov_event_types``: ``event`` is the validated row (a dict with
    ``type``, ``occurred_at``, ``grid_id``, ``actor_person_id``, ``payload`` ...), ``earlier`` the
    rows of the same batch before it; it returns None, or errors keyed by field, which refuse
    the whole batch."""

    key: str
    title_zh: str
    title_en: str
    schema: type[marshmallow.Schema]
    description: str = ""
    plugin: str = ""
    check: Callable[[dict, list], Mapping | None] | None = None


@dataclasses.dataclass(frozen=True)
class PlaceKind:
    """A kind of register entry. ``personal=True``: its entries are personal data (户籍, 育龄妇女):
    only logins whose tenant role is in ``readers`` may read them (API and console answer 403
    to others, and leave them out of unfiltered lists), and every read of one is written to the
    audit log (action ``read``, one entry per record).

    ``grid_scoped_readers``: those of the ``readers`` who read only the entries in the grids they
    are responsible for — the grids (and every grid below them) where the person linked to the
    login (``Person.user_id``) holds an assignment in force today. A login of such a role
    without a person, or whose person holds no grid today, reads none."""

    key: str
    title_zh: str
    title_en: str
    schema: type[marshmallow.Schema] | None = None
    plugin: str = ""
    personal: bool = False
    readers: tuple[str, ...] = ("tenant_admin",)
    grid_scoped_readers: tuple[str, ...] = ()

    def may_read(self, tenant_role: str | None) -> bool:
        return not self.personal or tenant_role in self.readers


@dataclasses.dataclass(frozen=True)
class Notice:
    """A notice the console shows on every page to a tenant's administrators and assessors
    (see ``gridgov_console_notices``): ``level`` ``"info"`` or ``"warning"``; ``link`` an
    optional URL the notice's text points to."""

    key: str
    level: str
    text_zh: str
    text_en: str
    link: str = ""

    def text(self, locale: str = "zh") -> str:
        return self.text_en if str(locale).startswith("en") else self.text_zh


@dataclasses.dataclass(frozen=True)
class ScheduledJob:
    """A job run on a cron schedule (see ``gridgov_scheduled_jobs``); ``func_path`` is the
    dotted import path of a module-level function, imported only when the job runs."""

    key: str
    cron: str
    func_path: str
    title_zh: str
    title_en: str
    per_tenant: bool = True
    plugin: str = ""

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


# Severity levels of a case (案件等级), mildest first: the core's fixed list.
SEVERITIES = {
    "normal": ("一般", "Normal"),
    "serious": ("较大", "Serious"),
    "major": ("重大", "Major"),
    "urgent": ("紧急", "Urgent"),
}
# Stages a category may give deadlines for; "close" is optional (see hookspecs).
DEADLINE_STAGES = ("accept", "resolve", "close")
REQUIRED_STAGES = ("accept", "resolve")
DEADLINE_UNITS = ("hours", "working_days")


@dataclasses.dataclass(frozen=True)
class Deadline:
    """A time limit: ``amount`` calendar hours, or ``amount`` official working days (the end
    of the n-th working day after the day the clock starts)."""

    amount: int
    unit: str  # "hours" | "working_days"


@dataclasses.dataclass(frozen=True)
class CaseCategory:
    key: str
    title_zh: str
    title_en: str
    deadlines: Mapping[str, Mapping[str, Deadline]]  # stage -> severity -> Deadline
    handling_unit_kind: str | None = None
    pauses_when_waiting: bool = False
    description: str = ""
    plugin: str = ""

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh

    def deadline(self, stage: str, severity: str) -> Deadline | None:
        return self.deadlines.get(stage, {}).get(severity)


def _check_category(plugin: str, cat: CaseCategory) -> None:
    """Refuse a deadline table with a missing stage or severity, or a malformed deadline."""
    where = f"case category {cat.key!r} of {plugin!r}"
    unknown = set(cat.deadlines) - set(DEADLINE_STAGES)
    if unknown:
        raise PluginError(f"{where}: unknown deadline stage(s) {sorted(unknown)}; stages are {DEADLINE_STAGES}")
    for stage in REQUIRED_STAGES:
        if stage not in cat.deadlines:
            raise PluginError(f"{where}: no {stage!r} deadlines")
    for stage, table in cat.deadlines.items():
        if set(table) != set(SEVERITIES):
            raise PluginError(f"{where}: {stage!r} deadlines must name exactly the severities {list(SEVERITIES)}")
        for severity, dl in table.items():
            if not isinstance(dl, Deadline) or dl.unit not in DEADLINE_UNITS \
                    or isinstance(dl.amount, bool) or not isinstance(dl.amount, int) or dl.amount < 1:
                raise PluginError(f"{where}: {stage}/{severity} needs Deadline(amount >= 1, unit in {DEADLINE_UNITS})")


# -- assessment sheets (hook ``gridgov_assessment_sheets``; the engine is gridgov.assessment) ----

SUBJECT_KINDS = {"person": ("人员", "Person"), "grid": ("网格", "Grid"), "unit": ("单位", "Unit")}
PERIOD_KINDS = {"month": ("月度", "Monthly"), "half_month": ("半月", "Half-monthly"),
                "quarter": ("季度", "Quarterly"), "year": ("年度", "Yearly")}
ITEM_KINDS = ("computed", "judged")
ITEM_ROLES = ("points", "bonus", "penalty")


@dataclasses.dataclass(frozen=True)
class SheetItem:
    """One line of a score sheet. ``role``: ``"points"`` items add up to the base score,
    ``"bonus"`` items add to it (加分), ``"penalty"`` items (points given as a positive number)
    are deducted (扣分). A ``"judged"`` item is entered by an assessor within
    [``min_points``, ``max_points``]; a ``"computed"`` one comes from the scoring function.
    ``max_points`` None means no maximum (an uncapped bonus, a money-only line).
    ``judged_per="month"``: a judged item of a quarterly or yearly sheet entered for each month
    (its ``period_start`` is the month's first day; read with ``Facts.judged_months``)."""

    key: str
    title_zh: str
    title_en: str
    max_points: Decimal | None = None
    kind: str = "computed"
    role: str = "points"
    min_points: Decimal = Decimal(0)
    description: str = ""
    judged_per: str | None = None

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


@dataclasses.dataclass(frozen=True)
class GradeBand:
    """A grade (等次) for totals of at least ``minimum``; ``minimum`` None is the lowest band."""

    key: str
    title_zh: str
    title_en: str
    minimum: Decimal | None

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


# SCHEMES.md: 优秀 ≥ 95, 良好 ≥ 85, 合格 ≥ 65, 不合格 < 65 (tenants change the thresholds).
DEFAULT_GRADE_BANDS = (
    GradeBand("excellent", "优秀", "Excellent", Decimal(95)),
    GradeBand("good", "良好", "Good", Decimal(85)),
    GradeBand("pass", "合格", "Pass", Decimal(65)),
    GradeBand("fail", "不合格", "Fail", None),
)


@dataclasses.dataclass(frozen=True)
class Sheet:
    """An assessment sheet (考核表) a plugin declares; see ``gridgov_assessment_sheets``.

    ``score(facts)`` → {subject id: :class:`gridgov.assessment.SubjectScore`}; ``awards(standing,
    settings)`` → [:class:`gridgov.assessment.Award`] for each subject not vetoed, after grading
    and ranking. Default subjects: people holding one of ``roles`` (or assigned to this sheet by
    ``Assignment.sheet_override``) during the period; grids at one of ``grid_levels`` (depth,
    root 0); units of one of ``unit_kinds``. ``bands_setting`` names the field of the plugin's
    settings holding the grade thresholds (see :func:`gridgov.assessment.grade_bands_field`).
    """

    key: str
    title_zh: str
    title_en: str
    subject_kind: str
    period_kind: str
    items: tuple[SheetItem, ...]
    score: Callable[..., Mapping]
    grade_bands: tuple[GradeBand, ...] = DEFAULT_GRADE_BANDS
    bands_setting: str | None = "grade_bands"
    awards: Callable[..., list] | None = None
    roles: tuple[str, ...] = ()
    grid_levels: tuple[int, ...] = ()
    unit_kinds: tuple[str, ...] = ()
    description: str = ""
    plugin: str = ""

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh

    def item(self, key: str) -> SheetItem | None:
        return next((i for i in self.items if i.key == key), None)


def _check_sheet(plugin: str, sheet: Sheet) -> None:
    """Refuse a sheet the engine could not run."""
    where = f"assessment sheet {sheet.key!r} of {plugin!r}"
    if sheet.subject_kind not in SUBJECT_KINDS:
        raise PluginError(f"{where}: subject_kind must be one of {list(SUBJECT_KINDS)}")
    if sheet.period_kind not in PERIOD_KINDS:
        raise PluginError(f"{where}: period_kind must be one of {list(PERIOD_KINDS)}")
    if not callable(sheet.score) or (sheet.awards is not None and not callable(sheet.awards)):
        raise PluginError(f"{where}: score (and awards, if given) must be callables")
    keys = [i.key for i in sheet.items]
    if not keys or len(set(keys)) != len(keys):
        raise PluginError(f"{where}: items must be given, with distinct keys")
    for item in sheet.items:
        if item.kind not in ITEM_KINDS or item.role not in ITEM_ROLES:
            raise PluginError(f"{where}: item {item.key!r} needs kind in {ITEM_KINDS} and role in {ITEM_ROLES}")
        if item.kind == "judged" and (item.max_points is None or item.max_points < item.min_points):
            raise PluginError(f"{where}: judged item {item.key!r} needs max_points >= min_points")
        if item.judged_per is not None and (item.kind != "judged" or item.judged_per != "month"
                                            or sheet.period_kind not in ("quarter", "year")):
            raise PluginError(f"{where}: item {item.key!r}: judged_per='month' is for judged items of "
                              "quarterly or yearly sheets")
    bands = sheet.grade_bands
    minimums = [b.minimum for b in bands[:-1]]
    if not bands or bands[-1].minimum is not None or None in minimums or minimums != sorted(minimums, reverse=True):
        raise PluginError(f"{where}: grade bands go from the highest minimum down to one band with minimum None")


# -- reports (hook ``gridgov_reports``; rendering and access in gridgov.reports) ----------------

REPORT_NEEDS = ("run", "period", "none")


@dataclasses.dataclass(frozen=True)
class Report:
    """A report (报表) a plugin declares; see ``gridgov_reports`` and :mod:`gridgov.reports`.

    ``build(request)`` receives a :class:`gridgov.reports.ReportRequest` and returns a
    :class:`gridgov.reports.ReportTable`; the core renders it as a console page, CSV, XLSX and
    JSON. ``needs``: ``"run"`` — a run of one of ``sheets`` (full keys, ``"chashan.communities"``;
    empty means any sheet); ``"period"`` — a period of ``period_kind``; ``"none"`` — nothing.
    ``published_readers``: any user of the tenant may read it once the run is published
    (otherwise assessors and tenant administrators only)."""

    key: str
    title_zh: str
    title_en: str
    build: Callable[..., Any]
    needs: str = "run"
    sheets: tuple[str, ...] = ()
    period_kind: str | None = None
    published_readers: bool = False
    description: str = ""
    plugin: str = ""

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


def _check_report(plugin: str, report: Report) -> None:
    where = f"report {report.key!r} of {plugin!r}"
    if not callable(report.build):
        raise PluginError(f"{where}: build must be a callable")
    if report.needs not in REPORT_NEEDS:
        raise PluginError(f"{where}: needs must be one of {list(REPORT_NEEDS)}")
    if report.needs == "period" and report.period_kind not in PERIOD_KINDS:
        raise PluginError(f"{where}: needs='period' requires period_kind in {list(PERIOD_KINDS)}")
    if isinstance(report.sheets, str):
        raise PluginError(f"{where}: sheets is a tuple of sheet keys, not a string")


def _namespaced(plugin: str, key: str) -> str:
    if "." in key:
        ns, _, short = key.partition(".")
        if ns != plugin or not short:
            raise PluginError(f"plugin {plugin!r} declares {key!r} in another plugin's namespace")
        return key
    return f"{plugin}.{key}"


class Registry:
    """What every loaded plugin declares, keyed by namespaced key. Built once per app."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.info: dict[str, PluginInfo] = {}
        self.levels: dict[str, list[Level]] = {}
        self.roles: dict[str, Role] = {}
        self.event_types: dict[str, EventType] = {}
        self.place_kinds: dict[str, PlaceKind] = {}
        self.scheduled_jobs: dict[str, ScheduledJob] = {}
        self.case_categories: dict[str, CaseCategory] = {}
        self.settings_schemas: dict[str, type[marshmallow.Schema]] = {}
        self.sheets: dict[str, Sheet] = {}
        self.reports: dict[str, Report] = {}
        for name in self.plugin_names():
            self._collect(name)

    def plugin_names(self) -> list[str]:
        names = [n for n, _ in self.pm.list_name_plugin() if n is not None]
        return sorted(names, key=lambda n: (n != CORE, n))

    def call(self, name: str, hook: str, **kwargs: Any):
        """Call one hook of one plugin only."""
        plugin = self.pm.get_plugin(name)
        others = [p for n, p in self.pm.list_name_plugin() if p is not plugin]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)

    def _add(self, table: dict, plugin: str, item, what: str):
        key = _namespaced(plugin, item.key)
        if key in table:
            raise PluginError(f"{what} {key!r} is declared twice")
        table[key] = dataclasses.replace(item, key=key, plugin=plugin)

    def _collect(self, name: str) -> None:
        info = self.call(name, "gridgov_plugin_info")
        if not isinstance(info, PluginInfo):
            raise PluginError(f"plugin {name!r} does not identify itself (gridgov_plugin_info)")
        self.info[name] = dataclasses.replace(info, name=name)
        levels = self.call(name, "gridgov_grid_levels")
        if levels:
            self.levels[name] = list(levels)
        for group in self.call(name, "gridgov_roles"):
            for role in group:
                if role.scope not in ("grid", "unit"):
                    raise PluginError(f"role {role.key!r} of {name!r}: scope must be 'grid' or 'unit'")
                self._add(self.roles, name, role, "role")
        for group in self.call(name, "gridgov_event_types"):
            for et in group:
                if not (isinstance(et.schema, type) and issubclass(et.schema, marshmallow.Schema)):
                    raise PluginError(f"event type {et.key!r} of {name!r} has no marshmallow schema")
                if et.check is not None and not callable(et.check):
                    raise PluginError(f"event type {et.key!r} of {name!r}: check must be a callable")
                self._add(self.event_types, name, et, "event type")
        for group in self.call(name, "gridgov_place_kinds"):
            for kind in group:
                self._add(self.place_kinds, name, kind, "place kind")
        for group in self.call(name, "gridgov_scheduled_jobs"):
            for job in group:
                if not croniter.is_valid(job.cron):
                    raise PluginError(f"scheduled job {job.key!r} of {name!r}: invalid cron expression {job.cron!r}")
                self._add(self.scheduled_jobs, name, job, "scheduled job")
        for group in self.call(name, "gridgov_case_categories"):
            for cat in group:
                _check_category(name, cat)
                self._add(self.case_categories, name, cat, "case category")
        for group in self.call(name, "gridgov_assessment_sheets"):
            for sheet in group:
                _check_sheet(name, sheet)
                self._add(self.sheets, name, sheet, "assessment sheet")
        for group in self.call(name, "gridgov_reports"):
            for report in group or ():
                _check_report(name, report)
                self._add(self.reports, name, report, "report")
        schema = self.call(name, "gridgov_settings_schema")
        if schema is not None:
            self.settings_schemas[name] = schema

    # -- per tenant -------------------------------------------------------------------------

    @staticmethod
    def enabled(tenant) -> list[str]:
        return [CORE] + [p for p in (tenant.enabled_plugins or []) if p != CORE]

    def for_tenant(self, tenant) -> "TenantPlugins":
        return TenantPlugins(self, tenant)


class TenantPlugins:
    """The registry as one tenant sees it: only the plugins it enables."""

    def __init__(self, registry: Registry, tenant):
        self.registry = registry
        self.tenant = tenant
        self.names = [n for n in Registry.enabled(tenant) if n in registry.info]

    def _filter(self, table: dict) -> dict:
        return {k: v for k, v in table.items() if v.plugin in self.names}

    @property
    def event_types(self) -> dict[str, EventType]:
        return self._filter(self.registry.event_types)

    @property
    def place_kinds(self) -> dict[str, PlaceKind]:
        return self._filter(self.registry.place_kinds)

    @property
    def roles(self) -> dict[str, Role]:
        return self._filter(self.registry.roles)

    @property
    def scheduled_jobs(self) -> dict[str, ScheduledJob]:
        return self._filter(self.registry.scheduled_jobs)

    @property
    def case_categories(self) -> dict[str, CaseCategory]:
        return self._filter(self.registry.case_categories)

    @property
    def sheets(self) -> dict[str, Sheet]:
        return self._filter(self.registry.sheets)

    @property
    def reports(self) -> dict[str, Report]:
        return self._filter(self.registry.reports)

    def levels(self) -> list[Level]:
        for name in reversed(self.names):  # a scheme's levels win over the core's generic ones
            if name in self.registry.levels:
                return self.registry.levels[name]
        return []

    def level_name(self, depth: int, locale: str = "zh") -> str:
        levels = self.levels()
        if depth < len(levels):
            lv = levels[depth]
            return lv.title_en if str(locale).startswith("en") else lv.title_zh
        return f"L{depth}"

    def call(self, hook: str, **kwargs: Any) -> list:
        """Call a hook on the enabled plugins only (pluggy's subset caller)."""
        pm = self.registry.pm
        disabled = [p for n, p in pm.list_name_plugin() if n not in self.names]
        return pm.subset_hook_caller(hook, remove_plugins=disabled)(**kwargs)


def build_plugin_manager(autoload: bool = True, allow: Iterable[str] | None = None, extra: Iterable = ()) -> pluggy.PluginManager:
    from . import builtin

    pm = pluggy.PluginManager("gridgov")
    pm.add_hookspecs(hookspecs)
    pm.register(builtin, name=CORE)
    if autoload:
        allowed = set(allow) if allow is not None else None
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if allowed is not None and ep.name not in allowed:
                continue
            if ep.name == CORE or pm.has_plugin(ep.name):
                raise PluginError(f"two plugins are named {ep.name!r}")
            pm.register(ep.load(), name=ep.name)
    for item in extra:
        name, plugin = item if isinstance(item, tuple) else (getattr(item, "__name__", None), item)
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm
