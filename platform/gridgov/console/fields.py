"""Form fields and choice lists the console forms share.

Choices are read under the request's tenant scope, so a select never offers another
tenant's grid, person or unit — and a posted id that is not among the choices is refused by
the form before the operation even sees it.
"""
from __future__ import annotations

import datetime as dt
import json

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateTimeLocalField, SelectChoice, SelectField, TextAreaField

from ..extensions import db
from ..models import Grid, Membership, Person, Place, Unit, User
from . import context
from .helpers import is_english, registry, tenant_zone, title

NONE_LABEL = "—"


def _to_id(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class IdSelectField(SelectField):
    """A select of row ids; with ``optional=True`` the first option is "none"."""

    def __init__(self, label=None, validators=None, optional: bool = False, **kwargs):
        super().__init__(label, validators, coerce=_to_id, **kwargs)
        self.optional = optional

    def set_rows(self, rows) -> None:
        """``rows``: (id, label) pairs."""
        self.choices = ([SelectChoice("", NONE_LABEL)] if self.optional else []) + [SelectChoice(i, label) for i, label in rows]

    def pre_validate(self, form):
        if self.data is None and not self.optional:
            raise ValueError(gettext("Please choose a value."))
        super().pre_validate(form)


class KeySelectField(SelectField):
    """A select of plugin-declared keys (roles, event types, place kinds)."""

    def set_keys(self, items: dict, keep: str | None = None) -> None:
        choices = [SelectChoice(key, f"{title(item)} ({key})") for key, item in sorted(items.items())]
        if keep and keep not in items:  # a row may hold a key of a plugin since disabled
            choices.append(SelectChoice(keep))
        self.choices = choices


class JsonField(TextAreaField):
    """A JSON document in a textarea; blank means ``empty`` (``{}`` or None)."""

    def __init__(self, label=None, validators=None, empty=dict, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.empty = empty

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data in (None, {}):
            return ""
        return json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=True)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = self.empty() if callable(self.empty) else self.empty
            return
        try:
            self.data = json.loads(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(gettext("Not valid JSON: %(reason)s", reason=str(exc))) from exc


class LocalDateTimeField(DateTimeLocalField):
    """A date and time entered in the tenant's time zone; ``data`` is time-zone-aware."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs)

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, dt.datetime) and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=tenant_zone())


def grid_rows(exclude_path: str | None = None) -> list[tuple[int, str]]:
    """The tenant's grids in tree order, indented, with the level name of each."""
    plugins = registry().for_tenant(context.current().tenant)
    locale = "en" if is_english() else "zh"
    rows = db.session.execute(select(Grid.id, Grid.code, Grid.name, Grid.level, Grid.path).order_by(Grid.path)).all()
    return [(gid, f"{'　' * level}{plugins.level_name(level, locale)} · {code} {name}")
            for gid, code, name, level, path in rows if not (exclude_path and path.startswith(exclude_path))]


def unit_rows(exclude_id: int | None = None) -> list[tuple[int, str]]:
    return [(uid, f"{code} {name}") for uid, code, name in
            db.session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)) if uid != exclude_id]


def person_rows() -> list[tuple[int, str]]:
    return [(pid, f"{code} {name}") for pid, code, name in
            db.session.execute(select(Person.id, Person.code, Person.name).order_by(Person.code))]


def place_rows() -> list[tuple[int, str]]:
    """The places a form may point at: personal entries (PlaceKind.personal) only where this
    login may read them, so a drop-down never shows a name the registers would refuse."""
    from flask_login import current_user

    from ..operations.registers import place_read_scope

    scope = place_read_scope(context.role(), current_user.id if current_user.is_authenticated else None)
    query = select(Place.id, Place.kind, Place.code, Place.name).order_by(Place.kind, Place.code)
    condition = scope.condition()
    if condition is not None:
        query = query.where(condition)
    return [(pid, f"{name} ({kind}:{code})") for pid, kind, code, name in db.session.execute(query)]


def member_rows() -> list[tuple[int, str]]:
    """Logins that are members of this tenant (a person may be linked to one of them)."""
    return [(uid, f"{username} ({display})") for uid, username, display in db.session.execute(
        select(User.id, User.username, User.display_name)
        .join(Membership, Membership.user_id == User.id).order_by(User.username))]


LABELS = {
    "id": _l("ID"), "code": _l("Code"), "name": _l("Name"), "parent": _l("Parent"), "parent_id": _l("Parent"),
    "level": _l("Level"), "attributes": _l("Attributes (JSON)"), "geometry": _l("Geometry (GeoJSON)"),
    "kind": _l("Kind"), "grid": _l("Grid"), "grid_id": _l("Grid"), "unit": _l("Unit"), "unit_id": _l("Unit"),
    "phone": _l("Phone"), "user": _l("Login"), "user_id": _l("Login"), "person": _l("Person"),
    "person_id": _l("Person"), "role": _l("Role"), "starts_on": _l("Starts on"), "ends_on": _l("Ends on"),
    "sheet_override": _l("Assessment sheet override"), "address": _l("Address"), "type": _l("Type"),
    "occurred_at": _l("Occurred at"), "recorded_at": _l("Recorded at"), "payload": _l("Payload (JSON)"),
    "actor_person_id": _l("Actor"), "subject_person_id": _l("Subject person"),
    "subject_unit_id": _l("Subject unit"), "place_id": _l("Place"), "voids_id": _l("Voids"),
    "amends_id": _l("Amends"), "status": _l("Status"), "at": _l("Time"), "username": _l("Username"),
    "remote_addr": _l("Address (IP)"), "action": _l("Action"), "object_type": _l("Object type"),
    "object_id": _l("Object ID"), "changes": _l("Changes"), "tenant_id": _l("Tenant"), "tenant": _l("Tenant"),
    "slug": _l("Slug"), "timezone": _l("Time zone"), "locale": _l("Language"),
    "enabled_plugins": _l("Enabled plugins"), "created_at": _l("Created at"), "display_name": _l("Display name"),
    "is_platform_admin": _l("Platform administrator"), "active": _l("Active"), "path": _l("Path"),
}
