"""Helpers for the API tests (``test_api_*.py``): a client bound to one token and one tenant,
and assertions on the JSON error shape."""
from __future__ import annotations

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.tenancy import platform_scope

NOTE_AT = "2026-05-01T08:00:00+08:00"


class TenantClient:
    """Calls ``/api/v1/tenants/<slug>/<path>`` (or ``/api/v1<path>`` for a path starting with
    ``/``, or ``path`` itself when it starts with ``/api/``) with one bearer token."""

    def __init__(self, client, token: str, slug: str):
        self.client, self.token, self.slug = client, token, slug

    def url(self, path: str) -> str:
        if path.startswith("/api/"):
            return path
        return f"/api/v1{path}" if path.startswith("/") else f"/api/v1/tenants/{self.slug}/{path}"

    def __call__(self, method: str, path: str, json=None, *, query=None, headers=None, data=None):
        kwargs = {"json": json} if data is None else {"data": data, "content_type": "application/json"}
        return self.client.open(self.url(path), method=method, query_string=query,
                                headers={"Authorization": f"Bearer {self.token}", **(headers or {})}, **kwargs)

    def get(self, path, **kw):
        return self("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self("POST", path, json, **kw)

    def patch(self, path, json=None, **kw):
        return self("PATCH", path, json, **kw)

    def put(self, path, json=None, **kw):
        return self("PUT", path, json, **kw)

    def delete(self, path, **kw):
        return self("DELETE", path, **kw)

    def ok(self, method: str, path: str, json=None, status: int | None = None, **kw):
        """Call and insist on success; returns the body."""
        response = self(method, path, json, **kw)
        expected = status or {"POST": 201, "DELETE": 204}.get(method, 200)
        assert response.status_code == expected, response.get_data(as_text=True)
        return response.get_json()


def assert_error(response, status: int, field: str | None = None, location: str = "json") -> dict:
    """The response is a JSON error with ``status``, and names ``field`` (dotted for nested ones,
    e.g. ``events.3.type``, ``payload.level_m``) with at least one reason."""
    body = response.get_json(silent=True)
    assert response.status_code == status, response.get_data(as_text=True)
    assert body is not None and body["code"] == status and body["status"], response.get_data(as_text=True)
    if field is None:
        assert body.get("message") or body.get("errors"), body
        return body
    node = body["errors"][location]
    for part in field.split("."):
        assert isinstance(node, dict) and part in node, (field, body)
        node = node[part]
    assert node, (field, body)
    return body


def count(model, tenant_id: int | None = None) -> int:
    """Rows of a model (of one tenant, or all), read outside any request."""
    query = select(model)
    if tenant_id is not None:
        query = query.where(model.tenant_id == tenant_id)
    with platform_scope():
        return len(db.session.scalars(query).all())


def make_tree(api: TenantClient) -> dict:
    """A small tree: root → two communities → one grid under the first."""
    root = api.ok("POST", "grids", {"code": "R", "name": "茶山街道"})
    c1 = api.ok("POST", "grids", {"code": "R-01", "name": "一社区", "parent_id": root["id"]})
    c2 = api.ok("POST", "grids", {"code": "R-02", "name": "二社区", "parent_id": root["id"]})
    g1 = api.ok("POST", "grids", {"code": "R-01-001", "name": "第一网格", "parent_id": c1["id"]})
    return {"root": root, "c1": c1, "c2": c2, "g1": g1}


def note(grid_id: int, text: str = "巡查正常", at: str = NOTE_AT, **extra) -> dict:
    return {"type": "core.note", "grid_id": grid_id, "occurred_at": at, "payload": {"text": text}, **extra}
