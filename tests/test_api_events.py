"""Events through the API: one, a batch, replays by idempotency key, list filters, cursor
pages, void and supersession, the local time, and the event-type catalogue."""
import pytest

from gridgov.models import Event

from api_support import NOTE_AT, TenantClient, assert_error, count, make_tree, note


@pytest.fixture
def berlin(factory):
    """A tenant in another time zone, so the local time differs from the submitted offset."""
    return factory.tenant("berlin", timezone="Europe/Berlin", name="Berlin")


@pytest.fixture
def api(client, factory, berlin):
    _, token = factory.user("clerk", berlin, "field_staff")
    return TenantClient(client, token, berlin.slug)


@pytest.fixture
def boss(client, factory, berlin):
    _, token = factory.user("boss", berlin, "tenant_admin")
    return TenantClient(client, token, berlin.slug)


@pytest.fixture
def tree(boss):
    return make_tree(boss)


def test_record_one_event_and_read_it_back(app, api, tree, berlin):
    created = api.post("events", note(tree["g1"]["id"], at="2026-05-01T08:00:00+08:00"))
    assert created.status_code == 201
    event = created.get_json()
    assert event["type"] == "core.note" and event["payload"] == {"text": "巡查正常", "tags": []}
    assert event["occurred_at"] == "2026-05-01T00:00:00+00:00"
    assert event["occurred_at_local"] == "2026-05-01T02:00:00+02:00"  # Berlin, summer time
    assert event["superseded_by"] is None and event["recorded_by_id"] is not None
    assert api.ok("GET", f"events/{event['id']}") == event
    with app.app_context():
        assert count(Event, berlin.id) == 1


