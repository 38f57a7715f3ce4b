"""Fire hazards (火灾隐患) as cases of category ``dafang_fire.hazard`` on the core's case
workflow; the hazard ledger (隐患台账) is the list of these cases (report
``dafang_fire.hazard_ledger``).

The hand-off chain of the source, mapped onto the core's states:

1. found on a check → ``report`` (source ``inspection``) → ``accept`` (立案) → ``dispatch`` to
   the police station of the grid (the category's handling unit kind ``police_station``) →
   ``start``: the station tells the unit to rectify (a ``enforcement`` event of measure
   ``rectification_order`` is its written order) → ``resolve`` → ``verify`` → ``close``;
2. a serious hazard the station cannot deal with → ``hand_off`` to the brigade with a written
   hand-off (移交函: ``letter_number``/``letter_text``, the core's HandOff record) —
   :func:`refer_to_brigade`;
3. a major hazard → ``hand_off`` to the county public security bureau (报告县公安局) —
   :func:`report_to_bureau`;
4. the government lists it for supervised rectification with a deadline (挂牌督办): the event
   ``government_listing`` (refused unless the case has reached the bureau);
5. hazards reported by the public (96119 hotline, online) are reported with source
   ``hotline_96119``/``public_web`` and dispatched straight to the brigade —
   :func:`report_public_hazard`.

Each step is a case transition (who, when, note, from/to unit), hand-offs also a HandOff row.
"""
from __future__ import annotations

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Case, Unit
from gridgov.operations import cases as case_ops
from gridgov.plugins import CaseCategory, Deadline, SEVERITIES

CATEGORY = "dafang_fire.hazard"
BRIGADE_KIND = "fire_brigade"
STATION_KIND = "police_station"
BUREAU_KIND = "public_security_bureau"
PUBLIC_SOURCES = ("hotline_96119", "public_web")


def _days(accept: int, resolve: int, close: int) -> dict:
    return {"accept": {s: Deadline(accept, "working_days") for s in SEVERITIES},
            "resolve": {s: Deadline(resolve, "working_days") for s in SEVERITIES},
            "close": {s: Deadline(close, "working_days") for s in SEVERITIES}}


HAZARD = CaseCategory(
    "hazard", "火灾隐患", "Fire hazard", deadlines=_days(1, 10, 15), handling_unit_kind=STATION_KIND,
    description="检查发现或群众举报的火灾隐患：责令整改、移交消防大队、报告县公安局、政府挂牌督办。")


def unit_of_kind(kind: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.kind == kind).order_by(Unit.id))
    if unit is None:
        raise case_ops.OperationError({"to_unit_id": [f"the tenant has no unit of kind {kind}"]})
    return unit


def report_hazard(values: dict, *, actor) -> Case:
    """A hazard found on a check, reported by staff (source ``inspection`` unless given)."""
    return case_ops.report_case({"source": "inspection", **values, "category": CATEGORY}, actor=actor)


def report_public_hazard(values: dict, *, actor, at=None) -> Case:
    """A hazard reported by the public (96119 or online): reported, accepted and dispatched to
    the brigade. ``values['source']`` must be one of :data:`PUBLIC_SOURCES`."""
    if values.get("source") not in PUBLIC_SOURCES:
        raise case_ops.OperationError({"source": [f"one of {', '.join(PUBLIC_SOURCES)}"]})
    case = case_ops.report_case({"reporter_kind": "resident", **values, "category": CATEGORY})
    case_ops.accept(case, actor=actor, at=at)
    return case_ops.dispatch(case, actor=actor, unit_id=unit_of_kind(BRIGADE_KIND).id,
                             note="群众举报火灾隐患，交消防大队核查", at=at)


def refer_to_brigade(case: Case, *, actor, letter_number: str, letter_text: str, reason: str = "", at=None):
    """A station hands a serious hazard to the brigade with a written hand-off (移交函)."""
    if not (letter_number or "").strip():
        raise case_ops.OperationError({"letter_number": ["a hand-off to the brigade is written: give its number"]})
    return case_ops.hand_off(case, actor=actor, to_unit_id=unit_of_kind(BRIGADE_KIND).id,
                             reason=reason or "重大火灾隐患，派出所无法整改，书面移交消防大队",
                             letter_number=letter_number, letter_text=letter_text, at=at)


def report_to_bureau(case: Case, *, actor, letter_number: str, letter_text: str = "", reason: str = "", at=None):
    """A major hazard reported to the county public security bureau (for government listing)."""
    return case_ops.hand_off(case, actor=actor, to_unit_id=unit_of_kind(BUREAU_KIND).id,
                             reason=reason or "重大火灾隐患，报告县公安局提请政府挂牌督办",
                             letter_number=letter_number, letter_text=letter_text, at=at)
