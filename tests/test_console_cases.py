"""Case work in the console: the queue tabs per login, the case page's buttons per role, the
steps posted through the buttons' forms, refusals shown as messages, attachments, reporting."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from cases_support import World
from conftest import in_tenant
from console_cases_support import PNG, Browser, buttons
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Case, HandOff
from gridgov.models.attachments import Attachment
from gridgov.operations import cases

NUMBER_RE = re.compile(r'<a href="/admin/cases/case/\?id=\d+">(\d{4}-\d{6})</a>')


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def browser(app, world, login: str) -> Browser:
    return Browser(app, world.user_ids[login])


def numbers(html: str) -> set[str]:
    """The case numbers listed in the queue table (not the reminders above it)."""
    return set(NUMBER_RE.findall(html.split('id="queue"', 1)[1]))


def reload(app, world, case_id: int) -> Case:
    with in_tenant(app, world.tenant):
        case = cases.get_case(case_id)
        db.session.expunge(case)
        return case


@pytest.fixture
def queue_cases(app, world):
    """dispatched (UG1), escalated (UG1 → UC), reported (the centre's), handed off (→ D),
    overdue (UG1, past its resolve deadline), closed (UG1), of category general or dispute."""
    with in_tenant(app, world.tenant):
        sup, g1 = world.user("sup"), world.user("g1staff")
        made = {
            "dispatched": world.case_in("dispatched"),
            "escalated": world.case_in("dispatched", category="core.general"),
            "reported": world.case_in("reported"),
            "handed_off": world.case_in("handed_off"),
            "closed": world.case_in("closed"),
        }
        cases.escalate(made["escalated"], actor=g1)
        month_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)  # paper records entered late (补录)
        late = world.report(reported_at=month_ago.isoformat())
        cases.accept(late, actor=sup, at=month_ago + dt.timedelta(hours=1))
        cases.dispatch(late, actor=sup, unit_id=world.unit["UG1"], at=month_ago + dt.timedelta(hours=2))
        made["overdue"] = late
        cases.sweep_overdue()
        return {key: (case.id, case.number) for key, case in made.items()}


def test_queue_tabs_show_each_login_its_cases(app, world, queue_cases):
    n = {key: number for key, (_, number) in queue_cases.items()}
    g1 = browser(app, world, "g1staff")
    assert numbers(g1.text("/admin/cases/")) == {n["dispatched"], n["overdue"]}
    assert numbers(g1.text("/admin/cases/?tab=overdue")) == {n["overdue"]}
    assert numbers(g1.text("/admin/cases/?tab=escalated")) == set()
    assert "?tab=open" not in g1.text("/admin/cases/")  # 全部在办 is the supervisors'

    c = browser(app, world, "cstaff")
    assert numbers(c.text("/admin/cases/?tab=escalated")) == {n["escalated"]}
    assert numbers(c.text("/admin/cases/")) == {n["escalated"]}

    sup = browser(app, world, "sup")  # no unit: the centre's work, every unit's overdue and escalations
    assert numbers(sup.text("/admin/cases/")) == {n["reported"]}
    assert numbers(sup.text("/admin/cases/?tab=overdue")) == {n["overdue"]}
    assert numbers(sup.text("/admin/cases/?tab=escalated")) == {n["escalated"], n["handed_off"]}
    every_open = {v for k, v in n.items() if k != "closed"}
    assert numbers(sup.text("/admin/cases/?tab=open")) == every_open
    assert numbers(sup.text("/admin/cases/?tab=open&state=reported")) == {n["reported"]}
    assert numbers(sup.text("/admin/cases/?tab=open&category=core.general")) == {n["escalated"]}
    assert numbers(sup.text(f"/admin/cases/?tab=open&unit={world.unit['D']}")) == {n["handed_off"]}
    assert numbers(sup.text(f"/admin/cases/?unit={world.unit['UG1']}")) == {n["dispatched"], n["overdue"]}

    fs = browser(app, world, "fs")  # a grid worker: no unit
    page = fs.text("/admin/cases/?lang=en")
    assert numbers(page) == set() and "no unit queue" in page


def test_mine_lists_open_reminders_and_acknowledges_them(app, world, queue_cases):
    overdue_id, number = queue_cases["overdue"]
    g1 = browser(app, world, "g1staff")
    page = g1.text("/admin/cases/")
    assert 'id="reminders"' in page and number in page.split('id="queue"')[0]
    assert "处置期限" in page or "立案期限" in page
    action = re.search(r'action="(/admin/cases/reminder/\?id=\d+&amp;reminder=\d+)"', page).group(1).replace("&amp;", "&")
    page = g1.follow(action)
    assert "已确认" in page
    with in_tenant(app, world.tenant):
        assert cases.list_reminders(unit_id=world.unit["UG1"]) == []


def test_buttons_are_the_allowed_actions_of_the_login(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.case_in("in_progress").id
    url = f"/admin/cases/case/?id={case_id}"
    assert buttons(browser(app, world, "g1staff").text(url)) == ["wait", "escalate", "hand_off", "resolve"]
    sup_buttons = buttons(browser(app, world, "sup").text(url))
    assert {"escalate", "hand_off", "resolve", "close_special"} <= set(sup_buttons) and "accept" not in sup_buttons
    for login in ("viewer", "cstaff", "fs"):
        assert buttons(browser(app, world, login).text(url)) == [], login
    page = browser(app, world, "g1staff").text(url)
    for shown in ("处置中", "矛盾纠纷", "网格G1", "占道经营", "人员fs", "处置期限", "开始处置", "Asia/Shanghai"):
        assert shown in page, shown


def test_each_button_opens_a_form_and_takes_its_step(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.report().id
    sup, g1 = browser(app, world, "sup"), browser(app, world, "g1staff")
    step = f"/admin/cases/step/?id={case_id}&action="

    form = sup.text(step + "accept")
    assert 'name="category"' in form and 'name="note"' in form and "立案" in form
    page = sup.follow(step + "accept", {"category": "core.dispute", "severity": "serious", "note": "属实，立案"})
    assert "已立案" in page and "属实，立案" in page
    assert reload(app, world, case_id).severity == "serious"

    sup.follow(step + "dispatch", {"unit_id": world.unit["UG1"], "note": ""})
    page = g1.follow(step + "start", {"note": "到场"})
    assert reload(app, world, case_id).state == "in_progress" and "人员g1staff" in page

    page = g1.follow(step + "escalate", {"unit_id": "", "note": "需社区协调"})
    case = reload(app, world, case_id)
    assert (case.state, case.unit_id) == ("escalated", world.unit["UC"])
    assert "需社区协调" in page and "UG1 单位UG1 → UC 单位UC" in page

    c = browser(app, world, "cstaff")
    data = {"to_unit_id": world.unit["D"], "reason": "属城管执法职责", "letter_number": "大城交〔2026〕7号",
            "letter_text": "现将该案件移交贵单位办理。", "note": "",
            "letter_file": (io.BytesIO(PNG), "交办函.png")}
    page = c.follow(step + "hand_off", data, content_type="multipart/form-data")
    case = reload(app, world, case_id)
    assert (case.state, case.unit_id, case.handoff_count) == ("handed_off", world.unit["D"], 1)
    with in_tenant(app, world.tenant):
        record = db.session.scalar(select(HandOff).where(HandOff.case_id == case_id))
        assert (record.letter_number, record.reason, record.from_unit_id) == ("大城交〔2026〕7号", "属城管执法职责", world.unit["UC"])
        (attachment_id,) = record.attachment_ids
        assert db.session.get(Attachment, attachment_id).filename == "交办函.png"
    assert "大城交〔2026〕7号" in page and "现将该案件移交贵单位办理。" in page and f"/files/{attachment_id}" in page
    assert c.get(f"/files/{attachment_id}").data == PNG

    with in_tenant(app, world.tenant):  # the steps' records carry actor and time: the timeline shows all six
        assert [s.action for s in cases.timeline(cases.get_case(case_id))] == \
            ["report", "accept", "dispatch", "start", "escalate", "hand_off"]


def test_a_refused_step_shows_the_reason_and_changes_nothing(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.report().id
    step = f"/admin/cases/step/?id={case_id}&action="
    g1 = browser(app, world, "g1staff")
    page = g1.follow(step + "accept", {"category": "core.dispute", "severity": "normal", "note": ""})
    assert "accept (立案): role field_staff may not take this step" in page
    page = browser(app, world, "sup").follow(step + "close", {"note": ""})
    assert "close (结案) is not possible for case" in page and "state reported" in page
    assert reload(app, world, case_id).state == "reported"

    response = g1.get(step + "accept")  # the form of a step not offered sends back to the case
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/cases/case/?id={case_id}")

    sup = browser(app, world, "sup")
    response = sup.post(step + "reject", {"reason": ""})  # the form's own check
    assert response.status_code == 200 and 'is-invalid' in response.get_data(as_text=True)
    page = sup.follow(step + "dispatch", {"unit_id": world.unit["D"]})
    assert "dispatch (派遣) is not possible" in page
    assert reload(app, world, case_id).state == "reported"
    assert sup.get(step + "teleport").status_code == 404
    assert sup.get("/admin/cases/case/?id=999999").status_code == 404


def test_invalid_input_stays_on_the_form_with_the_reason(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.case_in("in_progress", category="core.general").id
    sup = browser(app, world, "sup")
    future = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = sup.post(f"/admin/cases/step/?id={case_id}&action=resolve", {"at": future, "note": ""})
    assert response.status_code == 200 and "must not be in the future" in response.get_data(as_text=True)
    assert reload(app, world, case_id).state == "in_progress"


def test_upload_checks_the_type_and_lists_the_file(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.case_in("dispatched").id
    g1 = browser(app, world, "g1staff")
    url = f"/admin/cases/upload/?id={case_id}"
    page = g1.follow(url, {"file": (io.BytesIO(b"MZ\x90\x00 not a photo at all"), "photo.jpg")}, content_type="multipart/form-data")
    assert "type unknown not allowed" in page
    page = g1.follow(url, {"file": (io.BytesIO(PNG), "现场.png")}, content_type="multipart/form-data")
    with in_tenant(app, world.tenant):
        (attachment_id,) = db.session.scalars(select(Attachment.id).where(Attachment.owner_id == case_id)).all()
    assert "现场.png" in page and f'href="/files/{attachment_id}"' in page
    page = browser(app, world, "viewer").follow(url, {"file": (io.BytesIO(PNG), "x.png")}, content_type="multipart/form-data")
    assert "您的角色不能添加附件" in page
    with in_tenant(app, world.tenant):
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_report_a_case_through_the_form(app, world):
    g1 = browser(app, world, "g1staff")
    form = g1.text("/admin/cases/report/")
    assert "矛盾纠纷" in form and "网格员巡查" in form
    page = g1.follow("/admin/cases/report/", {
        "category": "core.general", "severity": "normal", "grid_id": world.grid["G3"], "place_id": "",
        "address": "幸福路 3 号", "latitude": "", "longitude": "", "description": "井盖缺失", "source": "hotline_12345",
        "source_ref": "GD-2026-0042", "reporter_kind": "resident", "reporter_name": "王女士", "reporter_contact": "138",
        "note": ""})
    with in_tenant(app, world.tenant):
        case = db.session.scalar(select(Case).where(Case.description == "井盖缺失"))
        assert (case.state, case.source, case.reporter_kind, case.grid_id) == ("reported", "hotline_12345", "resident", world.grid["G3"])
        number = case.number
    assert number in page and "已上报" in page and "GD-2026-0042" in page and "王女士" in page

    page = g1.follow("/admin/cases/report/", {"category": "core.general", "grid_id": world.grid["G3"], "description": "x",
                                              "latitude": "91", "longitude": "0", "source": "patrol", "reporter_kind": "staff"})
    assert "must lie between -90 and 90" in page
    page = browser(app, world, "viewer").follow("/admin/cases/report/")
    assert "您的角色不能上报案件" in page
    with in_tenant(app, world.tenant):
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_queue_and_page_in_english(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.case_in("dispatched").id
    g1 = browser(app, world, "g1staff")
    page = g1.text("/admin/cases/?lang=en")
    assert "Escalated to us" in page and "Dispatched" in page and "Dispute" in page
    page = g1.text(f"/admin/cases/case/?id={case_id}")
    assert "Timeline" in page and "Start handling" in page and "left" in page


def test_queue_pages_merge_units_and_filter_by_category(app, world, monkeypatch):
    """Small pages and batches: the merge across units, the category filter (in the database) and
    the next page's cursor lose and repeat no case."""
    from gridgov.console import cases as console_cases

    monkeypatch.setattr(console_cases, "PAGE", 2)
    monkeypatch.setattr(console_cases, "BATCH", 1)
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        made = []
        for k in range(7):
            case = world.report(category="core.general" if k % 3 else "core.dispute")
            cases.accept(case, actor=sup)
            cases.dispatch(case, actor=sup, unit_id=world.unit["UG1" if k % 2 else "UC"])
            made.append(case)
        queries = console_cases.queue_queries("mine", [world.unit["UG1"], world.unit["UC"]], console_cases.OPEN_STATES, centre=False)

        def walk(category=None):
            seen, before = [], None
            while True:
                page, before = console_cases.queue_page(queries, category=category, before_id=before)
                seen += [c.id for c in page]
                if before is None:
                    return seen

        assert walk() == [c.id for c in reversed(made)]
        assert walk("core.general") == [c.id for c in reversed(made) if c.category == "core.general"]
        assert walk("core.dispute") == [c.id for c in reversed(made) if c.category == "core.dispute"]


def test_another_tenants_units_and_cases_are_out_of_reach(app, world, factory):
    other = World(app, factory, slug="other")
    with in_tenant(app, other.tenant):
        foreign_case = other.case_in("in_progress", description="OTHERTENANT 外租户的案件").id
    with in_tenant(app, world.tenant):
        case_id = world.case_in("in_progress").id
    sup = browser(app, world, "sup")
    assert sup.get(f"/admin/cases/case/?id={foreign_case}").status_code == 404
    assert sup.post(f"/admin/cases/step/?id={foreign_case}&action=resolve", {"note": ""}).status_code == 404
    response = sup.post(f"/admin/cases/step/?id={case_id}&action=hand_off",
                        {"to_unit_id": other.unit["D"], "reason": "跨租户", "note": ""})
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    assert reload(app, world, case_id).state == "in_progress"
    page = sup.text(f"/admin/cases/?tab=open&unit={other.unit['UG1']}")
    assert numbers(page) == {reload(app, world, case_id).number}  # a foreign unit is no choice: every unit of this tenant
    assert "OTHERTENANT" not in page and "OTHERTENANT" not in sup.text(f"/admin/cases/case/?id={case_id}")


def test_deadlines_are_shown_in_the_tenants_time_zone(app, world):
    from gridgov.models import Tenant

    with in_tenant(app, world.tenant):
        case_id = world.case_in("accepted").id
        db.session.get(Tenant, world.tenant.id).timezone = "Asia/Urumqi"
    page = browser(app, world, "sup").text(f"/admin/cases/case/?id={case_id}")
    deadlines = page.split('id="deadlines"', 1)[1].split("</table>", 1)[0]
    assert "+0600" in deadlines and "+0800" not in deadlines and "Asia/Urumqi" in page
    assert "剩余" in deadlines and "按期完成" in deadlines  # resolve still running; accepted in time