def test_a_retry_with_the_same_key_returns_the_original(app, api, tree, berlin):
    body = note(tree["g1"]["id"], idempotency_key="phone-42-0001")
    first = api.post("events", body)
    again = api.post("events", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    with app.app_context():
        assert count(Event, berlin.id) == 1


def test_the_idempotency_key_header(app, api, tree, berlin):
    body = note(tree["g1"]["id"])
    first = api.post("events", body, headers={"Idempotency-Key": "hdr-1"})
    assert first.status_code == 201 and first.get_json()["idempotency_key"] == "hdr-1"
    assert api.post("events", body, headers={"Idempotency-Key": "hdr-1"}).status_code == 200
    # the same key in the body is the same submission
    assert api.post("events", {**body, "idempotency_key": "hdr-1"}).status_code == 200
    assert_error(api.post("events", {**body, "idempotency_key": "other"}, headers={"Idempotency-Key": "hdr-1"}),
                 422, "idempotency_key")
    assert_error(api.post("events", note(tree["g1"]["id"], text="改了"), headers={"Idempotency-Key": "hdr-1"}),
                 409, "idempotency_key")
    with app.app_context():
        assert count(Event, berlin.id) == 1


def test_a_batch_is_stored_whole_and_replayed_whole(app, api, tree, berlin):
    items = [note(tree["g1"]["id"], text=f"第{i}次", idempotency_key=f"b-{i}") for i in range(5)]
    stored = api.post("events/batch", {"events": items})
    assert stored.status_code == 201
    body = stored.get_json()
    assert body["created"] == 5 and body["replayed"] == [False] * 5 and len(set(body["ids"])) == 5
    texts = [api.ok("GET", f"events/{i}")["payload"]["text"] for i in body["ids"]]
    assert texts == [f"第{i}次" for i in range(5)]
    replay = api.post("events/batch", {"events": items + [note(tree["c1"]["id"])]})
    assert replay.status_code == 201
    assert replay.get_json()["ids"][:5] == body["ids"] and replay.get_json()["replayed"] == [True] * 5 + [False]
    assert api.post("events/batch", {"events": items}).status_code == 200
    with app.app_context():
        assert count(Event, berlin.id) == 6


def test_a_batch_with_one_bad_item_writes_nothing(app, api, tree, berlin):
    items = [note(tree["g1"]["id"]) for _ in range(10)]
    items[7] = {**items[7], "type": "core.nonsense"}
    items[3] = {**items[3], "payload": {}}
    response = api.post("events/batch", {"events": items})
    body = assert_error(response, 422, "events.7.type")
    assert_error(response, 422, "events.3.payload.text")
    assert set(body["errors"]["json"]["events"]) == {"3", "7"}
    with app.app_context():
        assert count(Event, berlin.id) == 0


def test_list_filters(api, boss, tree):
    person = boss.ok("POST", "people", {"code": "P1", "name": "王芳"})
    at = "2026-05-0{}T09:00:00+08:00"
    api.ok("POST", "events/batch", {"events": [
        note(tree["g1"]["id"], "g1 day1", at.format(1), actor_person_id=person["id"]),
        note(tree["c2"]["id"], "c2 day2", at.format(2)),
        note(tree["root"]["id"], "root day3", at.format(3), subject_person_id=person["id"]),
        note(tree["c1"]["id"], "c1 day4", at.format(4)),
    ]})
    def texts(**query):
        return [e["payload"].get("text") for e in api.ok("GET", "events", query=query)["items"]]
    assert texts() == ["c1 day4", "root day3", "c2 day2", "g1 day1"]  # newest first
    assert texts(grid_id=tree["c1"]["id"]) == ["c1 day4", "g1 day1"]  # the whole subtree
    assert texts(grid_id=tree["root"]["id"]) == texts()
    assert texts(person_id=person["id"]) == ["root day3", "g1 day1"]  # as actor or subject
    assert texts(**{"from": "2026-05-02T09:00:00+08:00", "to": "2026-05-04T09:00:00+08:00"}) == ["root day3", "c2 day2"]
    assert texts(**{"from": "2026-05-02T01:00:00Z"}) == ["c1 day4", "root day3", "c2 day2"]
    assert texts(type="core.void") == []
    assert texts(type=["core.note", "core.void"]) == texts()


def test_cursor_pages_walk_every_event_once(api, tree):
    items = [note(tree["g1"]["id"], f"n{i}", f"2026-05-01T08:{i % 3:02d}:00+08:00") for i in range(23)]
    api.ok("POST", "events/batch", {"events": items})
    seen, cursor, pages = [], None, 0
    while True:
        page = api.ok("GET", "events", query={"limit": 5, **({"cursor": cursor} if cursor else {})})
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 23 and len({e["id"] for e in seen}) == 23
    keys = [(e["occurred_at"], e["id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)
    assert_error(api.get("events", query={"cursor": "not-a-cursor"}), 400, "cursor", "query")


def test_void_keeps_the_event_and_marks_it_superseded(app, api, tree, berlin):
    event = api.ok("POST", "events", note(tree["g1"]["id"]))
    void = api.ok("POST", f"events/{event['id']}/void", {"reason": "录错了网格"})
    assert void["type"] == "core.void" and void["voids_id"] == event["id"] and void["payload"] == {"reason": "录错了网格"}
    assert api.ok("GET", f"events/{event['id']}")["superseded_by"] == void["id"]
    listed = api.ok("GET", "events")["items"]
    assert {e["id"]: e["superseded_by"] for e in listed} == {event["id"]: void["id"], void["id"]: None}
    assert [e["id"] for e in api.ok("GET", "events", query={"include_superseded": "false"})["items"]] == [void["id"]]
    assert_error(api.post(f"events/{event['id']}/void", {"reason": "again"}), 422, "voids_id")
    assert_error(api.post(f"events/{void['id']}/void", {"reason": "undo"}), 422, "voids_id")
    assert_error(api.post(f"events/{event['id']}/void", {}), 422, "reason")
    assert_error(api.post("events/999999/void", {"reason": "x"}), 404)
    with app.app_context():
        assert count(Event, berlin.id) == 2


def test_an_amendment_supersedes_the_original(api, tree):
    event = api.ok("POST", "events", note(tree["g1"]["id"], "原文"))
    amended = api.ok("POST", "events", note(tree["g1"]["id"], "更正", amends_id=event["id"]))
    assert api.ok("GET", f"events/{event['id']}")["superseded_by"] == amended["id"]
    assert_error(api.post("events", {"type": "core.void", "grid_id": tree["g1"]["id"], "occurred_at": NOTE_AT,
                                     "amends_id": event["id"], "payload": {"reason": "x"}}), 422, "voids_id")


def test_event_types_describe_the_forms(api):
    types = {t["key"]: t for t in api.ok("GET", "event-types")}
    assert set(types) == {"core.note", "core.void", "core.survey_vote"}  # berlin enables no plugin
    note_type = types["core.note"]
    assert note_type["title"] == {"zh": "现场记录", "en": "Field note"} and note_type["plugin"] == "core"
    fields = {f["name"]: f for f in note_type["payload_fields"]}
    assert fields["text"]["type"] == "string" and fields["text"]["required"] is True
    assert fields["tags"]["type"] == "array" and fields["tags"]["required"] is False
    assert note_type["payload_schema"]["properties"]["text"]["maxLength"] == 4000


def test_roles_and_place_kinds_catalogues(api):
    roles = {r["key"]: r for r in api.ok("GET", "roles")}
    assert roles["core.unit_staff"]["scope"] == "unit" and roles["core.grid_worker"]["title"]["zh"] == "网格员"
    assert [k["key"] for k in api.ok("GET", "place-kinds")] == ["core.generic"]

