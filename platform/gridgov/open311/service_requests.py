"""GeoReport service requests over the core's cases.

* A **service request** is a case; ``service_request_id`` is the case number (``2026-000123``).
  Only cases residents reported publicly (:data:`PUBLIC_SOURCES`) are visible here: cases from
  patrols, inspections or hotlines stay internal. ``status`` is ``closed`` for a closed or
  rejected case and ``open`` otherwise; ``status_notes`` is the state's name, the closure type, or
  the reason for a rejection; ``agency_responsible`` the responsible unit; ``expected_datetime``
  the resolve deadline once the case is accepted; ``address_id`` the register place.
* Creating a request reports a case through :func:`gridgov.operations.cases.report_case`
  (source ``open311``, a resident reporter). Its grid is the grid of the register place
  ``address_id``, else the deepest grid under the key's intake grid whose area holds
  ``lat``/``long``, else the intake grid itself. A request without a description is described by
  its service's name. What the case has no column for is kept in :class:`Open311Request`.

Texts are in the tenant's language. Bad input raises :class:`Open311Error` naming the GeoReport
argument: 400, or 404 for an unknown service or request.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Case, Grid, Place, Unit
from ..models.cases import CLOSURE_TYPES
from ..models.open311 import Open311Key, Open311Request
from ..operations import cases as case_ops
from ..operations.common import MAX_ID
from ..operations.errors import OperationError
from ..operations.grids import subtree_ids
from .formats import Open311Error
from .jurisdiction import current
from .locate import grid_at
from .services import attributes, service

PUBLIC_SOURCES = ("open311", "public_web")
CLOSED_STATES = ("closed", "rejected")
MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)
# report_case's field → the GeoReport argument it came from, for error descriptions
ARGUMENTS = {"category": "service_code", "severity": "attribute[severity]", "latitude": "lat", "longitude": "long",
             "address": "address_string", "place_id": "address_id", "grid_id": "address_id",
             "reporter_name": "first_name/last_name", "reporter_contact": "phone/email"}
LIMITS = {"first_name": 50, "last_name": 50, "phone": 32, "email": 254, "device_id": 128, "account_id": 128,
          "media_url": 1000, "address_string": 300, "description": 4000}
ARGUMENT_NAMES = ("lat", "long", "address_string", "address_id", "email", "device_id", "account_id", "first_name",
                  "last_name", "phone", "media_url", "description")


# -- creating a request -------------------------------------------------------------------------

def _argument(form: MultiDict, name: str) -> str:
    value = (form.get(name) or "").strip()
    if name in LIMITS and len(value) > LIMITS[name]:
        raise Open311Error(400, f"{name}: at most {LIMITS[name]} characters")
    return value


def _coordinate(value: str, name: str, limit: int) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Open311Error(400, f"{name}: not a number")
    if not number.is_finite() or not -limit <= number <= limit:
        raise Open311Error(400, f"{name}: must lie between -{limit} and {limit}")
    return number


def _place(address_id: str, key: Open311Key) -> Place | None:
    if not address_id:
        return None
    place = None
    if address_id.isdigit() and 0 < int(address_id) <= MAX_ID:
        place = db.session.scalar(select(Place).where(Place.id == int(address_id)))
    if place is None:
        raise Open311Error(400, f"address_id: no address {address_id} in this jurisdiction's register")
    inside = db.session.scalar(select(Grid.id).where(Grid.id == place.grid_id, Grid.id.in_(subtree_ids(key.grid))))
    if inside is None:
        raise Open311Error(400, f"address_id: address {address_id} is outside the area of this api_key")
    return place


def _name(first: str, last: str) -> str:
    """Chinese names are written family name first and without a space (王小明)."""
    if first and last and all("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return last + first
    return " ".join(p for p in (first, last) if p)


def _check(args: dict) -> None:
    if not ((args["lat"] and args["long"]) or args["address_string"] or args["address_id"]):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if bool(args["lat"]) != bool(args["long"]):
        raise Open311Error(400, f"{'long' if args['lat'] else 'lat'}: lat and long are sent together")
    if args["media_url"] and not re.match(r"^https?://\S+$", args["media_url"]):
        raise Open311Error(400, "media_url: an http or https URL")
    if args["email"] and "@" not in args["email"]:
        raise Open311Error(400, "email: not an email address")


def create(form: MultiDict, key: Open311Key) -> list[dict]:
    """POST requests: report the case; the specification's response list."""
    cat = service(_argument(form, "service_code"))
    args = {name: _argument(form, name) for name in ARGUMENT_NAMES}
    given = attributes(form)
    _check(args)
    pick = current().pick
    values = {"category": cat.key, "severity": given.get("severity", "normal"), "source": "open311",
              "reporter_kind": "resident", "description": args["description"] or pick((cat.title_zh, cat.title_en)),
              "address": args["address_string"], "reporter_name": _name(args["first_name"], args["last_name"]),
              "reporter_contact": (args["phone"] or args["email"])[:100]}
    place = _place(args["address_id"], key)
    if args["lat"]:
        values["latitude"] = _coordinate(args["lat"], "lat", 90)
        values["longitude"] = _coordinate(args["long"], "long", 180)
    if place is not None:
        values["place_id"] = place.id
    elif args["lat"]:
        values["grid_id"] = grid_at(key.grid, values["latitude"], values["longitude"]).id
    else:
        values["grid_id"] = key.grid_id
    try:
        case = case_ops.report_case(values, actor=None)
    except OperationError as exc:
        raise _refused(exc)
    db.session.add(Open311Request(case_id=case.id, key_id=key.id, email=args["email"], device_id=args["device_id"],
                                  account_id=args["account_id"], media_url=args["media_url"], attributes=given))
    db.session.flush()
    due = current().local(case.accept_due_at)
    notice = pick((f"您的报告已登记为案件 {case.number}，将于 {due} 前受理。",
                   f"Your report is case {case.number}; it will be reviewed by {due}."))
    return [{"service_request_id": case.number, "service_notice": notice, "account_id": args["account_id"] or None}]


