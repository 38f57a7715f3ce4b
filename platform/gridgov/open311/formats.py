"""The two formats of GeoReport v2: JSON and XML, from the same data.

The XML follows the specification's element names without a namespace, preceded by the XML
declaration with ``encoding="utf-8"``; a list is a container element whose items are named by
:data:`ITEMS` (``<services><service>``, ``<service_requests><request>``, ``<errors><error>``).
``None`` is an empty element (``null`` in JSON), booleans are ``true``/``false``. Characters
XML 1.0 cannot carry (control characters) are dropped from its text so the document always
parses; JSON escapes them.

Errors are the specification's error list: ``[{"code": 404, "description": "..."}]`` with the
same HTTP status (:class:`Open311Error`).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response

FORMATS = ("json", "xml")
ITEMS = {"services": "service", "attributes": "attribute", "values": "value", "service_requests": "request",
         "errors": "error"}
MIMETYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """An error answered in the request's format with HTTP ``status``; ``descriptions`` are the
    entries of the error list (each carries ``status`` as its code)."""

    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = list(descriptions) or ["error"]
        super().__init__("; ".join(self.descriptions))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, value) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, list):
        for item in value:
            _add(element, ITEMS[tag], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _add(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> str:
    """``data`` (a list for the container ``root``, or a dict for a single document) as XML."""
    element = ET.Element(root)
    if isinstance(data, list):
        for item in data:
            _add(element, ITEMS[root], item)
    else:
        for key, item in data.items():
            _add(element, key, item)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def render(fmt: str, root: str, data, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False) if fmt == "json" else to_xml(root, data)
    return Response(body, status=status, content_type=MIMETYPES[fmt])


def render_error(fmt: str, error: Open311Error) -> Response:
    entries = [{"code": error.status, "description": d} for d in error.descriptions]
    return render(fmt if fmt in FORMATS else "xml", "errors", entries, error.status)
