"""Assessment benchmark: the chashan sheets computed by the engine, against hand-written SQL.

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/assess.py                  # SQLite file in the temp dir, kept and reused
    .venv/bin/python benchmarks/assess.py --database-url "postgresql+psycopg://postgres@/gridgov_bench_assess?host=/tmp&port=5433"

It builds (once: a tenant whose slug names the scale is reused when present) a chashan (茶山)
tenant of ``--communities`` communities (社区), ``--grids`` grids under them with one grid
room director (网格室主任) each, ``--departments`` street departments (科室) attached to
communities with three liaison staff each, and ``--events`` events in 2026 Q3 — patrols with
start and end, information reports accepted or rejected, resident issues, hosted visits,
Friday and first-Monday meeting attendance, major matters, log judgements, the communities'
Friday letters, sign-in meetings and joint patrols, supervision records, honours, inspection
findings, the departments' letter handling, referrals and meeting reports, and field notes the
sheets do not count — written with Core bulk INSERTs (loading is not what is measured).

Then, for each part — the directors' monthly ledger of July, August and September, their
quarterly settlement, the communities' sheet B and the departments' sheet C — each in a fresh
subprocess so that its peak RSS is its own:

* **engine**: ``create_run`` then ``compute_job`` (the background job's function, in-process)
  and the commit that stores the results: wall time of the job and the commit, the process's
  peak RSS (``ru_maxrss``), and in one extra run the Python heap peak (``tracemalloc``, which
  slows the run down, so that run's time is not used);
* **baseline**: hand-written SQL aggregate queries computing the counts the sheet uses, per
  subject (and day, half-day, month, level...), fetched into Python: wall time and peak RSS.

Times are the median of ``--repeat`` runs. Targets: engine ≤ 2 × baseline time, peak < 500 MB.
The database is only emptied with ``--wipe``; never point it at real data.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, inspect, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload  # noqa: E402  (the grid tree inserts)
from gridgov import create_app, workdays  # noqa: E402
from gridgov.extensions import db  # noqa: E402
from gridgov.models import Assignment, Event, Person, Tenant, Unit, User  # noqa: E402
from gridgov.models.assessment import AssessmentResult, AssessmentRun  # noqa: E402
from gridgov.operations import tenants as tenant_ops  # noqa: E402
from gridgov.tenancy import platform_scope, tenant_scope  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
QUARTER = dt.date(2026, 7, 1)
QUARTER_END = dt.date(2026, 10, 1)
MONTHS = [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]
PARTS = ([("director_month", m) for m in MONTHS]
         + [("director_quarter", QUARTER), ("community_quarter", QUARTER), ("department_quarter", QUARTER)])
MAX_RATIO = 2.0
MAX_MB = 500
CHUNK = 20_000
LIAISONS_PER_DEPARTMENT = 3
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "gridgov-assess-bench.db"

# Events drawn at random (besides the scheduled meetings, letters and judgements), by weight.
RANDOM_TYPES = {
    "chashan.patrol": 32, "core.note": 25, "chashan.resident_issue": 17, "chashan.info_report": 12,
    "chashan.major_matter": 2, "chashan.joint_patrol": 2, "chashan.letter_handling": 2, "chashan.referral": 2,
    "chashan.meeting_report": 2, "chashan.hosted_visit": 1, "chashan.supervision": 1, "chashan.meeting_notice": 0.5,
    "chashan.inspection_finding": 0.1, "chashan.honour": 0.05,
}
LOGS = ["巡查辖区主次干道，未发现异常", "检查沿街商铺门前三包落实情况", "走访独居老人，了解生活情况", "排查电动车楼道充电隐患",
        "督促物业清运垃圾", "巡查在建工地围挡及扬尘防治"]
SUMMARIES = ["居民反映楼道照明损坏", "商户占道经营已劝导", "小区积水已联系物业处理", "邻里噪音纠纷已调解", "井盖缺失已上报"]
HONOURS = ["national", "ministry", "provincial", "provincial_department", "prefecture_city", "county_city",
           "county_department"]
INSPECTIONS = ["provincial", "prefecture", "county"]


# -- command line -------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
    if args.measure:
        return measure_child(args, url)
    app = make_app(url)
    with app.app_context():
        try:
            slug = prepare(args, url)
        finally:
            db.session.remove()
            db.engine.dispose()
    return run_parts(args, url, slug)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=f"default: the SQLite file {DEFAULT_SQLITE} (kept and reused)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the quarter (default 1,000,000)")
    parser.add_argument("--grids", type=int, default=1_000, help="grids, one director each (default 1,000)")
    parser.add_argument("--communities", type=int, default=200, help="communities (default 200)")
    parser.add_argument("--departments", type=int, default=20, help="street departments (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each part; the median is shown (default 3)")
    parser.add_argument("--parts", help="comma-separated sheet keys to run (default: all six parts)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra engine run under tracemalloc")
    parser.add_argument("--wipe", action="store_true", help="empty a database holding other tenants first")
    parser.add_argument("--measure", choices=["engine", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--slug", help=argparse.SUPPRESS)
    parser.add_argument("--sheet", help=argparse.SUPPRESS)
    parser.add_argument("--period", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.grids < args.communities or args.communities < args.departments or args.departments < 1:
        parser.error("need grids ≥ communities ≥ departments ≥ 1")
    return args


def make_app(url: str):
    # only the plugin measured: the others' code is not what this benchmark is about
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-only", "GRIDGOV_PLUGINS": ["chashan"]})


def slug_for(grids: int, communities: int, departments: int, events: int) -> str:
    return f"assess-{grids}g-{communities}c-{departments}d-{events}e"


def prepare(args, url: str) -> str:
    """Create the schema if needed and build the tenant unless a complete one of this scale is there."""
    slug = slug_for(args.grids, args.communities, args.departments, args.events)
    with platform_scope():
        has_schema = inspect(db.engine).has_table("tenants")
        if has_schema and args.wipe:
            db.drop_all()
            has_schema = False
        if not has_schema:
            db.create_all()
        db.session.commit()
        found = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        if found is not None and found.name.endswith("（完整）"):
            print(f"database: {db.engine.dialect.name}; reusing tenant {slug}")
            return slug
        others = db.session.scalar(select(Tenant.id).where(Tenant.slug != slug).limit(1))
        if found is not None or (others and not url.startswith("sqlite:///" + str(DEFAULT_SQLITE))):
            sys.exit(f"the database holds {'a half-built ' + slug if found else 'other tenants'}; pass --wipe to empty it")
    print(f"database: {db.engine.dialect.name}; building tenant {slug}", flush=True)
    start = time.perf_counter()
    build(slug, grids=args.grids, communities=args.communities, departments=args.departments, events=args.events,
          progress=True)
    print(f"  built in {time.perf_counter() - start:,.0f} s", flush=True)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return slug


# -- the data -----------------------------------------------------------------------------------

class World:
    """Ids of the generated tenant (all lists in creation order)."""

    def __init__(self, tenant_id, communities, grids, directors, units, liaisons, unit_community):
        self.tenant_id, self.communities, self.grids, self.directors = tenant_id, communities, grids, directors
        self.units, self.liaisons, self.unit_community = units, liaisons, unit_community
        self.community_of = {g: communities[i % len(communities)] for i, g in enumerate(grids)}
        self.grids_of = {}
        for g in grids:
            self.grids_of.setdefault(self.community_of[g], []).append(g)


def build(slug: str, *, grids: int, communities: int, departments: int, events: int, progress: bool = False) -> World:
    """The chashan tenant (see the module docstring), committed; its name gets the completeness
    marker 「（完整）」 with the last chunk of events."""
    with platform_scope():
        workdays.seed_official_calendar()
        tenant = tenant_ops.create_tenant(slug, "茶山基准（加载中）", plugins=["chashan"])
        user = tenant_ops.create_user(f"{slug}-assessor", "benchmark-only-password")
        tenant_ops.add_membership(tenant, user, "assessor")
        db.session.flush()
        tid = tenant.id
        root = workload._insert_level(tid, [(None, "/", "CS", "茶山街道")])[0]
        comm_rows = [(root, f"/{root}/", f"CS-C{c + 1:03d}", f"第{c + 1}社区") for c in range(communities)]
        comm_ids = workload._insert_level(tid, comm_rows)
        grid_rows = [(comm_ids[g % communities], f"/{root}/{comm_ids[g % communities]}/",
                      f"CS-C{g % communities + 1:03d}-G{g // communities + 1:02d}", f"网格{g + 1}") for g in range(grids)]
        grid_ids = workload._insert_level(tid, grid_rows)
        n_liaisons = departments * LIAISONS_PER_DEPARTMENT
        people = list(db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
            {"tenant_id": tid, "code": f"P{p:05d}", "name": (f"网格室主任{p + 1}" if p < grids else f"挂点人员{p - grids + 1}"),
             "phone": f"1390000{p:04d}"} for p in range(grids + n_liaisons)]))
        directors, liaisons = people[:grids], people[grids:]
        step = max(1, communities // departments)
        unit_community = [comm_ids[(d * step) % communities] for d in range(departments)]
        unit_ids = list(db.session.scalars(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), [
            {"tenant_id": tid, "code": f"K{d + 1:02d}", "name": f"街道科室{d + 1}", "kind": "department",
             "grid_id": unit_community[d], "attributes": {}} for d in range(departments)]))
        since = dt.date(2026, 1, 1)
        db.session.execute(insert(Assignment), [
            {"tenant_id": tid, "person_id": p, "role": "chashan.grid_director", "grid_id": g, "unit_id": None,
             "starts_on": since}
            for p, g in zip(directors, grid_ids)] + [
            {"tenant_id": tid, "person_id": p, "role": "chashan.street_liaison", "grid_id": None,
             "unit_id": unit_ids[i // LIAISONS_PER_DEPARTMENT], "starts_on": since} for i, p in enumerate(liaisons)])
        db.session.commit()
    world = World(tid, comm_ids, grid_ids, directors, unit_ids, liaisons, unit_community)
    rows = scheduled_events(world)
    random_count = max(0, events - len(rows))
    loaded, started = 0, time.perf_counter()
    for n, chunk in enumerate(event_chunks(world, rows, random_count)):
        with db.engine.begin() as conn:
            conn.execute(insert(Event.__table__), chunk)
        loaded += len(chunk)
        if progress and (n + 1) % 10 == 0:
            print(f"  {loaded:>9,} events ({loaded / (time.perf_counter() - started):,.0f} ev/s)", flush=True)
    with platform_scope():
        db.session.get(Tenant, tid).name = "茶山基准（完整）"
        db.session.commit()
    return world


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _row(world: World, type_: str, at: dt.datetime, grid: int, payload: dict, actor=None, subject_person=None,
         subject_unit=None) -> dict:
    return {"tenant_id": world.tenant_id, "type": type_, "occurred_at": at, "grid_id": grid, "actor_person_id": actor,
            "subject_person_id": subject_person, "subject_unit_id": subject_unit, "payload": payload,
            "recorded_at": at}


def scheduled_events(world: World, seed: int = 7) -> list[dict]:
    """What happens on set days: meetings (Friday mornings, first Mondays), the communities'
    Friday letters, sign-in meetings and afternoon joint patrols, each director's monthly log
    judgement — most but not all of them, and a few at the wrong half of the day."""
    rng = random.Random(seed)
    working = workdays.working_days_in(QUARTER, QUARTER_END - dt.timedelta(days=1))
    fridays = [d for d in working if d.weekday() == 4]
    mondays = sorted({(d.year, d.month): d for d in reversed(working) if d.weekday() == 0}.values())
    rows = []
    for director, grid in zip(world.directors, world.grids):
        for day in fridays:
            if rng.random() < 0.9:
                rows.append(_row(world, "chashan.meeting_attendance", _at(day, 9 if rng.random() < 0.95 else 15), grid,
                                 {"meeting": "community_friday"}, actor=director))
        for day in mondays:
            if rng.random() < 0.85:
                rows.append(_row(world, "chashan.meeting_attendance", _at(day, 9), grid,
                                 {"meeting": "street_first_monday"}, actor=director))
        for month in MONTHS:
            rows.append(_row(world, "chashan.log_review", _at(month + dt.timedelta(days=27), 16), grid,
                             {"tidy": rng.random() < 0.85, "note": ""}, subject_person=director))
    liaisons_of = {c: [] for c in world.communities}
    for i, person in enumerate(world.liaisons):
        liaisons_of[world.unit_community[i // LIAISONS_PER_DEPARTMENT]].append(person)
    for community in world.communities:
        leaves = world.grids_of.get(community) or [community]
        for day in fridays:
            if rng.random() < 0.93:
                rows.append(_row(world, "chashan.escalation_letter", _at(day, 10), community,
                                 {"matters": rng.randrange(0, 6), "summary": "本周交办事项"}))
            if rng.random() < 0.95:
                rows.append(_row(world, "chashan.signin_meeting", _at(day, 9), community,
                                 {"attendees": len(leaves) + 1}))
            if rng.random() < 0.9:
                actor = rng.choice(liaisons_of[community]) if liaisons_of[community] else None
                rows.append(_row(world, "chashan.joint_patrol", _at(day, 15 if rng.random() < 0.9 else 10),
                                 rng.choice(leaves), {"start": "15:00:00", "end": "16:10:00", "minutes": 70,
                                                      "log": rng.choice(LOGS)}, actor=actor))
    return rows


def event_chunks(world: World, scheduled: list[dict], n_random: int, seed: int = 11):
    """The scheduled events and ``n_random`` random ones, in chunks of :data:`CHUNK` rows,
    each chunk generated from its own seed (the generator never holds a million rows)."""
    for start in range(0, len(scheduled), CHUNK):
        yield scheduled[start:start + CHUNK]
    types, weights = list(RANDOM_TYPES), list(RANDOM_TYPES.values())
    days = (QUARTER_END - QUARTER).days
    for start in range(0, n_random, CHUNK):
        rng = random.Random(seed * 1_000_003 + start)
        chunk = []
        for type_ in rng.choices(types, weights, k=min(CHUNK, n_random - start)):
            day = QUARTER + dt.timedelta(days=rng.randrange(days))
            at = _at(day, rng.randrange(7, 19), rng.randrange(60))
            d = rng.randrange(len(world.directors))
            director, grid = world.directors[d], world.grids[d]
            chunk.append(random_event(world, rng, type_, at, director, grid))
        yield chunk


def random_event(world: World, rng: random.Random, type_: str, at: dt.datetime, director: int, grid: int) -> dict:
    if type_ == "chashan.patrol":
        minutes = rng.choice([20, 30, 40, 45, 60, 70, 90])
        end = at + dt.timedelta(minutes=minutes)
        if end.date() != at.date():
            end, minutes = at.replace(hour=23, minute=59), 23 * 60 + 59 - (at.hour * 60 + at.minute)
        return _row(world, type_, at, grid, {"start": at.strftime("%H:%M:00"), "end": end.strftime("%H:%M:00"),
                                             "minutes": minutes, "log": rng.choice(LOGS)}, actor=director)
    if type_ == "chashan.info_report":
        decided = rng.random()
        accepted = True if decided < 0.7 else (False if decided < 0.9 else None)
        return _row(world, type_, at, grid, {"category": rng.choice(["public_opinion", "public_order", "environment",
                                                                     "disputes"]),
                                             "summary": rng.choice(SUMMARIES), "accepted": accepted}, actor=director)
    if type_ == "chashan.resident_issue":
        return _row(world, type_, at, grid, {"summary": rng.choice(SUMMARIES),
                                             "outcome": rng.choice(["explained", "solved"]),
                                             "resident_confirmed": rng.random() < 0.8}, actor=director)
    if type_ == "chashan.hosted_visit":
        return _row(world, type_, at, grid, {"kind": rng.choice(["inspection", "study_visit"]), "visitor": "区网格中心"},
                    actor=director)
    if type_ == "chashan.major_matter":
        discovered = at - dt.timedelta(minutes=rng.randrange(10, 300))
        community_delay = rng.choice([None, 30, 60, 90, 100, 150, 200])
        street_delay = None if community_delay is None or rng.random() < 0.1 else community_delay + rng.randrange(0, 120)
        return _row(world, type_, at, grid, {
            "summary": "辖区发生重大事项", "discovered_at": discovered.isoformat(),
            "reported_to_community_at": None if community_delay is None else (discovered + dt.timedelta(minutes=community_delay)).isoformat(),
            "reported_to_street_at": None if street_delay is None else (discovered + dt.timedelta(minutes=street_delay)).isoformat(),
            "community_delay_minutes": community_delay, "street_delay_minutes": street_delay,
            "reported_to_community": community_delay is not None, "reported_to_street": street_delay is not None},
            actor=director)
    if type_ in ("chashan.letter_handling", "chashan.referral", "chashan.meeting_report", "chashan.joint_patrol"):
        u = rng.randrange(len(world.units))
        unit, community = world.units[u], world.unit_community[u]
        actor = world.liaisons[u * LIAISONS_PER_DEPARTMENT + rng.randrange(LIAISONS_PER_DEPARTMENT)]
        if type_ == "chashan.joint_patrol":
            leaf = rng.choice(world.grids_of.get(community) or [community])
            return _row(world, type_, at, leaf, {"start": "15:00:00", "end": "16:00:00", "minutes": 60,
                                                 "log": rng.choice(LOGS)}, actor=actor)
        payload = ({"outcome": rng.choice(["settled"] * 8 + ["answered", "unanswered"]), "summary": rng.choice(SUMMARIES)}
                   if type_ == "chashan.letter_handling" else
                   {"status": rng.choice(["replied"] * 7 + ["tracked", "untracked"]), "summary": rng.choice(SUMMARIES)}
                   if type_ == "chashan.referral" else {"fluent": rng.random() < 0.9, "note": ""})
        return _row(world, type_, at, community, payload, actor=actor, subject_unit=unit)
    community = world.community_of[grid]
    if type_ in ("chashan.supervision", "chashan.meeting_notice"):
        return _row(world, type_, at, community, {"summary": rng.choice(SUMMARIES)})
    if type_ == "chashan.honour":
        return _row(world, type_, at, community, {"level": rng.choice(HONOURS), "title": "先进网格"})
    if type_ == "chashan.inspection_finding":
        return _row(world, type_, at, grid, {"level": rng.choice(INSPECTIONS), "summary": rng.choice(SUMMARIES)})
    return _row(world, "core.note", at, grid, {"text": rng.choice(LOGS), "tags": []}, actor=director)


# -- the engine ---------------------------------------------------------------------------------

def engine_run(tenant_id: int, sheet: str, period: dt.date) -> tuple[int, float]:
    """Create a run of ``chashan.<sheet>`` and compute it as the background job does
    (``compute_job`` inside the tenant scope, then the commit). :returns: (run id, seconds of the
    job and its commit)."""
    from gridgov.assessment import operations as runs

    with tenant_scope(tenant_id):
        user = db.session.scalar(select(User).where(User.username.like("%-assessor")))
        run_id = runs.create_run(sheet=f"chashan.{sheet}", period_start=period, user=user).id
        db.session.commit()
        start = time.perf_counter()
        runs.compute_job(run_id)
        db.session.commit()
        spent = time.perf_counter() - start
    return run_id, spent


def engine_counts(tenant_id: int, run_id: int) -> dict[tuple[int, str], int]:
    """{(subject, line): number of evidence events} of a computed run's stored results."""
    out = {}
    with tenant_scope(tenant_id):
        lines = LINES[_sheet_of(run_id)]
        for subject, items in db.session.execute(select(AssessmentResult.subject_id, AssessmentResult.items)
                                                 .where(AssessmentResult.run_id == run_id)):
            for item in items:
                if item["key"] in lines:
                    out[(subject, item["key"])] = len(item["evidence"]["event_ids"])
        db.session.rollback()
    return out


