"""The ``gridgov`` command line: administration commands and event files (JSON Lines and CSV)."""
from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from conftest import in_tenant
from gridgov.extensions import db
from gridgov.models import ApiToken, Event, Grid, Membership, Person, Place, Tenant, User
from gridgov.operations import grids, registers
from gridgov.tenancy import platform_scope


def ok(result):
    assert result.exit_code == 0, result.output
    return result


# -- tenants, logins, tokens ---------------------------------------------------------------

def test_tenant_create_and_list(app, runner):
    out = ok(runner.invoke(args=["tenant", "create", "xihu", "西湖区", "--timezone", "Asia/Urumqi",
                                 "--locale", "en", "--plugin", "example"])).stdout
    assert "Created tenant xihu" in out and "example" in out
    with app.app_context(), platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "xihu"))
        assert (tenant.name, tenant.timezone, tenant.locale, tenant.enabled_plugins) == ("西湖区", "Asia/Urumqi", "en", ["example"])
    listing = ok(runner.invoke(args=["tenant", "list"])).stdout
    assert "xihu" in listing and "西湖区" in listing


@pytest.mark.parametrize("args, message", [
    (["tenant", "create", "Bad Slug", "x"], "Error: slug: "),
    (["tenant", "create", "fine", "x", "--plugin", "nope"], "Error: enabled_plugins: unknown plugin: nope"),
    (["tenant", "create", "fine", "x", "--timezone", "Mars/Olympus"], "Error: timezone: unknown time zone"),
])
def test_tenant_create_refuses_bad_input_without_a_traceback(app, runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count(Tenant.id))) == 0


def test_tenant_create_twice_is_a_conflict(runner):
    ok(runner.invoke(args=["tenant", "create", "xihu", "西湖区"]))
    result = runner.invoke(args=["tenant", "create", "xihu", "西湖区"])
    assert result.exit_code == 1 and "Error: slug: a tenant 'xihu' exists already" in result.stderr


def test_user_create_with_a_role_and_grant(app, runner, factory):
    factory.tenant("xihu")
    factory.tenant("binjiang")
    ok(runner.invoke(args=["user", "create", "wang", "--password", "long enough pw", "--tenant", "xihu", "--role", "assessor"]))
    ok(runner.invoke(args=["user", "create", "root", "--password", "long enough pw", "--platform-admin"]))
    ok(runner.invoke(args=["user", "grant", "wang", "--tenant", "binjiang", "--role", "viewer"]))
    with app.app_context(), platform_scope():
        wang = db.session.scalar(select(User).where(User.username == "wang"))
        assert wang.check_password("long enough pw") and not wang.is_platform_admin
        roles = {(m.tenant.slug, m.role) for m in db.session.scalars(select(Membership).where(Membership.user_id == wang.id))}
        assert roles == {("xihu", "assessor"), ("binjiang", "viewer")}
        assert db.session.scalar(select(User.is_platform_admin).where(User.username == "root"))


def test_user_create_prompts_for_the_password(app, runner):
    ok(runner.invoke(args=["user", "create", "li"], input="prompted secret\nprompted secret\n"))
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(User).where(User.username == "li")).check_password("prompted secret")


@pytest.mark.parametrize("args, code, message", [
    (["user", "create", "zhao", "--password", "short"], 1, "Error: password: at least 8 characters"),
    (["user", "create", "zhao", "--password", "long enough pw", "--tenant", "xihu"], 2, "--tenant and --role go together"),
    (["user", "create", "zhao", "--password", "long enough pw", "--tenant", "nowhere", "--role", "viewer"], 1, "Error: tenant: no tenant 'nowhere'"),
    (["user", "grant", "nobody", "--tenant", "xihu", "--role", "viewer"], 1, "Error: username: no user 'nobody'"),
])
def test_user_commands_refuse_bad_input(app, runner, factory, args, code, message):
    factory.tenant("xihu")
    result = runner.invoke(args=args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_token_create_prints_a_token_stored_only_as_a_hash(app, runner, factory):
    factory.user("wang")
    result = ok(runner.invoke(args=["token", "create", "wang", "--name", "import script"]))
    token = result.stdout.strip()
    assert token.startswith("ggv_") and "not shown again" in result.stderr
    with app.app_context(), platform_scope():
        stored = db.session.scalar(select(ApiToken).where(ApiToken.hash(token) == ApiToken.token_hash))
        assert stored.name == "import script" and stored.user.username == "wang"
        assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.token_hash == token)) == 0


