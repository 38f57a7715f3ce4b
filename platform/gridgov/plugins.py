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
from typing import Any, Iterable, Mapping

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
    key: str
    title_zh: str
    title_en: str
    schema: type[marshmallow.Schema]
    description: str = ""
    plugin: str = ""


@dataclasses.dataclass(frozen=True)
class PlaceKind:
    key: str
    title_zh: str
    title_en: str
    schema: type[marshmallow.Schema] | None = None
    plugin: str = ""


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
