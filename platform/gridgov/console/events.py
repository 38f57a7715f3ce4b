"""Events (事件) in the console: append-only.

The list filters by type and time (entered in the tenant's time zone). A new event is
recorded through ``operations.events.record`` — its payload validated by its type's schema —
and a mistaken one is voided (作废) by recording a ``core.void`` event with a reason; an event
is never edited or deleted.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, DateTimeGreaterFilter, DateTimeSmallerFilter, FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from ..models import Event
from ..models.tenants import EVENT_WRITE_ROLES
from ..operations import events as event_ops
from . import context
from .base import TenantScopedModelView, apply, fmt_json, fmt_json_block, fmt_time
from .fields import LABELS, IdSelectField, JsonField, KeySelectField, LocalDateTimeField, grid_rows, person_rows, place_rows, unit_rows
from .helpers import registry, tenant_zone, title

TYPE_FILTER = 0  # position of the type filter in column_filters


class _InTenantZone:
    """A date-time filter whose input is read in the tenant's time zone (stored instants are UTC)."""

    def clean(self, value):
        cleaned = super().clean(value)
        zone = tenant_zone()
        if isinstance(cleaned, list):
            return [v.replace(tzinfo=zone) for v in cleaned]
        return cleaned.replace(tzinfo=zone)


class OccurredAfter(_InTenantZone, DateTimeGreaterFilter):
    pass


class OccurredBefore(_InTenantZone, DateTimeSmallerFilter):
    pass


class OccurredBetween(_InTenantZone, DateTimeBetweenFilter):
    pass


class EventForm(FlaskForm):
    type = KeySelectField(_l("Type"), validators=[InputRequired()])
    occurred_at = LocalDateTimeField(_l("Occurred at"), validators=[InputRequired()])
    grid_id = IdSelectField(_l("Grid"))
    actor_person_id = IdSelectField(_l("Actor"), optional=True)
    subject_person_id = IdSelectField(_l("Subject person"), optional=True)
    subject_unit_id = IdSelectField(_l("Subject unit"), optional=True)
    place_id = IdSelectField(_l("Place"), optional=True)
    payload = JsonField(_l("Payload (JSON)"))


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=1000)])


def event_types():
    """The event types the tenant may record by hand (a void is recorded by the void action)."""
    types = registry().for_tenant(context.current().tenant).event_types
    return {k: v for k, v in types.items() if k != event_ops.VOID_TYPE}


def _fmt_type(view, ctx, model, name):
    etype = registry().event_types.get(model.type)
    return f"{title(etype)} ({model.type})" if etype else model.type


def _fmt_status(view, ctx, model, name):
    later = g.get("superseded", {}).get(model.id)
    if later is not None:
        return gettext("superseded by #%(id)s", id=later)
    if model.voids_id:
        return gettext("voids #%(id)s", id=model.voids_id)
    if model.amends_id:
        return gettext("amends #%(id)s", id=model.amends_id)
    return gettext("valid")


class EventView(TenantScopedModelView):
    form = EventForm
    write_roles = EVENT_WRITE_ROLES
    allow_edit = allow_delete = False
    column_list = ("id", "type", "occurred_at", "grid", "status", "payload", "recorded_at")
    column_details_list = ("id", "type", "occurred_at", "recorded_at", "grid", "actor_person_id", "subject_person_id",
                           "subject_unit_id", "place_id", "voids_id", "amends_id", "idempotency_key", "payload")
    column_labels = LABELS
    column_default_sort = ("occurred_at", True)
    column_sortable_list = ("id", "type", "occurred_at", "recorded_at")
    column_formatters = {"type": _fmt_type, "occurred_at": fmt_time, "recorded_at": fmt_time, "status": _fmt_status,
                         "payload": fmt_json}
    column_formatters_detail = {"type": _fmt_type, "occurred_at": fmt_time, "recorded_at": fmt_time,
                                "payload": fmt_json_block}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-ban", ".void_view", title=_l("Void"))]

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            FilterEqual(Event.type, _l("Type")),
            OccurredAfter(Event.occurred_at, _l("Occurred at")),
            OccurredBefore(Event.occurred_at, _l("Occurred at")),
            OccurredBetween(Event.occurred_at, _l("Occurred at")),
        ]
        super().__init__(*args, **kwargs)

    def _get_filter_groups(self):
        # Flask-Admin computes filter options once at start-up; the type options depend on the
        # tenant, so they are filled in per request on the copies it renders.
        groups = super()._get_filter_groups()
        choices = [(key, f"{title(et)} ({key})") for key, et in sorted(registry().for_tenant(context.current().tenant).event_types.items())]
        for items in (groups or {}).values():
            for item in items:
                if item["index"] == TYPE_FILTER:
                    item["options"] = choices
        return groups

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        g.superseded = event_ops.superseded_ids([e.id for e in rows])
        return count, rows

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        return actions if self.may_write() else [a for a in actions if a not in self.column_extra_row_actions]

    def prepare_form(self, form, obj=None):
        form.type.set_keys(event_types())
        form.grid_id.set_rows(grid_rows())
        for field in (form.actor_person_id, form.subject_person_id):
            field.set_rows(person_rows())
        form.subject_unit_id.set_rows(unit_rows())
        form.place_id.set_rows(place_rows())
        return form

    def create_object(self, values):
        data = {k: v for k, v in values.items() if v is not None}
        data["occurred_at"] = values["occurred_at"].isoformat()
        event, _ = event_ops.record(data, recorded_by_id=current_user.id)
        return event

    @expose("/void/", methods=("GET", "POST"))
    def void_view(self):
        """Void one event with a reason: a new ``core.void`` event, the original kept."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        event = self.get_one(request.args.get("id"))
        if not self.may_write():
            abort(403)
        form = VoidForm()
        if form.validate_on_submit():
            void = apply(form, lambda: event_ops.void(event, form.reason.data, recorded_by_id=current_user.id))
            if void is not False:
                flash(gettext("Event #%(id)s was voided by event #%(void)s.", id=event.id, void=void.id), "success")
                return redirect(return_url)
        return self.render("console/void.html", event=event, form=form, return_url=return_url,
                           type_title=_fmt_type(self, None, event, "type"))


VIEWS = ((EventView, Event, _l("Events"), "events"),)