def test_demo_load_prints_how_to_log_in(app, runner):
    result = ok(runner.invoke(args=["demo", "load"]))
    assert "http://127.0.0.1:5000/admin" in result.stdout
    with app.app_context(), platform_scope():
        usernames = set(db.session.scalars(select(User.username)))
        assert db.session.scalar(select(func.count(Tenant.id))) >= 1
    listed = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
    assert listed and set(listed) <= usernames


def test_serve_answers_on_the_given_port(tmp_path):
    """``gridgov serve`` as the demo runs it: the console's login page over real HTTP."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "GRIDGOV_DEMO": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    gridgov = str(Path(sys.executable).parent / "gridgov")
    refused = subprocess.run([gridgov, "serve", "--port", str(port)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "gridgov db upgrade" in refused.stderr
    subprocess.run([gridgov, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen([str(Path(sys.executable).parent / "gridgov"), "serve", "--port", str(port)],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.monotonic() + 30, None
        while status != 200 and time.monotonic() < deadline and process.poll() is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).status
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"Console: http://127.0.0.1:{port}/admin" in output


# -- event files ---------------------------------------------------------------------------

@pytest.fixture
def district(app, factory):
    """A tenant with a small grid tree, two people and a place; the ``example`` plugin on."""
    tenant = factory.tenant("xihu", plugins=["example"])
    with in_tenant(app, tenant):
        root = grids.create_grid(code="XH", name="西湖区")
        street = grids.create_grid(code="XH-01", name="北山街道", parent_id=root.id)
        grids.create_grid(code="XH-01-001", name="一号网格", parent_id=street.id)
        grids.create_grid(code="XH-02", name="灵隐街道", parent_id=root.id)
        registers.create(Person, {"code": "P001", "name": "王芳"})
        registers.create(Person, {"code": "P002", "name": "李强"})
        registers.create(Place, {"grid_id": street.id, "kind": "core.generic", "code": "S1", "name": "北山路店铺"})
    return tenant


def count_events(app, tenant) -> int:
    with in_tenant(app, tenant) as session:
        return session.scalar(select(func.count(Event.id)))


def note(n: int, grid: str = "XH-01-001", **extra) -> dict:
    return {"type": "core.note", "occurred_at": f"2026-03-{1 + n % 28:02d}T09:{n % 60:02d}:00+08:00",
            "grid_code": grid, "actor_person_code": "P001", "payload": {"text": f"巡查记录 {n}"},
            "idempotency_key": f"note-{n}", **extra}


def write_jsonl(path, rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_jsonl_import_records_every_row_and_a_reimport_is_a_no_op(app, runner, district, tmp_path):
    rows = [note(n) for n in range(5)]
    rows.append({"type": "example.water_level", "occurred_at": "2026-03-02T08:00:00+08:00", "grid_code": "XH-02",
                 "place_code": "S1", "payload": {"gauge": "G-7", "level_m": "3.25"}, "idempotency_key": "gauge-1"})
    path = write_jsonl(tmp_path / "events.jsonl", rows)
    assert "Imported 6 event(s) into xihu; 0 already present." in ok(runner.invoke(args=["events", "import", "--tenant", "xihu", path])).stdout
    assert "Imported 0 event(s) into xihu; 6 already present." in ok(runner.invoke(args=["events", "import", "--tenant", "xihu", path])).stdout
    assert count_events(app, district) == 6
    with in_tenant(app, district) as session:
        gauge = session.scalar(select(Event).where(Event.type == "example.water_level"))
        assert gauge.payload == {"gauge": "G-7", "level_m": "3.25"} and gauge.grid.code == "XH-02"
        assert session.get(Place, gauge.place_id).code == "S1"
        first = session.scalar(select(Event).where(Event.idempotency_key == "note-0"))
        assert session.get(Person, first.actor_person_id).code == "P001"


def test_import_reports_every_bad_row_by_line_and_imports_nothing(app, runner, district, tmp_path):
    rows = [
        note(1),                                                    # line 1: good
        "{not json",                                                # line 2
        note(3, payload={}),                                        # line 3: payload.text missing
        note(4, grid="NOPE"),                                       # line 4: unknown grid code
        "",                                                         # line 5: blank, skipped
        note(6, type="chashan.patrol"),                             # line 6: type not enabled here
        note(7, occurred_at="2026-03-01T09:00:00"),                 # line 7: no offset
        note(8, wat=1),                                             # line 8: unknown field
        "[1, 2]",                                                   # line 9: not an object
        note(10, grid_id=1),                                        # line 10: id and code
        note(11),                                                   # line 11: good
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", path])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("line 2: not valid JSON")
    assert "line 3: payload.text: Missing data for required field." in lines
    assert "line 4: grid_code: no grid with code 'NOPE' in this tenant" in lines
    assert any(l.startswith("line 6: type: unknown event type 'chashan.patrol'") for l in lines)
    assert any(l.startswith("line 7: occurred_at: must carry a time-zone offset") for l in lines)
    assert "line 8: wat: unknown field" in lines
    assert "line 9: not a JSON object" in lines
    assert "line 10: grid_code: give grid_id or grid_code, not both" in lines
    assert not any(l.startswith(("line 1:", "line 5:", "line 11:")) for l in lines)
    assert lines[-1] == f"Nothing imported: 8 bad row(s) in {path}."
    assert "Traceback" not in result.output
    assert count_events(app, district) == 0


def test_an_error_in_a_later_chunk_rolls_back_the_earlier_ones(app, runner, district, tmp_path):
    """2,500 rows are three batches of record_batch in one transaction: all or nothing."""
    rows = [note(n) for n in range(2500)]
    rows[2399]["payload"] = {"text": ""}
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", path])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "line 2400: payload.text: Length must be between 1 and 4000."
    assert count_events(app, district) == 0
    rows[2399]["payload"] = {"text": "fixed"}
    write_jsonl(tmp_path / "big.jsonl", rows)
    assert "Imported 2500 event(s)" in ok(runner.invoke(args=["events", "import", "--tenant", "xihu", path])).stdout
    assert count_events(app, district) == 2500


def test_csv_import_with_payload_columns_and_a_payload_cell(app, runner, district, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "\ufefftype,occurred_at,grid_code,actor_person_code,subject_person_code,idempotency_key,payload.text,payload\n"
        "core.note,2026-03-01T09:00:00+08:00,XH-01,P001,P002,c-1,\"路灯损坏, 已上报\",\n"
        "core.note,2026-03-01T10:00:00+08:00,XH-01-001,P002,,c-2,,\"{\"\"text\"\": \"\"井盖缺失\"\", \"\"tags\"\": [\"\"市政\"\"]}\"\n"
        "core.note,2026-03-01T11:00:00+08:00,XH-02,,,c-3,\"多行\n说明\",\n",
        encoding="utf-8")
    ok(runner.invoke(args=["events", "import", "--tenant", "xihu", str(path)]))
    with in_tenant(app, district) as session:
        got = {e.idempotency_key: e for e in session.scalars(select(Event))}
        assert got["c-1"].payload == {"text": "路灯损坏, 已上报", "tags": []}
        assert session.get(Person, got["c-1"].subject_person_id).code == "P002"
        assert got["c-2"].payload == {"text": "井盖缺失", "tags": ["市政"]}
        assert got["c-3"].payload["text"] == "多行\n说明"


def test_import_from_standard_input(app, runner, district):
    text = "type,occurred_at,grid_code,payload.text\ncore.note,2026-03-01T09:00:00+08:00,XH-01,管道渗漏\n"
    result = ok(runner.invoke(args=["events", "import", "--tenant", "xihu", "--format", "csv", "-"], input=text))
    assert "Imported 1 event(s)" in result.stdout
    with in_tenant(app, district) as session:
        assert session.scalar(select(Event.payload)) == {"text": "管道渗漏", "tags": []}


def test_csv_import_reports_bad_rows_by_line(app, runner, district, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "type,occurred_at,grid_code,grid_id,payload.text,payload\n"        # line 1
        "core.note,2026-03-01T09:00:00+08:00,XH-01,,fine,\n"              # line 2: good
        "core.note,2026-03-01T09:00:00+08:00,XH-01,,,\n"                  # line 3: no text
        "core.note,2026-03-01T09:00:00+08:00,,abc,text,\n"                # line 4: grid_id not a number
        "core.note,2026-03-01T09:00:00+08:00,XH-01,,,{oops\n"             # line 5: bad JSON
        "core.note,2026-03-01T09:00:00+08:00,XH-01,,\"two\nlines\",\"[1]\"\n"  # lines 6-7: payload not an object
        "core.note,not a date,XH-01,,x,\n",                               # line 8
        encoding="utf-8")
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:5] == [
        "line 3: payload.text: Missing data for required field.",
        "line 4: grid_id: must be an integer id",
        "line 5: payload: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "line 6: payload: not a JSON object",
        "line 8: occurred_at: not an ISO 8601 date-time",
    ]
    assert count_events(app, district) == 0


def test_csv_with_an_unknown_column_is_refused_at_line_1(app, runner, district, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("type,occurred_at,grid_code,colour\ncore.note,2026-03-01T09:00:00+08:00,XH-01,red\n", encoding="utf-8")
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "line 1: colour: unknown column"


def test_import_into_an_unknown_tenant_or_from_a_missing_file(runner, district, tmp_path):
    result = runner.invoke(args=["events", "import", "--tenant", "nowhere", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 1 and "Error: tenant: no tenant 'nowhere'" in result.stderr
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "Error: file: " in result.stderr and "No such file" in result.stderr


def test_import_is_scoped_to_its_tenant(app, runner, district, factory, tmp_path):
    """Codes and ids of another tenant's rows are unknown here."""
    other = factory.tenant("binjiang")
    with in_tenant(app, other):
        foreign_id = grids.create_grid(code="BJ", name="滨江区").id
    by_id = note(2)
    del by_id["grid_code"]
    path = write_jsonl(tmp_path / "e.jsonl", [note(1, grid="BJ"), {**by_id, "grid_id": foreign_id}])
    result = runner.invoke(args=["events", "import", "--tenant", "xihu", path])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == ["line 1: grid_code: no grid with code 'BJ' in this tenant",
                                              f"line 2: grid_id: no grid {foreign_id} in this tenant"]
    assert count_events(app, district) == count_events(app, other) == 0


