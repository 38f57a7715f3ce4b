"""Helpers for the console tests: a logged-in browser with CSRF tokens, and a tenant filled with
one object of every kind."""
from __future__ import annotations

import datetime as dt
import re

from conftest import in_tenant

from gridgov.models import Assignment, Event, Grid, Person, Place, Unit
from gridgov.operations import events, grids, registers

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COUNT_RE = re.compile(r'class="nav-link active">[^<(]*(?:\((\d+)\))?\s*</a>')


class Console:
    """A test client that logs in through the form and sends the CSRF token with every POST."""

    def __init__(self, client):
        self.client = client

    def csrf(self, url: str = "/logout") -> str:
        match = CSRF_RE.search(self.client.get(url).get_data(as_text=True))
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD, **kw):
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.csrf("/login")}, **kw)

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.csrf()}, **kw)


def list_count(html: str) -> int:
    """The row count Flask-Admin prints on the list tab ("列表 (3)"; no number when empty)."""
    match = COUNT_RE.search(html)
    assert match, "no list tab on the page"
    return int(match.group(1) or 0)


def populate(app, tenant, marker: str) -> dict:
    """One object of every tenant-owned kind, each carrying ``marker`` in a visible field.
    Returns {model: [ids]}."""
    with in_tenant(app, tenant):
        root = grids.create_grid(code=f"{marker}-0", name=f"{marker} street")
        leaf = grids.create_grid(code=f"{marker}-1", name=f"{marker} grid", parent_id=root.id)
        unit = registers.create(Unit, {"code": f"{marker}-U", "name": f"{marker} office", "grid_id": leaf.id})
        person = registers.create(Person, {"code": f"{marker}-P", "name": f"{marker} worker"})
        assignment = registers.create(Assignment, {"person_id": person.id, "role": "core.grid_worker",
                                                   "grid_id": leaf.id, "starts_on": dt.date(2026, 1, 1)})
        place = registers.create(Place, {"grid_id": leaf.id, "kind": "core.generic", "code": f"{marker}-S",
                                         "name": f"{marker} shop", "attributes": {"note": marker}})
        note, _ = events.record({"type": "core.note", "occurred_at": "2026-03-01T09:00:00+08:00", "grid_id": leaf.id,
                                 "actor_person_id": person.id, "place_id": place.id, "payload": {"text": f"{marker} note"}})
        void = events.void(note, f"{marker} mistake")
        return {Grid: [root.id, leaf.id], Unit: [unit.id], Person: [person.id], Assignment: [assignment.id],
                Place: [place.id], Event: [note.id, void.id]}
