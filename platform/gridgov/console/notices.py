"""Plugin notices (提醒) on every console page: what the tenant's plugins ask its
administrators and assessors to attend to today (hook ``gridgov_console_notices``), shown under
the working-day calendar's banner in ``console/frame.html``. Other roles see none."""
from __future__ import annotations

import datetime as dt
import logging

from flask import g

from ..plugins import Notice
from ..tenancy import tenant_scope
from .helpers import registry, tenant_zone

MANAGERS = ("tenant_admin", "assessor")
log = logging.getLogger(__name__)


def plugin_notices() -> list[Notice]:
    """The notices of the chosen tenant's plugins for today (its time zone), or none."""
    ctx = g.get("console")
    if ctx is None or ctx.tenant is None or ctx.role not in MANAGERS:
        return []
    today = dt.datetime.now(tenant_zone()).date()
    try:
        with tenant_scope(ctx.tenant.id):
            answers = registry().for_tenant(ctx.tenant).call("gridgov_console_notices", tenant=ctx.tenant, today=today)
    except Exception:  # a plugin's reminder never breaks the page
        log.exception("gridgov_console_notices failed for tenant %s", ctx.tenant.id)
        return []
    return [n for answer in answers for n in (answer or []) if isinstance(n, Notice)]