# -- export --------------------------------------------------------------------------------

@pytest.fixture
def imported(app, runner, district, tmp_path):
    rows = [note(n, grid=("XH-01-001" if n % 2 else "XH-02")) for n in range(1, 8)]
    rows.append({"type": "example.water_level", "occurred_at": "2026-04-01T08:00:00+08:00", "grid_code": "XH-01",
                 "payload": {"gauge": "G-7", "level_m": "3.25"}})
    ok(runner.invoke(args=["events", "import", "--tenant", "xihu", write_jsonl(tmp_path / "in.jsonl", rows)]))
    return rows


def test_jsonl_export_round_trip(app, runner, district, imported, tmp_path):
    out = tmp_path / "out.jsonl"
    result = ok(runner.invoke(args=["events", "export", "--tenant", "xihu", "-o", str(out)]))
    assert "Exported 8 event(s)" in result.stderr
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["occurred_at"] for e in exported] == sorted((e["occurred_at"] for e in exported), reverse=True)
    assert exported[0]["occurred_at"] == "2026-04-01T08:00:00+08:00"  # in the tenant's time zone
    assert {e["payload"].get("text") for e in exported} >= {f"巡查记录 {n}" for n in range(1, 8)}
    assert {e.get("idempotency_key") for e in exported} == {f"note-{n}" for n in range(1, 8)} | {None}
    # Into the same tenant, the keyed events are already there; the one without a key is stored
    # again, exactly as the API would.
    again = ok(runner.invoke(args=["events", "import", "--tenant", "xihu", str(out)])).stdout
    assert "Imported 1 event(s) into xihu; 7 already present." in again
    # The export is the API body: importing it into an empty copy of the registers restores it.
    with in_tenant(app, district) as session:
        session.execute(delete(Event))
    ok(runner.invoke(args=["events", "import", "--tenant", "xihu", str(out)]))
    result = ok(runner.invoke(args=["events", "export", "--tenant", "xihu"]))
    assert [json.loads(line) for line in result.stdout.splitlines()] == exported