def _sheet_of(run_id: int) -> str:
    return db.session.scalar(select(AssessmentRun.sheet).where(AssessmentRun.id == run_id)).split(".", 1)[1]


def drop_run(tenant_id: int, run_id: int) -> None:
    """Remove a measured run's results (keeps the database from growing with every repetition)."""
    with platform_scope():
        db.session.execute(delete(AssessmentResult).where(AssessmentResult.run_id == run_id))
        db.session.commit()


# -- the baseline: hand-written SQL ------------------------------------------------------------

# The lines whose evidence the baseline counts (the event-counting lines of each sheet).
DIRECTOR_LINES = ("r1", "r2", "r3", "r4", "r5", "f2")
LINES = {"director_month": DIRECTOR_LINES, "director_quarter": DIRECTOR_LINES,
         "community_quarter": ("letter", "signin", "supervision", "joint_patrol", "major", "honours", "inspections"),
         "department_quarter": ("letters", "referrals", "patrols", "reports")}


def _sql(dialect: str) -> dict:
    """Dialect pieces of the hand-written SQL: local day and half-day (UTC+8, no DST in
    Asia/Shanghai), payload fields, the subtree test."""
    if dialect == "postgresql":
        return {"day": "(e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date",
                "half": "CASE WHEN extract(hour FROM e.occurred_at AT TIME ZONE 'Asia/Shanghai') < 12 THEN 'am' ELSE 'pm' END",
                "text": lambda f: f"(e.payload->>'{f}')", "num": lambda f: f"(e.payload->>'{f}')::numeric",
                "bool": lambda f: f"(e.payload->>'{f}')::boolean", "under": "g.path >= r.path AND g.path < r.path || '~'",
                "by_grid": "events e"}
    return {"day": "date(e.occurred_at, '+8 hours')",
            "half": "CASE WHEN strftime('%H', e.occurred_at, '+8 hours') < '12' THEN 'am' ELSE 'pm' END",
            "text": lambda f: f"json_extract(e.payload, '$.{f}')", "num": lambda f: f"json_extract(e.payload, '$.{f}')",
            "bool": lambda f: f"json_extract(e.payload, '$.{f}')", "under": "g.path >= r.path AND g.path < r.path || '~'",
            "by_grid": "events e INDEXED BY ix_events_tenant_grid_time"}


