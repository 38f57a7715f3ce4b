"""GeoReport services: the tenant's case categories.

``service_code`` is the category key (``core.general``) and ``group`` the title of the plugin
that declares it. Every service has metadata: its definition offers the case severity as the
attribute ``severity`` (a singlevaluelist of the core's severities), optional — a request
without it is of normal severity.
"""
from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from ..operations.tenants import registry
from ..plugins import SEVERITIES, CaseCategory
from .formats import Open311Error
from .jurisdiction import current

ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def services() -> list[dict]:
    here = current()
    info = registry().info
    out = []
    for key, cat in sorted(here.categories.items()):
        plugin = info.get(cat.plugin)
        out.append({"service_code": key, "service_name": here.pick((cat.title_zh, cat.title_en)),
                    "description": cat.description or None, "metadata": True, "type": "realtime",
                    "keywords": ", ".join(dict.fromkeys((cat.title_zh, cat.title_en))),
                    "group": here.pick((plugin.title_zh, plugin.title_en)) if plugin else cat.plugin})
    return out


def service(code: str | None) -> CaseCategory:
    """The category of ``service_code``: 400 when not given, 404 when the tenant has none."""
    if not code:
        raise Open311Error(400, "service_code was not provided")
    cat = current().categories.get(code)
    if cat is None:
        raise Open311Error(404, f"service_code {code} was not found in this jurisdiction")
    return cat


def service_definition(code: str) -> dict:
    service(code)
    pick = current().pick
    return {"service_code": code, "attributes": [{
        "variable": True, "code": "severity", "datatype": "singlevaluelist", "required": False,
        "datatype_description": pick(("不填为一般", "Normal when not given")), "order": 1,
        "description": pick(("问题严重程度", "How serious the problem is")),
        "values": [{"key": key, "name": pick(titles)} for key, titles in SEVERITIES.items()],
    }]}


def attributes(form: MultiDict) -> dict:
    """The request's ``attribute[code]=value`` arguments (``attribute[code][]`` for a list) as
    {code: value}; only the attributes of the definition, with a value it offers, are accepted."""
    out = {}
    for name in form:
        match = ATTRIBUTE_RE.match(name)
        if match is None:
            continue
        code, many = match.group(1), match.group(2)
        if code != "severity":
            raise Open311Error(400, f"attribute[{code}]: unknown attribute; this service has: severity")
        values = form.getlist(name)
        if many or len(values) != 1:
            raise Open311Error(400, f"attribute[{code}]: a singlevaluelist takes one value")
        if values[0] not in SEVERITIES:
            raise Open311Error(400, f"attribute[{code}]: {values[0]!r} is not one of {', '.join(SEVERITIES)}")
        out[code] = values[0]
    return out
