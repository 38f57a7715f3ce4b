"""The hooks a gridgov plugin implements — the whole contract, in one place.

A plugin is a module or object with functions decorated by ``gridgov.hookimpl`` whose names are
the hook names below. It is found through the entry-point group ``gridgov.plugins``; the entry
point's name is the plugin's *name* (``chashan``), and everything the plugin declares is
namespaced by it: an event type ``patrol`` declared by ``chashan`` is ``chashan.patrol``
everywhere else. Two plugins can never claim the same type; a plugin that declares a key in
another plugin's namespace, or the same key twice, is refused at start-up.

Every hook is called with keyword arguments only, and only for the tenants that enable the
plugin (the core's own plugin, ``core``, is always enabled). Hooks that describe a plugin
(identity, levels, roles, types, kinds, settings) are called once when the app starts and their
answers are kept in the :class:`gridgov.plugins.Registry`; ``gridgov_load_demo`` is called by
``gridgov demo load``.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("gridgov")


@hookspec(firstresult=True)
def gridgov_plugin_info():
    """Identify the plugin.

    :returns: a :class:`gridgov.plugins.PluginInfo` — its Chinese and English titles, its
        version (the *scheme version* recorded with every assessment), and a one-line
        description. Required: a plugin without it is refused at start-up.
    """


@hookspec(firstresult=True)
def gridgov_grid_levels():
    """Name the levels of the grid tree a tenant of this scheme uses by default.

    :returns: a list of :class:`gridgov.plugins.Level`, root first — e.g. 茶山:
        ``[Level("街道", "Street"), Level("社区", "Community"), Level("网格", "Grid")]``.
        A tenant's grids at depth *n* are named by the *n*-th level of its first enabled plugin
        that declares levels.
    """


@hookspec
def gridgov_roles():
    """Declare the staff roles people hold through assignments in this scheme.

    :returns: a list of :class:`gridgov.plugins.Role` (key, Chinese and English title, and
        ``scope``: ``"grid"`` or ``"unit"``, what the assignment points at). Keys are
        namespaced: ``grid_director`` from ``chashan`` becomes ``chashan.grid_director``.
    """


@hookspec
def gridgov_event_types():
    """Declare the event types (the "forms") this scheme records.

    :returns: a list of :class:`gridgov.plugins.EventType`, each with a marshmallow
        ``Schema`` class for its payload. The payload of every event of that type is loaded
        through the schema before it is stored (unknown fields refused, as marshmallow 4 does
        by default); ``Decimal`` and ``date`` values are stored as strings.

    A schema sees one payload; a rule about *other* events (计生: no check-out without that
    day's check-in, one check-in a day) goes in the type's optional ``check(event, earlier)``
    callable. It is called after every event of a batch passed validation, inside the
    request's transaction and tenant scope, in input order: ``event`` is the validated row as a
    dict (``type``, ``occurred_at`` — an aware datetime —, ``grid_id``, ``actor_person_id``,
    ``subject_person_id``, ``place_id``, ``amends_id``, ``voids_id``, ``payload`` as it will be
    stored), ``earlier`` the rows of the same batch before it (not yet written: query the stored
    events and look through ``earlier``). It returns None, or errors keyed by field
    (``{"occurred_at": ["no check-in on 2026-03-02"]}``), which refuse the whole batch (422),
    nothing written. Replays of an idempotency key are not checked again.
    """


@hookspec
def gridgov_place_kinds():
    """Declare the kinds of register entries (places) this scheme keeps.

    :returns: a list of :class:`gridgov.plugins.PlaceKind`, each with an optional marshmallow
        ``Schema`` class validating the place's ``attributes``. A kind whose entries are
        personal data (a household, a woman of childbearing age) sets ``personal=True`` and
        ``readers`` (the tenant roles of the logins that need them, default tenant
        administrators): the register API and console answer 403 to any other login, leave
        such entries out of an unfiltered list, and write an audit entry (action ``read``) for
        each personal entry they show.
    """


@hookspec(firstresult=True)
def gridgov_settings_schema():
    """Declare the tenant settings of this scheme.

    :returns: a marshmallow ``Schema`` class. Every field carries its default as
        ``load_default`` (the defaults of SCHEMES.md); a tenant's stored settings are loaded
        through it, so a setting the tenant never touched reads as the default. Titles for the
        console go in each field's ``metadata={"title_zh": ..., "title_en": ...}``.
    """


@hookspec
def gridgov_load_demo(tenant, loader):
    """Fill a demo tenant of this scheme with a realistic grid tree, units, staff and places.

    Called by ``gridgov demo load`` for the demo tenant created for this plugin, inside that
    tenant's scope and one transaction.

    :param tenant: the :class:`gridgov.models.Tenant`, already enabled for the plugin.
    :param loader: a :class:`gridgov.demo.DemoLoader` with helpers to add grids, units,
        people, assignments, places, events and logins.
    """


@hookspec
def gridgov_case_categories():
    """Declare the categories of cases (案件类别) this scheme handles, with their deadlines.

    :returns: a list of :class:`gridgov.plugins.CaseCategory`. Keys are namespaced like event
        types (``hazard`` from ``dafang_fire`` becomes ``dafang_fire.hazard``). Each category
        gives ``deadlines``: a mapping *stage* → *severity* → :class:`gridgov.plugins.Deadline`
        (an ``amount`` of ``"hours"`` — calendar hours — or of ``"working_days"`` of the official
        Chinese calendar, see :mod:`gridgov.workdays`). Stages:

        * ``"accept"`` (立案时限, required): from the report to its acceptance or rejection;
        * ``"resolve"`` (处置时限, required): from acceptance to the case being resolved;
        * ``"close"`` (结案时限, optional): from acceptance to the case being closed.

        Every stage given names a deadline for each severity of
        :data:`gridgov.plugins.SEVERITIES` (一般 ``normal``, 较大 ``serious``, 重大 ``major``,
        紧急 ``urgent``). ``handling_unit_kind`` (optional) is the :attr:`Unit.kind` that
        normally handles the category: a dispatch without a unit picks the unit of that kind
        attached to the case's grid or the nearest grid above it. ``pauses_when_waiting``
        allows a case to wait on someone outside (挂起) with its deadlines paused.
        A category with a malformed deadline table is refused at start-up.
    """


@hookspec
def gridgov_console_notices(tenant, today):
    """Name what the console should remind a tenant's administrators and assessors of today.

    Called while the console renders any page for a tenant administrator or assessor of
    ``tenant`` (a tenant that enables the plugin), inside that tenant's scope; ``today`` is the
    local date in the tenant's time zone. Returns a list of :class:`gridgov.plugins.Notice`
    (``key``, ``level`` "info" or "warning", ``text_zh``, ``text_en``, optional ``link``), shown
    as banners under the working-day calendar's. Keep it cheap — a query or two — since it runs
    on every page; a plugin whose hook raises is logged and left out, the page still renders.
    An assessment window (月度考核 between the 25th and the 30th) is the typical use.
    """


@hookspec
def gridgov_scheduled_jobs():
    """Declare the jobs this scheme runs on a schedule (定时任务).

    :returns: a list of :class:`gridgov.plugins.ScheduledJob`: a ``key`` (namespaced like event
        types: ``monthly_scores`` from ``chashan`` becomes ``chashan.monthly_scores``), a
        five-field ``cron`` expression (``"*/15 * * * *"``; an invalid one is refused at
        start-up), the dotted import path ``func_path`` of a module-level function (imported
        only when the job runs, so declaring it imports nothing), and Chinese and English
        titles shown in the console's job list.

    With ``per_tenant=True`` (the default) the job runs once per schedule slot for *each*
    tenant that enables the plugin, inside that tenant's scope (:func:`gridgov.tenancy.tenant_scope`),
    the cron read in the tenant's time zone; the function is called with no arguments and reads
    its tenant with :func:`gridgov.tenancy.current_tenant_id`. With ``per_tenant=False`` it runs
    once per slot for the platform, with no scope set (the function enters
    :func:`gridgov.tenancy.platform_scope` itself if it must), the cron read in the platform's
    time zone (``BABEL_DEFAULT_TIMEZONE``).

    A slot runs exactly once however many schedulers are running (``gridgov worker`` processes,
    or the embedded scheduler of ``gridgov serve``); a slot missed while no scheduler ran is
    run once when one starts again, earlier missed slots are skipped. Like every job, the
    function's writes are committed together when it returns, and it is retried on failure —
    it must be safe to run again. See :mod:`gridgov.jobs`.
    """


@hookspec
def gridgov_assessment_sheets():
    """Declare the assessment sheets (考核表) of this scheme and how each is scored.

    :returns: a list of :class:`gridgov.plugins.Sheet`. Keys are namespaced like event types
        (``community`` from ``chashan`` becomes ``chashan.community``); two sheets with one key,
        or a sheet the engine could not run (unknown subject or period kind, duplicate item
        keys, a judged item without a range, grade bands out of order), are refused at start-up.

    A sheet names its subjects' kind (``"person"``, ``"grid"`` or ``"unit"``), its period
    (``"month"``, ``"half_month"``, ``"quarter"``, ``"year"`` in the tenant's time zone), its
    line items (:class:`gridgov.plugins.SheetItem`: points, bonus or penalty; computed or
    judged), its grade bands (thresholds read from the tenant's settings, see
    :func:`gridgov.assessment.grade_bands_field`) and two functions:

    * ``score(facts)`` — called by the engine inside the tenant's scope with a
      :class:`gridgov.assessment.Facts` (counts of events per subject and day, case metrics,
      working days, judged entries and the plugin's settings, all computed in SQL by the
      core); it returns ``{subject id: gridgov.assessment.SubjectScore}`` with one
      :class:`gridgov.assessment.ItemScore` per item of the sheet. It must be a pure function
      of the facts: the run's fingerprint is a hash of what it read.
    * ``awards(standing, settings)`` (optional) — called after grading and ranking for every
      subject that is not vetoed (一票否决), returns a list of
      :class:`gridgov.assessment.Award` (money such as ¥1000 for an excellent community).

    The engine adds items up (base + bonus − penalty), grades, ranks (equal totals share a
    rank), stores each line with its evidence, and runs the whole as a background job.
    """


@hookspec
def gridgov_reports():
    """Declare the reports (报表) of this scheme: tables built from its runs or periods.

    :returns: a list of :class:`gridgov.plugins.Report`. Keys are namespaced like event types
        (``director_ledger`` from ``chashan`` becomes ``chashan.director_ledger``); two reports
        with one key, a report whose ``build`` is not callable or whose ``needs`` is unknown,
        are refused at start-up.

    ``build(request)`` is called inside the tenant's scope with a
    :class:`gridgov.reports.ReportRequest` (the run, or the period, an optional grid and
    subject filter, the locale and the login) and returns a :class:`gridgov.reports.ReportTable`
    (title, :class:`gridgov.reports.Column` list, rows of plain values). The core renders it as
    a console page (报表), as CSV (UTF-8 with BOM) and XLSX downloads, and as JSON through the
    API; it checks access first (managers always, others only for ``published_readers`` reports
    of a published run). A report only reads: it must not write.
    """


@hookspec
def gridgov_console_views():
    """Add pages of this scheme to the console (a map, a purpose-built form).

    Called once per app when the console is built. :returns: a list of *new*
    :class:`flask_admin.BaseView` instances (the console builds one Admin per app, so build the
    views inside the hook), each with a unique ``endpoint`` and ``url`` prefixed by the plugin's
    name. The tenancy scope is set before every request to them like any console view; they must
    still answer ``is_accessible`` with :func:`gridgov.console.context.allows` and refuse (404)
    a tenant that does not enable the plugin. Templates of the plugin's own package are reached
    by pointing the view's blueprint at them (``create_blueprint``; see ``jinzhou_streets``);
    pages write through the core's operations only.
    """