def _bounds(dialect: str, first: dt.date, end: dt.date):
    lo, hi = (dt.datetime.combine(d, dt.time(0), tzinfo=TZ).astimezone(dt.timezone.utc) for d in (first, end))
    if dialect == "sqlite":
        return lo.strftime("%Y-%m-%d %H:%M:%S.%f"), hi.strftime("%Y-%m-%d %H:%M:%S.%f")
    return lo, hi


NOT_SUPERSEDED = "NOT EXISTS (SELECT 1 FROM events x WHERE x.voids_id = e.id OR x.amends_id = e.id)"


def baseline(tenant_id: int, sheet: str, period: dt.date) -> dict[tuple[int, str], int]:
    """The counts ``sheet`` uses, from hand-written grouped SQL (every query filters the tenant
    itself), reduced to {(subject, line): events} — the same figures as the engine's evidence."""
    conn = db.session.connection()
    dialect = db.engine.dialect.name
    q = _sql(dialect)
    first = period
    end = QUARTER_END if sheet.endswith("quarter") else (period + dt.timedelta(days=32)).replace(day=1)
    lo, hi = _bounds(dialect, first, end)
    params = {"t": tenant_id, "lo": lo, "hi": hi, "first": first, "last": end - dt.timedelta(days=1)}
    where = f"e.tenant_id = :t AND e.occurred_at >= :lo AND e.occurred_at < :hi AND {NOT_SUPERSEDED}"
    out: dict[tuple[int, str], int] = {}

    def add(subject, line, n):
        out[(subject, line)] = out.get((subject, line), 0) + n

    def rows(sql, **more):
        return conn.execute(text(sql), {**params, **more}).all()

    if sheet.startswith("director"):
        held = ("a.tenant_id = :t AND a.role = 'chashan.grid_director' AND a.starts_on <= :last "
                "AND (a.ends_on IS NULL OR a.ends_on >= :first)")
        subjects = {p for (p,) in rows(f"SELECT DISTINCT a.person_id FROM assignments a WHERE {held}")}
        # (grid, director) pairs of the subtrees first, then each grid's events by its index range
        in_grid = (f"FROM {q['by_grid']} JOIN (SELECT DISTINCT g.id AS grid_id, a.person_id FROM grids g JOIN grids r "
                   f"ON {q['under']} JOIN assignments a ON a.grid_id = r.id AND {held} WHERE g.tenant_id = :t) a "
                   f"ON a.grid_id = e.grid_id")
        late = q["num"]("community_delay_minutes")
        # patrols and their minutes per director and day; late or unreported major matters per day
        for person, day, n, minutes in rows(f"SELECT a.person_id, {q['day']}, count(DISTINCT e.id), sum({q['num']('minutes')}) "
                                            f"{in_grid} WHERE {where} AND e.type = 'chashan.patrol' GROUP BY 1, 2"):
            add(person, "r1", n)
        for person, day, n in rows(f"SELECT a.person_id, {q['day']}, count(DISTINCT e.id) {in_grid} WHERE {where} "
                                   f"AND e.type = 'chashan.major_matter' AND ({late} > :limit "
                                   f"OR {q['bool']('reported_to_community')} = :false) GROUP BY 1, 2",
                                   limit=120, false=False):
            add(person, "f2", n)
        # the log judgement names the director; reports, issues, visits and meetings are the director's own
        for person, tidy, n in rows(f"SELECT e.subject_person_id, {q['bool']('tidy')}, count(*) FROM events e "
                                    f"WHERE {where} AND e.type = 'chashan.log_review' GROUP BY 1, 2"):
            if person in subjects:
                add(person, "r1", n)
        line_of = {"chashan.info_report": "r2", "chashan.resident_issue": "r3", "chashan.hosted_visit": "r4",
                   "chashan.meeting_attendance": "r5"}
        for person, type_, day, half, meeting, n in rows(
                f"SELECT e.actor_person_id, e.type, {q['day']}, {q['half']}, {q['text']('meeting')}, count(*) "
                f"FROM events e WHERE {where} AND (e.type IN ('chashan.hosted_visit', 'chashan.meeting_attendance') "
                f"OR (e.type = 'chashan.info_report' AND {q['bool']('accepted')} = :true) "
                f"OR (e.type = 'chashan.resident_issue' AND {q['bool']('resident_confirmed')} = :true)) "
                f"GROUP BY 1, 2, 3, 4, 5", true=True):
            if person in subjects:
                add(person, line_of[type_], n)
        for person in subjects:
            for line in DIRECTOR_LINES:
                out.setdefault((person, line), 0)
    elif sheet == "community_quarter":
        subjects = {c for (c,) in rows("SELECT id FROM grids WHERE tenant_id = :t AND level = 1")}
        in_subtree = (f"FROM {q['by_grid']} JOIN (SELECT DISTINCT g.id AS grid_id, r.id AS id FROM grids g JOIN grids r "
                      f"ON {q['under']} AND r.level = 1 WHERE g.tenant_id = :t AND r.tenant_id = :t) r ON r.grid_id = e.grid_id")
        weekly = {"chashan.escalation_letter": "letter", "chashan.signin_meeting": "signin",
                  "chashan.joint_patrol": "joint_patrol", "chashan.supervision": "supervision",
                  "chashan.meeting_notice": "supervision"}
        for community, type_, day, half, n in rows(
                f"SELECT r.id, e.type, {q['day']}, {q['half']}, count(DISTINCT e.id) {in_subtree} WHERE {where} "
                f"AND e.type IN ({', '.join(repr(k) for k in weekly)}) GROUP BY 1, 2, 3, 4"):
            add(community, weekly[type_], n)
        for community, type_, level, n in rows(
                f"SELECT r.id, e.type, {q['text']('level')}, count(DISTINCT e.id) {in_subtree} WHERE {where} "
                f"AND e.type IN ('chashan.honour', 'chashan.inspection_finding') GROUP BY 1, 2, 3"):
            add(community, "honours" if type_ == "chashan.honour" else "inspections", n)
        for community, n in rows(
                f"SELECT r.id, count(DISTINCT e.id) {in_subtree} WHERE {where} "
                f"AND e.type = 'chashan.major_matter' AND ({q['num']('street_delay_minutes')} > :limit "
                f"OR {q['bool']('reported_to_street')} = :false) GROUP BY 1", limit=120, false=False):
            add(community, "major", n)
        # the handling rate's cases and the satisfaction surveys, per community, as the sheet reads them
        rows(f"SELECT r.id, count(c.id), count(c.resolved_at) FROM cases c JOIN grids g ON g.id = c.grid_id "
             f"JOIN grids r ON {q['under']} AND r.level = 1 WHERE c.tenant_id = :t AND c.resolve_due_at >= :lo "
             f"AND c.resolve_due_at < :hi GROUP BY 1")
        rows(f"SELECT r.id, count(DISTINCT k.id) FROM survey_tokens k JOIN surveys s ON s.id = k.survey_id "
             f"JOIN grids g ON g.id = k.grid_id JOIN grids r ON {q['under']} AND r.level = 1 "
             f"WHERE k.tenant_id = :t AND s.ends_on >= :first AND s.ends_on <= :last GROUP BY 1")
        for community in subjects:
            for line in LINES[sheet]:
                out.setdefault((community, line), 0)
    else:  # department_quarter
        subjects = {u for (u,) in rows("SELECT id FROM units WHERE tenant_id = :t AND kind = 'department'")}
        line_of = {"chashan.letter_handling": "letters", "chashan.referral": "referrals", "chashan.meeting_report": "reports"}
        for unit, type_, n in rows(
                f"SELECT e.subject_unit_id, e.type, count(*) FROM events e WHERE {where} AND ("
                f"(e.type = 'chashan.letter_handling' AND {q['text']('outcome')} = 'unanswered') OR "
                f"(e.type = 'chashan.referral' AND {q['text']('status')} != 'replied') OR "
                f"(e.type = 'chashan.meeting_report' AND {q['bool']('fluent')} = :false)) GROUP BY 1, 2", false=False):
            if unit in subjects:
                add(unit, line_of[type_], n)
        # members' patrols per week: the weeks whose Thursday lies in the quarter, Monday to Sunday
        first_thursday = period + dt.timedelta(days=(3 - period.weekday()) % 7)
        thursdays = [first_thursday + dt.timedelta(days=n) for n in range(0, (QUARTER_END - first_thursday).days, 7)]
        wlo, whi = _bounds(dialect, thursdays[0] - dt.timedelta(days=3), thursdays[-1] + dt.timedelta(days=4))
        members = rows("SELECT a.unit_id, a.person_id FROM assignments a WHERE a.tenant_id = :t "
                       "AND a.role = 'chashan.street_liaison' AND a.unit_id IS NOT NULL AND a.starts_on <= :last "
                       "AND (a.ends_on IS NULL OR a.ends_on >= :first)")
        per_person: dict[int, int] = {}
        for person, day, n in rows(
                f"SELECT e.actor_person_id, {q['day']}, count(*) FROM events e WHERE e.tenant_id = :t "
                f"AND e.occurred_at >= :wlo AND e.occurred_at < :whi AND {NOT_SUPERSEDED} "
                f"AND e.type IN ('chashan.joint_patrol', 'chashan.patrol') AND e.actor_person_id IN "
                f"(SELECT a.person_id FROM assignments a WHERE a.tenant_id = :t AND a.role = 'chashan.street_liaison' "
                f"AND a.starts_on <= :last AND (a.ends_on IS NULL OR a.ends_on >= :first)) GROUP BY 1, 2",
                wlo=wlo, whi=whi):
            per_person[person] = per_person.get(person, 0) + n
        for unit, person in members:
            if unit in subjects:
                add(unit, "patrols", per_person.get(person, 0))
        for unit in subjects:
            for line in LINES[sheet]:
                out.setdefault((unit, line), 0)
    db.session.rollback()
    return out