def test_csv_export_round_trip(app, runner, district, imported, tmp_path):
    out = tmp_path / "out.csv"
    ok(runner.invoke(args=["events", "export", "--tenant", "xihu", "-o", str(out)]))
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # spreadsheet programs read the Chinese as UTF-8
    table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(table) == 8
    assert json.loads(table[0]["payload"]) == {"gauge": "G-7", "level_m": "3.25"}
    result = ok(runner.invoke(args=["events", "import", "--tenant", "xihu", str(out)]))
    assert "7 already present" in result.stdout


def test_export_filters(app, runner, district, imported):
    def exported(*args):
        result = ok(runner.invoke(args=["events", "export", "--tenant", "xihu", *args]))
        return [json.loads(line) for line in result.stdout.splitlines()]

    assert {e["type"] for e in exported("--type", "example.water_level")} == {"example.water_level"}
    assert len(exported("--type", "core.note", "--type", "example.water_level")) == 8
    with in_tenant(app, district) as session:
        street_01 = session.scalar(select(Grid.id).where(Grid.code == "XH-01"))
        leaf = session.scalar(select(Grid.id).where(Grid.code == "XH-01-001"))
    assert {e["grid_id"] for e in exported("--grid", "XH-01")} == {street_01, leaf}
    # note(n) happens on 2026-03-(n+1); --to takes its date whole
    march = exported("--from", "2026-03-03", "--to", "2026-03-05")
    assert sorted(e["payload"]["text"] for e in march) == ["巡查记录 2", "巡查记录 3", "巡查记录 4"]
    assert len(exported("--from", "2026-03-02T09:01:00+08:00", "--to", "2026-03-03T09:02:00")) == 1
    result = runner.invoke(args=["events", "export", "--tenant", "xihu", "--grid", "NOPE"])
    assert result.exit_code == 1 and "Error: --grid: no grid with code 'NOPE' in xihu" in result.stderr
    result = runner.invoke(args=["events", "export", "--tenant", "xihu", "--from", "last week"])
    assert result.exit_code == 1 and "Error: --from: 'last week' is not an ISO date or date-time" in result.stderr


def test_calendar_seed_stores_the_official_years_once(app, runner):
    from gridgov.workdays import year_source

    first = ok(runner.invoke(args=["calendar", "seed"]))
    assert "2026" in first.stdout
    again = ok(runner.invoke(args=["calendar", "seed"]))
    assert "all were there already" in again.stdout
    with app.app_context():
        assert year_source(2026) == "official"


def test_worker_command_is_registered_and_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
