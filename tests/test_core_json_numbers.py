"""JSON numbers in API request bodies: a ``Decimal`` field receives the number exactly as sent
(not through a 15-17 digit float), untyped containers and the idempotency hash keep working,
and NaN/Infinity or numbers beyond the float range are refused with a 400 naming the body."""
import json

import pytest

from gridgov.api.errors import JSONNumber, read_json
from gridgov.operations.events import request_hash

from api_support import NOTE_AT, TenantClient, assert_error

TWENTY_DIGITS = "12.345678901234567891"  # 20 significant digits; a float keeps about 17


@pytest.fixture
def river(client, factory):
    tenant = factory.tenant("river", plugins=["example"])
    api = TenantClient(client, factory.user("river-admin", tenant, "tenant_admin")[1], "river")
    return api, api.ok("POST", "grids", {"code": "G1", "name": "网格"})["id"]


def _body(grid: int, level: str, key: str | None = None) -> str:
    """The raw JSON text, so the number's digits are what the test writes."""
    extra = f', "idempotency_key": "{key}"' if key else ""
    return (f'{{"type": "example.water_level", "grid_id": {grid}, "occurred_at": "{NOTE_AT}", '
            f'"payload": {{"gauge": "茶山河1号", "level_m": {level}}}{extra}}}')


def test_a_twenty_digit_number_reaches_a_decimal_field_exactly(river):
    api, grid = river
    response = api("POST", "events", data=_body(grid, TWENTY_DIGITS))
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = response.get_json()
    assert stored["payload"]["level_m"] == TWENTY_DIGITS
    assert api.ok("GET", f"events/{stored['id']}")["payload"]["level_m"] == TWENTY_DIGITS


def test_a_replay_with_a_number_in_the_body_is_recognised(river):
    api, grid = river
    first = api("POST", "events", data=_body(grid, TWENTY_DIGITS, key="gauge-1"))
    again = api("POST", "events", data=_body(grid, TWENTY_DIGITS, key="gauge-1"))
    assert first.status_code == 201 and again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["id"] == first.get_json()["id"]


def test_numbers_in_untyped_json_are_stored_as_numbers(river):
    api, _ = river
    grid = api.ok("POST", "grids", data='{"code": "G2", "name": "乙", "attributes": {"area_km2": 1.25, '
                                        '"geo": [113.123456789012345678, 28.5]}}')
    assert grid["attributes"] == {"area_km2": 1.25, "geo": [113.12345678901235, 28.5]}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused(river, literal):
    api, grid = river
    body = assert_error(api("POST", "events", data=_body(grid, literal)), 400, "_schema")
    reason = body["errors"]["json"]["_schema"][0]
    assert reason.startswith("malformed JSON") and ("not JSON" in reason or "out of range" in reason), reason


def test_the_parsed_number_is_a_float_that_keeps_its_text(app):
    with app.test_request_context("/api/v1/x", method="POST", data='{"a": 0.1000000000000000000001, "b": 2}'):
        data = read_json()
    assert isinstance(data["a"], JSONNumber) and isinstance(data["a"], float) and data["b"] == 2
    assert str(data["a"]) == "0.1000000000000000000001" and data["a"] == 0.1
    # the idempotency hash and JSON columns see the float, as before this type existed
    assert json.dumps(data, sort_keys=True) == '{"a": 0.1, "b": 2}'
    assert request_hash(data) == request_hash({"a": 0.1, "b": 2})
