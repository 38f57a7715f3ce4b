"""The dafang_fire forms (event types): the inspection and publicity record book (检查宣传记录
本), the enforcement records (执法记录), a fatal fire (亡人火灾, one-vote veto) and the
government listing of a major hazard (挂牌督办).

* ``fire_check`` 消防检查 — a check of a unit or site: the monthly focused sweep or a grid
  room's daily check, with the hazards found.
* ``publicity`` 消防宣传 — a publicity session: topic and audience.
* ``enforcement`` 执法 — one enforcement measure: a rectification order (责令改正通知书), a
  temporary seal (临时查封), a three-stop (三停: 停产停业停止使用), a penalty decision
  (行政处罚决定) with its fine in ¥ (Decimal string, required for a penalty decision and only
  there), or a detention (拘留) with the number of people.
* ``fatal_fire`` 亡人火灾 — a fire with deaths in a grid: the one-vote veto (一票否决) of the
  station whose big grid holds that grid, for the period (the assessment sheets of
  :mod:`.sheets`; also shown on the monthly station report).
* ``government_listing`` 挂牌督办 — the county government lists a major hazard case for
  supervised rectification with a deadline; refused unless the case is a hazard case that has
  reached the county public security bureau, or when the deadline is not after the listing day.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Case, Unit
from gridgov.plugins import EventType

NOTE = validate.Length(max=2000)
DOCUMENT = validate.Length(max=100)
MEASURES = {"rectification_order": ("责令改正", "Rectification order"),
            "temporary_seal": ("临时查封", "Temporary seal"),
            "three_stops": ("三停", "Three-stop (production, business, use)"),
            "penalty_decision": ("行政处罚决定", "Penalty decision"),
            "detention": ("拘留", "Detention")}
BUREAU_KIND = "public_security_bureau"


class FireCheckPayload(Schema):
    """A fire-safety check of a unit or site (消防检查), registered in the system as the source
    requires: the monthly focused sweep or a grid room's daily check."""

    sweep = fields.String(required=True, validate=validate.OneOf(["monthly_focused", "daily"]))
    hazards_found = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    note = fields.String(load_default="", validate=NOTE)


class PublicityPayload(Schema):
    """A fire-safety publicity session (消防宣传) in a grid."""

    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    audience = fields.Integer(required=True, validate=validate.Range(min=0, max=1000000))
    note = fields.String(load_default="", validate=NOTE)


class EnforcementPayload(Schema):
    """One enforcement measure against a unit (recorded with its place)."""

    measure = fields.String(required=True, validate=validate.OneOf(list(MEASURES)))
    document_number = fields.String(required=True, validate=validate.Length(min=1, max=100))  # 文书号
    fine = fields.Decimal(as_string=True, places=2, load_default=None, allow_none=True,
                          validate=validate.Range(min=Decimal("0.01"), max=Decimal("100000000")))
    people = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1000))
    case_number = fields.String(load_default="", validate=validate.Length(max=32))
    note = fields.String(load_default="", validate=NOTE)

    @validates_schema
    def _measure_fields(self, data, **kwargs):
        penalty, detention = data.get("measure") == "penalty_decision", data.get("measure") == "detention"
        if penalty and data.get("fine") is None:
            raise ValidationError("a penalty decision states its fine in ¥ (e.g. \"5000.00\")", "fine")
        if not penalty and data.get("fine") is not None:
            raise ValidationError("only a penalty decision carries a fine", "fine")
        if detention and data.get("people") is None:
            raise ValidationError("a detention states how many people were detained", "people")
        if not detention and data.get("people") is not None:
            raise ValidationError("only a detention counts people", "people")


class FatalFirePayload(Schema):
    """A fire with deaths (亡人火灾): one-vote veto of the big grid it happened in."""

    deaths = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))
    note = fields.String(load_default="", validate=NOTE)


class GovernmentListingPayload(Schema):
    """挂牌督办: the county government lists a major hazard with a deadline."""

    case_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    deadline = fields.Date(required=True)
    document_number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    note = fields.String(load_default="", validate=NOTE)


def listing_day(occurred_at) -> "dt.date":
    """The local day (the tenant's time zone, Asia/Shanghai by default) of a listing: a listing
    at 23:30 Shanghai time on 3 March is on 3 March, though it is 15:30 UTC."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from gridgov.reports import tenant_tz

    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=dt.timezone.utc)
    return occurred_at.astimezone(ZoneInfo(tenant_tz())).date()


def _listing_check(event: dict, earlier: list) -> dict | None:
    from .hazards import CATEGORY

    payload = event["payload"]
    number = payload.get("case_number")
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or case.category != CATEGORY:
        return {"case_number": [f"no fire-hazard case {number}"]}
    unit = db.session.get(Unit, case.unit_id) if case.unit_id else None
    if unit is None or unit.kind != BUREAU_KIND:
        return {"case_number": [f"case {number} has not been reported to the county public security bureau "
                                "(hand it off to the bureau first)"]}
    deadline = payload.get("deadline")
    if isinstance(deadline, str):
        import datetime as dt
        deadline = dt.date.fromisoformat(deadline)
    if deadline is not None and deadline <= listing_day(event["occurred_at"]):
        return {"deadline": ["the deadline must be after the day of the listing (in the tenant's time zone)"]}
    if any(e["type"] == event["type"] and e["payload"].get("case_number") == number for e in earlier):
        return {"case_number": [f"case {number} is listed twice in this batch"]}
    return None


EVENT_TYPES = [
    EventType("fire_check", "消防检查", "Fire-safety check", FireCheckPayload),
    EventType("publicity", "消防宣传", "Fire-safety publicity", PublicityPayload),
    EventType("enforcement", "消防执法", "Fire-safety enforcement", EnforcementPayload),
    EventType("fatal_fire", "亡人火灾", "Fatal fire (one-vote veto)", FatalFirePayload),
    EventType("government_listing", "挂牌督办", "Government listing of a major hazard", GovernmentListingPayload,
              check=_listing_check),
]
