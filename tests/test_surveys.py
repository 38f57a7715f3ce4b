"""Satisfaction surveys: tokens issued for sampled households, the resident's page, one vote per
token (also under a concurrent double submit), votes as events, the satisfaction rate by grid,
community and period, and the console's pages."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from conftest import in_tenant
from console_support import CSRF_RE, Console
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Event, Open311Key, Place, Survey, SurveyToken
from gridgov.operations import events, grids, registers
from gridgov.surveys import operations as surveys
from gridgov.surveys import satisfaction_rate
from gridgov.surveys.rates import counts_by_grid
from gridgov.tenancy import platform_scope

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
OPEN = {"starts_on": TODAY - dt.timedelta(days=1), "ends_on": TODAY + dt.timedelta(days=1)}
YEAR = (TODAY.replace(month=1, day=1), TODAY.replace(year=TODAY.year + 1, month=1, day=1))


@pytest.fixture
def city(app, factory):
    """Street S → community C (grids G1, G2) and community D (grid G3); households H in each grid
    (four in G1 and G2, two in G3) and one shop."""
    tenant = factory.tenant("city", name="City")
    factory.user("admin", tenant=tenant)
    factory.user("viewer", tenant=tenant, role="viewer")
    ids = {"tenant": tenant}
    with in_tenant(app, tenant):
        for code, parent in (("S", None), ("C", "S"), ("G1", "C"), ("G2", "C"), ("D", "S"), ("G3", "D")):
            ids[code] = grids.create_grid(code=code, name=f"网格{code}", parent_id=ids.get(parent)).id
        for grid, count in (("G1", 4), ("G2", 4), ("G3", 2)):
            for n in range(count):
                registers.create(Place, {"grid_id": ids[grid], "kind": "core.generic", "code": f"{grid}-H{n}",
                                         "name": f"{grid} {n}号户"})
    return ids


def make_survey(app, city, grid="S", **values) -> tuple[int, list[str]]:
    """A survey; returns its id and its plain tokens in tree order."""
    values = {"title": "2026年第一季度满意度测评", "grid_id": city[grid], "place_kind": "core.generic", **OPEN, **values}
    with in_tenant(app, city["tenant"]):
        survey = surveys.create_survey(**values)
        return survey.id, [plain for _, _, _, plain in surveys.links(survey)]


def vote_events(app) -> list[Event]:
    with app.app_context(), platform_scope():
        return list(db.session.scalars(select(Event).where(Event.type == "core.survey_vote").order_by(Event.id)))


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def answer(client, token: str, answer="satisfied", comment=""):
    page = client.get(f"/s/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(f"/s/{token}", data={"answer": answer, "comment": comment,
                                            "csrf_token": csrf_of(page.get_data(as_text=True))})


# -- issuing --------------------------------------------------------------------------------------

def test_tokens_are_issued_for_sampled_households_and_stored_hashed(app, city):
    survey_id, tokens = make_survey(app, city, per_grid=2)
    with in_tenant(app, city["tenant"]):
        rows = list(db.session.scalars(select(SurveyToken).where(SurveyToken.survey_id == survey_id)))
        places = {p.id: p for p in db.session.scalars(select(Place))}
        assert sorted(r.grid_id for r in rows) == sorted([city["G1"]] * 2 + [city["G2"]] * 2 + [city["G3"]] * 2)
        assert all(places[r.place_id].grid_id == r.grid_id for r in rows) and len({r.place_id for r in rows}) == 6
        assert {r.token_hash for r in rows} == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
        stored = " ".join(f"{r.salt} {r.token_hash}" for r in rows)
        assert not any(t in stored for t in tokens)  # the plain token is never stored
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", t) for t in tokens) and len(set(tokens)) == 6
    every_id, every = make_survey(app, city, grid="C")  # no per_grid: every household of the kind
    assert len(every) == 8
    slots_id, slots = make_survey(app, city, place_kind=None, per_grid=3)  # anonymous slots per leaf grid
    with in_tenant(app, city["tenant"]):
        rows = list(db.session.scalars(select(SurveyToken).where(SurveyToken.survey_id == slots_id)))
        assert sorted(r.grid_id for r in rows) == sorted([city["G1"], city["G2"], city["G3"]] * 3)
        assert all(r.place_id is None for r in rows)


def test_bad_surveys_are_refused_naming_the_field(app, city):
    cases = [({"title": " "}, "title"), ({"grid_id": 99999}, "grid_id"), ({"ends_on": TODAY - dt.timedelta(days=5)}, "ends_on"),
             ({"starts_on": "tomorrow"}, "starts_on"), ({"place_kind": "core.nothing"}, "place_kind"),
             ({"place_kind": None}, "per_grid"), ({"per_grid": 0}, "per_grid"), ({"place_kind": "core.generic", "per_grid": True}, "per_grid")]
    for values, field in cases:
        with pytest.raises(surveys.OperationError) as refused:
            make_survey(app, city, **values)
        assert field in refused.value.errors, (values, refused.value.errors)
    with in_tenant(app, city["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 0
        assert db.session.scalar(select(func.count()).select_from(SurveyToken)) == 0


# -- voting ---------------------------------------------------------------------------------------

def test_the_page_is_plain_chinese_and_mobile_friendly(app, client, city):
    _, tokens = make_survey(app, city)
    page = client.get(f"/s/{tokens[0]}").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1.0">' in page
    assert "您对本社区网格化管理工作是否满意？" in page and "2026年第一季度满意度测评" in page
    for label, value in (("满意", "satisfied"), ("基本满意", "basically_satisfied"), ("不满意", "dissatisfied")):
        assert f'name="answer" value="{value}">{label}</button>' in page
    assert 'name="csrf_token"' in page and "意见或建议（选填）" in page
    english = client.get(f"/s/{tokens[0]}?lang=en").get_data(as_text=True)
    assert "Basically satisfied" in english and "Comments or suggestions (optional)" in english


def test_a_vote_is_an_event_in_the_households_grid_and_a_link_votes_once(app, client, city):
    survey_id, tokens = make_survey(app, city, grid="G3")
    response = answer(client, tokens[0], "basically_satisfied", "路灯修好了")
    assert response.status_code == 200 and "感谢您的参与" in response.get_data(as_text=True)
    (event,) = vote_events(app)
    assert event.grid_id == city["G3"] and event.tenant_id == city["tenant"].id
    assert event.payload == {"survey_id": survey_id, "answer": "basically_satisfied", "comment": "路灯修好了"}
    assert event.idempotency_key.startswith("survey-vote:") and event.actor_person_id is None and event.place_id is None
    with in_tenant(app, city["tenant"]):
        token = surveys.find_token(tokens[0])
        assert token.event_id == event.id and token.used_at is not None

    again = client.get(f"/s/{tokens[0]}")
    assert again.status_code == 409 and "此链接已使用过" in again.get_data(as_text=True)
    # a second submission from a page opened before the first vote stores nothing either
    stale_page = client.get(f"/s/{tokens[1]}").get_data(as_text=True)
    assert answer(client, tokens[1], "satisfied").status_code == 200
    second = client.post(f"/s/{tokens[1]}", data={"answer": "dissatisfied", "csrf_token": csrf_of(stale_page)})
    assert second.status_code == 409 and "此链接已使用过" in second.get_data(as_text=True)
    assert [e.payload["answer"] for e in vote_events(app)] == ["basically_satisfied", "satisfied"]


def test_a_concurrent_double_submit_stores_one_vote(app, city, monkeypatch):
    """Two submissions of one link at once: the first to claim the token holds its transaction
    open a moment longer (a delay before its vote is recorded), so the second has certainly
    found the token unused and must be stopped by the claim, not by an earlier check."""
    _, tokens = make_survey(app, city, grid="G3")
    clients = [app.test_client(), app.test_client()]
    forms = [csrf_of(c.get(f"/s/{tokens[0]}").get_data(as_text=True)) for c in clients]
    barrier, statuses, checks, recorded = threading.Barrier(2), [], [], []
    refusal, record = surveys.refusal, surveys.events.record

    def checked(token, today=None):
        checks.append(refusal(token, today))
        return checks[-1]

    def slow_record(data, **kw):
        recorded.append(data["payload"]["answer"])
        time.sleep(0.5)
        return record(data, **kw)

    monkeypatch.setattr(surveys, "refusal", checked)
    monkeypatch.setattr(surveys.events, "record", slow_record)

    def submit(client, csrf, choice):
        barrier.wait()
        statuses.append(client.post(f"/s/{tokens[0]}", data={"answer": choice, "csrf_token": csrf}).status_code)

    threads = [threading.Thread(target=submit, args=(c, f, a)) for c, f, a in zip(clients, forms, ("satisfied", "dissatisfied"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    assert checks == [None, None, None, None] and len(recorded) == 1  # both passed the early checks
    assert [e.payload["answer"] for e in vote_events(app)] == recorded


def test_the_unique_vote_key_holds_even_when_the_claim_is_bypassed(app, city):
    """The database constraint, not only the claim, keeps a token to one vote."""
    _, tokens = make_survey(app, city, grid="G3")
    with in_tenant(app, city["tenant"]):
        surveys.cast_vote(surveys.find_token(tokens[0]), "satisfied")
    with in_tenant(app, city["tenant"]):
        token = surveys.find_token(tokens[0])
        token.used_at = None  # as if the claim had been skipped
        db.session.flush()
        with pytest.raises(surveys.VoteRefused) as refused:
            surveys.cast_vote(token, "dissatisfied")
        assert refused.value.reason == "used"
        db.session.rollback()
    assert len(vote_events(app)) == 1


@pytest.mark.parametrize("period, status, text", [
    ({"starts_on": TODAY - dt.timedelta(days=30), "ends_on": TODAY - dt.timedelta(days=1)}, 410, "本次测评已结束"),
    ({"starts_on": TODAY + dt.timedelta(days=1), "ends_on": TODAY + dt.timedelta(days=30)}, 403, "本次测评尚未开始"),
])
def test_a_link_outside_the_period_is_refused(app, client, city, period, status, text):
    _, tokens = make_survey(app, city, grid="G3", **period)
    page = client.get(f"/s/{tokens[0]}")
    assert page.status_code == status and text in page.get_data(as_text=True)
    console = Console(client)
    response = client.post(f"/s/{tokens[0]}", data={"answer": "satisfied", "csrf_token": console.csrf("/login")})
    assert response.status_code == status
    assert vote_events(app) == []


def test_a_closed_survey_an_unknown_link_and_a_missing_csrf_token_are_refused(app, client, city):
    survey_id, tokens = make_survey(app, city, grid="G3")
    assert client.post(f"/s/{tokens[0]}", data={"answer": "satisfied"}).status_code == 400  # no CSRF token
    response = client.post(f"/s/{tokens[0]}", data={"answer": "great", "csrf_token": csrf_of(client.get(f"/s/{tokens[0]}").get_data(as_text=True))})
    assert response.status_code == 400 and "请选择一个答复" in response.get_data(as_text=True)
    with in_tenant(app, city["tenant"]):
        surveys.close_survey(surveys.get_survey(survey_id))
    assert client.get(f"/s/{tokens[0]}").status_code == 410
    for bad in ("x" * 20, "short", tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B")):
        response = client.get(f"/s/{bad}")
        assert response.status_code == 404 and "链接无效" in response.get_data(as_text=True)
    assert vote_events(app) == []


# -- rates ----------------------------------------------------------------------------------------

def _vote(app, city, token: str, choice: str) -> int:
    with in_tenant(app, city["tenant"]):
        return surveys.cast_vote(surveys.find_token(token), choice).id


def _tokens_by_grid(app, city, survey_id) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    with in_tenant(app, city["tenant"]):
        for token, grid, _, plain in surveys.links(surveys.get_survey(survey_id)):
            out.setdefault(grid.code, []).append(plain)
    return out


def test_the_rate_is_satisfied_over_sampled_per_grid_and_community(app, city):
    survey_id, _ = make_survey(app, city)  # G1: 4, G2: 4, G3: 2 households
    by_grid = _tokens_by_grid(app, city, survey_id)
    for token, choice in zip(by_grid["G1"], ("satisfied", "satisfied", "basically_satisfied")):  # one unanswered
        _vote(app, city, token, choice)
    for token, choice in zip(by_grid["G2"], ("satisfied", "dissatisfied", "dissatisfied", "satisfied")):
        _vote(app, city, token, choice)
    voided = _vote(app, city, by_grid["G3"][0], "dissatisfied")
    with in_tenant(app, city["tenant"]):
        events.void(db.session.get(Event, voided), "重复录入")  # a voided vote no longer counts
        # an event of the vote type not cast through a token is not a vote
        events.record({"type": "core.survey_vote", "grid_id": city["G3"], "occurred_at": "2026-03-01T10:00:00+08:00",
                       "payload": {"survey_id": survey_id, "answer": "satisfied"}})

    with in_tenant(app, city["tenant"]):
        g1 = satisfaction_rate(city["G1"], *YEAR)
        assert (g1.sampled, g1.answered, g1.satisfied, g1.basically_satisfied) == (4, 3, 2, 1)
        assert (g1.rate.percent, g1.approval_rate.percent) == (50, 100)
        community = satisfaction_rate(city["C"], *YEAR)
        assert (community.sampled, community.answered, community.satisfied, community.dissatisfied) == (8, 7, 4, 2)
        assert str(community.rate.percent) == "50.00" and str(community.approval_rate.percent) == "71.43"
        d = satisfaction_rate(city["D"], *YEAR)
        assert (d.sampled, d.answered, d.rate.percent, d.rate.nothing_due) == (2, 0, 0, False)
        assert d.approval_rate.nothing_due  # nobody answered: nothing due
        whole = satisfaction_rate(None, *YEAR)
        assert (whole.sampled, whole.satisfied) == (10, 4)
        assert counts_by_grid(survey=survey_id)[city["G2"]].dissatisfied == 2
        # the period selects surveys by their last day; none ends next year: nothing due, 100 %
        later = satisfaction_rate(city["C"], YEAR[1], YEAR[1].replace(year=YEAR[1].year + 1))
        assert (later.sampled, later.rate.percent, later.rate.nothing_due) == (0, 100, True)
        with pytest.raises(surveys.OperationError):
            satisfaction_rate(city["C"], YEAR[1], YEAR[0])


def test_rates_are_per_tenant(app, factory, city):
    survey_id, tokens = make_survey(app, city, grid="G3")
    _vote(app, city, tokens[0], "satisfied")
    other = factory.tenant("other")
    with in_tenant(app, other):
        root = grids.create_grid(code="S", name="其他街道")
        assert satisfaction_rate(root, *YEAR).sampled == 0
        assert satisfaction_rate(None, *YEAR).sampled == 0
        with pytest.raises(surveys.VoteRefused):
            surveys.find_token(tokens[1])  # another tenant's token is unknown here


# -- console --------------------------------------------------------------------------------------

def test_the_console_creates_a_survey_and_prints_its_links(app, client, city):
    console = Console(client)
    console.login("admin")
    form = console.get("/admin/surveys/new/").get_data(as_text=True)
    assert "您对本社区网格化管理工作是否满意？" in form and "core.generic" in form
    response = console.post("/admin/surveys/new/", data={
        "title": "二季度测评", "grid_id": city["C"], "starts_on": OPEN["starts_on"].isoformat(),
        "ends_on": OPEN["ends_on"].isoformat(), "question": "", "place_kind": "core.generic", "per_grid": "3"})
    assert response.status_code == 302
    with in_tenant(app, city["tenant"]):
        survey = db.session.scalar(select(Survey))
        assert (survey.title, survey.grid_id, survey.per_grid, survey.question) == ("二季度测评", city["C"], 3, "您对本社区网格化管理工作是否满意？")
        survey_id = survey.id
    page = console.get("/admin/surveys/links/", query_string={"id": survey_id}).get_data(as_text=True)
    links = re.findall(r'<span class="link">(http://localhost/s/[A-Za-z0-9_-]{20})</span>', page)
    assert len(links) == 6 and page.count("<li") == 6 and "网格G1" in page and "号户" in page
    token = links[0].rsplit("/", 1)[1]
    assert answer(client, token, "satisfied").status_code == 200
    page = console.get("/admin/surveys/links/", query_string={"id": survey_id}).get_data(as_text=True)
    assert "已答复" in page and page.count('class="used"') == 1

    listing = console.get("/admin/surveys/").get_data(as_text=True)
    assert "二季度测评" in listing and "16.67%" in listing  # 1 satisfied of 6 sampled
    details = console.get("/admin/surveys/details/", query_string={"id": survey_id}).get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-grid="(\w+)">.*?<td class="rate">([^<]+)</td>', details, re.S))
    assert rows == {"C": "16.67%", "G1": "33.33%", "G2": "0.00%"}
    rates = console.get("/admin/surveys/rates/", query_string={"grid": city["S"]}).get_data(as_text=True)
    assert dict(re.findall(r'<tr data-grid="(\w+)">.*?<td class="rate">([^<]+)</td>', rates, re.S)) == {"S": "16.67%", **rows}

    response = console.post("/admin/surveys/action/", data={"action": "close", "rowid": [str(survey_id)]})
    assert response.status_code == 302
    with in_tenant(app, city["tenant"]):
        assert surveys.get_survey(survey_id).status == "closed"
    assert client.get(links[1].replace("http://localhost", "")).status_code == 410


def test_only_writers_print_links_and_other_tenants_get_404(app, client, factory, city):
    survey_id, _ = make_survey(app, city, grid="G3")
    other = factory.tenant("other")
    factory.user("stranger", tenant=other)
    console = Console(client)
    console.login("viewer")
    assert console.get("/admin/surveys/links/", query_string={"id": survey_id}).status_code == 403
    assert console.get("/admin/surveys/details/", query_string={"id": survey_id}).status_code == 200
    console.post("/logout")
    console.login("stranger")
    for url in ("/admin/surveys/links/", "/admin/surveys/details/"):
        assert console.get(url, query_string={"id": survey_id}).status_code == 404
    console.post("/admin/surveys/action/", data={"action": "close", "rowid": [str(survey_id)]})
    with in_tenant(app, city["tenant"]):
        assert surveys.get_survey(survey_id).status == "open"


def test_the_console_issues_and_revokes_open311_keys(app, client, city):
    console = Console(client)
    console.login("admin")
    response = console.post("/admin/open311-keys/new/", data={"name": "市民随手拍", "grid_id": city["S"]},
                            follow_redirects=True)
    plain = re.search(r"(o311_[A-Za-z0-9_-]{32})", response.get_data(as_text=True)).group(1)
    report = {"jurisdiction_id": "city", "api_key": plain, "service_code": "core.general", "address_string": "解放路"}
    assert client.post("/open311/v2/requests.json", data=report).status_code == 200
    listing = console.get("/admin/open311-keys/").get_data(as_text=True)
    assert "市民随手拍" in listing and plain[:10] in listing and plain not in listing
    with in_tenant(app, city["tenant"]):
        key = db.session.scalar(select(Open311Key))
        assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest() and key.last_used_at is not None
        key_id = key.id
    console.post("/admin/open311-keys/action/", data={"action": "revoke", "rowid": [str(key_id)]})
    assert client.post("/open311/v2/requests.json", data=report).status_code == 403


def test_a_survey_is_edited_but_keeps_its_grid_and_tokens(app, client, city):
    survey_id, tokens = make_survey(app, city, grid="G3")
    console = Console(client)
    console.login("admin")
    form = console.get("/admin/surveys/edit/", query_string={"id": survey_id}).get_data(as_text=True)
    assert 'name="grid_id"' not in form and 'name="title"' in form
    later = (OPEN["ends_on"] + dt.timedelta(days=30)).isoformat()
    response = console.post("/admin/surveys/edit/", query_string={"id": survey_id}, data={
        "title": "延期的测评", "starts_on": OPEN["starts_on"].isoformat(), "ends_on": later, "question": "满意吗？",
        "grid_id": city["S"]})
    assert response.status_code == 302
    response = console.post("/admin/surveys/edit/", query_string={"id": survey_id}, data={
        "title": "倒置", "starts_on": later, "ends_on": OPEN["starts_on"].isoformat()})
    assert "must not be before starts_on" in response.get_data(as_text=True)
    with in_tenant(app, city["tenant"]):
        survey = surveys.get_survey(survey_id)
        assert (survey.title, survey.question, survey.ends_on.isoformat(), survey.grid_id) == ("延期的测评", "满意吗？", later, city["G3"])
        with pytest.raises(surveys.OperationError) as refused:
            surveys.update_survey(survey, grid_id=city["S"])
        assert refused.value.errors == {"grid_id": ["cannot be changed"]}
    assert "满意吗？" in client.get(f"/s/{tokens[0]}").get_data(as_text=True)