# -- measuring --------------------------------------------------------------------------------------

def tenant_id_of(slug: str) -> int:
    with platform_scope():
        tid = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        db.session.rollback()
    return tid


def measure_child(args, url: str) -> int:
    """One measured part in this fresh process: print one JSON line."""
    app = make_app(url)
    with app.app_context():
        tid = tenant_id_of(args.slug)
        period = dt.date.fromisoformat(args.period)
        if args.trace:
            tracemalloc.start()
        if args.measure == "engine":
            run_id, spent = engine_run(tid, args.sheet, period)
            subjects = None
        else:
            start = time.perf_counter()
            with platform_scope():
                counts = baseline(tid, args.sheet, period)
            spent, run_id = time.perf_counter() - start, None
            subjects = len({s for s, _ in counts})
        peak = tracemalloc.get_traced_memory()[1] if args.trace else None
        if run_id is not None:
            drop_run(tid, run_id)
        db.session.remove()
        db.engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    print(json.dumps({"seconds": spent, "rss": rss, "traced": peak, "subjects": subjects}))
    return 0


def child(args, url: str, slug: str, measure: str, sheet: str, period: dt.date, trace: bool = False) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--database-url", url, "--measure", measure,
           "--slug", slug, "--sheet", sheet, "--period", period.isoformat()] + (["--trace"] if trace else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{measure} {sheet} {period} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_parts(args, url: str, slug: str) -> int:
    wanted = set(args.parts.split(",")) if args.parts else None
    parts = [(s, p) for s, p in PARTS if wanted is None or s in wanted]
    table = []
    for sheet, period in parts:
        engine, base = [], []
        for _ in range(args.repeat):  # alternate, so both meet the same load from the rest of the machine
            engine.append(child(args, url, slug, "engine", sheet, period))
            base.append(child(args, url, slug, "baseline", sheet, period))
        traced = None if args.no_tracemalloc else child(args, url, slug, "engine", sheet, period, trace=True)["traced"]
        row = {"sheet": sheet, "period": period.isoformat(), "subjects": base[0]["subjects"],
               "engine_s": statistics.median(r["seconds"] for r in engine),
               "baseline_s": statistics.median(r["seconds"] for r in base),
               "engine_rss_mb": max(r["rss"] for r in engine) / 2**20, "baseline_rss_mb": max(r["rss"] for r in base) / 2**20,
               "traced_mb": None if traced is None else traced / 2**20,
               "engine_all": [round(r["seconds"], 2) for r in engine], "baseline_all": [round(r["seconds"], 3) for r in base]}
        row["ratio"] = row["engine_s"] / row["baseline_s"]
        table.append(row)
        print(f"  {sheet} {period}: engine {row['engine_all']} s, baseline {row['baseline_all']} s, engine RSS "
              f"{row['engine_rss_mb']:.0f} MB, heap {row['traced_mb'] or 0:.0f} MB, baseline RSS {row['baseline_rss_mb']:.0f} MB",
              flush=True)
    return report(table)


def report(table: list[dict]) -> int:
    ok = True
    print(f"\n{'sheet':<19} {'period':<10} {'subj':>5} {'engine s':>9} {'baseline s':>10} {'ratio':>6} "
          f"{'engine RSS MB':>13} {'heap MB':>8} {'baseline RSS MB':>15}  target")
    for r in table:
        passed = r["ratio"] <= MAX_RATIO and r["engine_rss_mb"] < MAX_MB
        ok &= passed
        heap = "-" if r["traced_mb"] is None else f"{r['traced_mb']:.0f}"
        print(f"{r['sheet']:<19} {r['period']:<10} {r['subjects']:>5} {r['engine_s']:>9.2f} {r['baseline_s']:>10.2f} "
              f"{r['ratio']:>6.2f} {r['engine_rss_mb']:>13.0f} {heap:>8} {r['baseline_rss_mb']:>15.0f}  "
              f"{'PASS' if passed else 'FAIL'}")
    print(f"\ntargets: engine time ≤ {MAX_RATIO:g} × baseline, engine peak RSS < {MAX_MB} MB "
          f"(RSS: ru_maxrss of the measuring process; heap: tracemalloc peak of Python allocations)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
