"""dafang_fire rules that need no database: the enforcement measure's fields (a fine only and
always on a penalty decision, people only and always on a detention, fines as Decimal), the
fatal fire, the government listing's fields, the settings' defaults and bounds."""
from __future__ import annotations

from decimal import Decimal

import pytest
from marshmallow import ValidationError

from gridgov_dafang_fire.forms import (EnforcementPayload, FatalFirePayload, FireCheckPayload,
                                       GovernmentListingPayload, PublicityPayload)
from gridgov_dafang_fire.settings import Settings


def enforcement(**payload):
    return EnforcementPayload().load({"document_number": "大公（消）罚决字〔2025〕1号", **payload})


def test_a_penalty_decision_carries_its_fine_as_decimal():
    loaded = enforcement(measure="penalty_decision", fine="5000.5")
    assert loaded["fine"] == Decimal("5000.50") and isinstance(loaded["fine"], Decimal)
    assert EnforcementPayload().dump(loaded)["fine"] == "5000.50"


@pytest.mark.parametrize("payload, field", [
    ({"measure": "penalty_decision"}, "fine"),
    ({"measure": "penalty_decision", "fine": "0"}, "fine"),
    ({"measure": "penalty_decision", "fine": "-10"}, "fine"),
    ({"measure": "penalty_decision", "fine": "abc"}, "fine"),
    ({"measure": "temporary_seal", "fine": "100"}, "fine"),
    ({"measure": "detention"}, "people"),
    ({"measure": "detention", "people": 0}, "people"),
    ({"measure": "three_stops", "people": 1}, "people"),
    ({"measure": "warning"}, "measure"),
])
def test_enforcement_refusals_name_the_field(payload, field):
    with pytest.raises(ValidationError) as exc:
        enforcement(**payload)
    assert field in exc.value.messages


def test_enforcement_needs_its_document_number():
    with pytest.raises(ValidationError) as exc:
        EnforcementPayload().load({"measure": "rectification_order"})
    assert "document_number" in exc.value.messages


@pytest.mark.parametrize("measure", ["rectification_order", "temporary_seal", "three_stops"])
def test_other_measures_need_no_fine_or_people(measure):
    loaded = enforcement(measure=measure)
    assert loaded["fine"] is None and loaded["people"] is None


def test_a_detention_counts_people():
    assert enforcement(measure="detention", people=2)["people"] == 2


def test_a_fatal_fire_has_at_least_one_death():
    with pytest.raises(ValidationError) as exc:
        FatalFirePayload().load({"deaths": 0})
    assert "deaths" in exc.value.messages
    assert FatalFirePayload().load({"deaths": 1})["deaths"] == 1


def test_listing_needs_case_deadline_and_document():
    with pytest.raises(ValidationError) as exc:
        GovernmentListingPayload().load({"case_number": "", "deadline": "not a date"})
    assert {"case_number", "deadline", "document_number"} <= set(exc.value.messages)


def test_check_and_publicity_fields():
    with pytest.raises(ValidationError) as exc:
        FireCheckPayload().load({"sweep": "yearly", "hazards_found": 0})
    assert "sweep" in exc.value.messages
    with pytest.raises(ValidationError) as exc:
        PublicityPayload().load({"topic": "", "audience": -1})
    assert {"topic", "audience"} <= set(exc.value.messages)


def test_settings_defaults_and_bounds():
    assert Settings().load({}) == {"hazard_hotline": "96119", "station_monthly_quota": 20,
                                   "room_officers": 2, "room_assistants": 1,
                                   "grade_bands": {"excellent": 95, "good": 85, "pass": 65}}
    with pytest.raises(ValidationError) as exc:
        Settings().load({"grade_bands": {"good": 99}})  # above 优秀
    assert "grade_bands" in exc.value.messages
    with pytest.raises(ValidationError) as exc:
        Settings().load({"station_monthly_quota": -1, "room_officers": 21, "hazard_hotline": "call us"})
    assert {"station_monthly_quota", "room_officers", "hazard_hotline"} <= set(exc.value.messages)
