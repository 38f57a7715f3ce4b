"""The jurisdiction an Open311 request is answered for: the tenant in scope, its language, time
zone and case categories — looked up once per request (kept in ``flask.g``), since a list of a
thousand requests formats every date and names every service."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from flask import g

from ..extensions import db
from ..models import Tenant
from ..operations.tenants import registry
from ..tenancy import current_tenant_id


@dataclasses.dataclass(frozen=True)
class Jurisdiction:
    tenant: Tenant
    zone: ZoneInfo
    english: bool
    categories: dict  # key → CaseCategory of the tenant's enabled plugins

    def pick(self, pair) -> str:
        """The tenant's language of a (Chinese, English) pair."""
        return pair[1] if self.english else pair[0]

    def w3(self, value: dt.datetime | None) -> str | None:
        """An instant in the w3 format, in the tenant's time zone (``2026-03-02T10:00:00+08:00``)."""
        return None if value is None else value.astimezone(self.zone).replace(microsecond=0).isoformat()

    def local(self, value: dt.datetime) -> str:
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def current() -> Jurisdiction:
    cache = g.setdefault("open311_jurisdictions", {})
    tenant_id = current_tenant_id()
    if tenant_id not in cache:
        tenant = db.session.get(Tenant, tenant_id)
        cache[tenant_id] = Jurisdiction(tenant, ZoneInfo(tenant.timezone), str(tenant.locale or "").startswith("en"),
                                        registry().for_tenant(tenant).case_categories)
    return cache[tenant_id]
