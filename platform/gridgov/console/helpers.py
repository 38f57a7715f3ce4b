"""Small display helpers shared by the console views: the language in use, plugin titles in
that language, instants in the tenant's time zone, and JSON previews for list cells."""
from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from flask import current_app, g, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..models import TENANT_ROLES


def is_english() -> bool:
    return str(get_locale() or "").startswith("en")


def title(item) -> str:
    """The title of anything a plugin declares (PluginInfo, Level, Role, EventType, PlaceKind)."""
    return item.title_en if is_english() else item.title_zh


def tenant_role_title(role: str) -> str:
    zh, en = TENANT_ROLES.get(role, (role, role))
    return en if is_english() else zh


def registry():
    return current_app.extensions["gridgov_registry"]


def tenant_zone() -> zoneinfo.ZoneInfo:
    """The current tenant's time zone in the console, else the platform default."""
    console = g.get("console")
    name = console.tenant.timezone if console is not None and console.tenant is not None else None
    try:
        return zoneinfo.ZoneInfo(name or current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(tenant_zone()).strftime("%Y-%m-%d %H:%M:%S %z")


def json_preview(value, limit: int = 120) -> str:
    if value in (None, {}, []):
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_block(value) -> Markup:
    """Pretty JSON for the details page."""
    if value in (None, {}, []):
        return Markup("")
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, default=str)
    return Markup("<pre class=\"mb-0\">") + escape(text) + Markup("</pre>")


def lang_url(code: str) -> str:
    """This page in another language (``?lang=`` is read by the app's locale selector)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return url_for(request.endpoint, **(request.view_args or {}), **args) if request.endpoint else f"?lang={code}"
