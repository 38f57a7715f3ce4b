"""Background jobs (后台任务) in the console, read-only.

:func:`register_console` adds two views to the console's :class:`flask_admin.Admin`: the
chosen tenant's jobs for its members, and every job (platform jobs included) for platform
administrators. They are built on the console's scoped base views, so the tenancy mechanism
does the filtering; each view sets its request's scope itself (a ``before_request`` on its own
blueprint, :func:`gridgov.console.context.enter_request`), so it works however late it is
added to the Admin.
"""
from __future__ import annotations

from flask import g
from flask_babel import LazyString
from markupsafe import Markup, escape
from sqlalchemy import select

from ..console import context
from ..console.base import PlatformModelView, TenantScopedModelView, fmt_time
from ..console.helpers import is_english
from ..extensions import db
from ..models import Tenant
from ..models.jobs import JOB_STATES, JobRecord


def bilingual(zh: str, en: str) -> LazyString:
    """A label in the request's language (Chinese by default)."""
    return LazyString(lambda: en if is_english() else zh)


LABELS = {
    "id": bilingual("编号", "ID"),
    "tenant_id": bilingual("租户", "Tenant"),
    "title": bilingual("任务", "Job"),
    "func_path": bilingual("函数", "Function"),
    "args": bilingual("参数", "Arguments"),
    "key": bilingual("幂等键", "Idempotency key"),
    "state": bilingual("状态", "State"),
    "attempts": bilingual("尝试次数", "Attempts"),
    "max_retries": bilingual("最多重试", "Max retries"),
    "backend": bilingual("执行方式", "Backend"),
    "queue": bilingual("队列", "Queue"),
    "rq_job_id": bilingual("RQ 任务号", "RQ job id"),
    "enqueued_at": bilingual("排队时间", "Enqueued"),
    "started_at": bilingual("开始时间", "Started"),
    "ended_at": bilingual("结束时间", "Ended"),
    "error": bilingual("错误", "Error"),
}


def _fmt_state(view, ctx, model, name):
    zh, en = JOB_STATES.get(model.state, (model.state, model.state))
    return en if is_english() else zh


def _fmt_args(view, ctx, model, name):
    return model.args_summary


def _fmt_tenant(view, ctx, model, name):
    if model.tenant_id is None:
        return ""
    if "job_tenant_slugs" not in g:
        g.job_tenant_slugs = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
    return g.job_tenant_slugs.get(model.tenant_id, model.tenant_id)


def _fmt_error_line(view, ctx, model, name):
    lines = (model.error or "").strip().splitlines()
    return lines[-1][:160] if lines else ""


def _fmt_error_block(view, ctx, model, name):
    return Markup('<pre class="mb-0">') + escape(model.error or "") + Markup("</pre>") if model.error else ""


class JobsMixin:
    """Read-only list and details of :class:`JobRecord`, newest first."""

    allow_create = allow_edit = allow_delete = False
    column_list = ("enqueued_at", "title", "args", "state", "attempts", "started_at", "ended_at", "error")
    column_details_list = ("id", "title", "func_path", "args", "key", "state", "attempts", "max_retries",
                           "backend", "queue", "rq_job_id", "enqueued_at", "started_at", "ended_at", "error")
    column_labels = LABELS
    column_default_sort = ("enqueued_at", True)
    column_sortable_list = ("enqueued_at", "title", "state", "started_at", "ended_at")
    column_searchable_list = ("title", "func_path", "key")
    column_filters = ("state",)
    column_formatters = {"enqueued_at": fmt_time, "started_at": fmt_time, "ended_at": fmt_time,
                         "state": _fmt_state, "args": _fmt_args, "error": _fmt_error_line}
    column_formatters_detail = {**column_formatters, "error": _fmt_error_block}

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        blueprint.before_request(lambda: context.enter_request(self))
        return blueprint


class TenantJobsView(JobsMixin, TenantScopedModelView):
    """The chosen tenant's jobs."""


class PlatformJobsView(JobsMixin, PlatformModelView):
    """Every job, with its tenant (blank: a platform job)."""

    column_list = ("tenant_id",) + JobsMixin.column_list
    column_details_list = ("tenant_id",) + JobsMixin.column_details_list
    column_formatters = {**JobsMixin.column_formatters, "tenant_id": _fmt_tenant}
    column_formatters_detail = {**JobsMixin.column_formatters_detail, "tenant_id": _fmt_tenant}


def register_console(admin, category=None, platform_category=None) -> None:
    """Add the job views to the console: 后台任务 (the tenant's) in ``category``, 全部后台任务
    (platform administrators) in ``platform_category``."""
    admin.add_view(TenantJobsView(JobRecord, name=bilingual("后台任务", "Background jobs"),
                                  endpoint="console_jobs", url="jobs", category=category))
    admin.add_view(PlatformJobsView(JobRecord, name=bilingual("全部后台任务", "All background jobs"),
                                    endpoint="console_platform_jobs", url="platform-jobs", category=platform_category))