def _refused(exc: OperationError) -> Open311Error:
    status = exc.status if exc.status in (403, 404) else 400
    descriptions = [f"{ARGUMENTS.get(field, field)}: {reason}" for field, reasons in exc.errors.items()
                    for reason in (reasons if isinstance(reasons, list) else [reasons])]
    return Open311Error(status, *descriptions)


# -- reading requests ---------------------------------------------------------------------------

def _status_notes(case: Case) -> str:
    pick = current().pick
    if case.state == "rejected":
        return case.reject_reason or pick(case_ops.STATES["rejected"])
    if case.state == "closed":
        note = pick(CLOSURE_TYPES.get(case.closure_type or "normal", CLOSURE_TYPES["normal"]))
        return f"{note}: {case.closure_reason}" if case.closure_reason else note
    return pick(case_ops.STATES.get(case.state, (case.state, case.state)))


def _service_notice(case: Case) -> str | None:
    here = current()
    if case.state in CLOSED_STATES:
        return None
    if case.state == "waiting":
        return here.pick(("等待其他部门或当事人，办理时限暂停", "Waiting on another party; the deadline is paused"))
    if case.accepted_at is None:
        due = here.local(case.accept_due_at)
        return here.pick((f"将于 {due} 前受理", f"To be reviewed by {due}"))
    if case.resolve_due_at is not None:
        due = here.local(case.resolve_due_at)
        return here.pick((f"将于 {due} 前处置完毕", f"To be resolved by {due}"))
    return None


def _as_request(case: Case, extra: Open311Request | None, unit: Unit | None) -> dict:
    here = current()
    cat = here.categories.get(case.category)
    return {
        "service_request_id": case.number,
        "status": "closed" if case.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(case),
        "service_name": here.pick((cat.title_zh, cat.title_en)) if cat else case.category,
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": unit.name if unit is not None else None,
        "service_notice": _service_notice(case),
        "requested_datetime": here.w3(case.reported_at),
        "updated_datetime": here.w3(case.closed_at or case.last_transition_at),
        "expected_datetime": here.w3(case.resolve_due_at),
        "address": case.address or None,
        "address_id": str(case.place_id) if case.place_id else None,
        "zipcode": None,
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": (extra.media_url or None) if extra is not None else None,
    }


def _public_cases():
    return (select(Case, Open311Request, Unit).outerjoin(Open311Request, Open311Request.case_id == Case.id)
            .outerjoin(Unit, Unit.id == Case.unit_id).where(Case.source.in_(PUBLIC_SOURCES)))


def get_one(number: str) -> list[dict]:
    row = db.session.execute(_public_cases().where(Case.number == number)).first()
    if row is None:
        raise Open311Error(404, f"service_request_id {number} was not found in this jurisdiction")
    return [_as_request(*row)]


def _instant(value: str, name: str) -> dt.datetime:
    """A w3 date-time (a ``+`` an unencoded query string turned into a space is put back); a
    bare date is local midnight in the tenant's time zone."""
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), current().zone)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name}: not a w3 date-time such as 2026-01-01T00:00:00Z")
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name}: must include a time zone (Z or an offset such as +08:00)")
    return parsed


def _span(args: MultiDict) -> tuple[dt.datetime, dt.datetime]:
    """The requested range: both ends as given, one end and 90 days, or the last 90 days."""
    start = _instant(args["start_date"], "start_date") if args.get("start_date") else None
    end = _instant(args["end_date"], "end_date") if args.get("end_date") else None
    if start is None and end is None:
        end = dt.datetime.now(dt.timezone.utc)
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, "end_date: must not be before start_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date/end_date: the range may not span more than 90 days")
    return start, end


def _listed(args: MultiDict, name: str) -> list[str]:
    return [v.strip() for value in args.getlist(name) for v in value.split(",") if v.strip()]


def search(args: MultiDict) -> list[dict]:
    """GET requests: by ``service_request_id`` (a comma list, which overrides the rest), or by
    ``service_code``, ``status`` and the requested date range (default the last 90 days);
    newest first, at most :data:`MAX_RESULTS`."""
    query = _public_cases().order_by(Case.reported_at.desc(), Case.id.desc()).limit(MAX_RESULTS)
    numbers = _listed(args, "service_request_id")
    if numbers:
        if len(numbers) > MAX_RESULTS:
            raise Open311Error(400, f"service_request_id: at most {MAX_RESULTS} ids")
        query = query.where(Case.number.in_(numbers))
    else:
        start, end = _span(args)
        query = query.where(Case.reported_at >= start, Case.reported_at <= end)
        codes = _listed(args, "service_code")
        if codes:
            query = query.where(Case.category.in_(codes))
        statuses = set(_listed(args, "status"))
        unknown = statuses - {"open", "closed"}
        if unknown:
            raise Open311Error(400, f"status: {', '.join(sorted(unknown))} is not open or closed")
        if statuses == {"open"}:
            query = query.where(Case.state.not_in(CLOSED_STATES))
        elif statuses == {"closed"}:
            query = query.where(Case.state.in_(CLOSED_STATES))
    return [_as_request(*row) for row in db.session.execute(query)]
