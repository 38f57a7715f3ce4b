"""Ingest benchmark: the batch path against a plain Core bulk INSERT, and the subtree query.

Run from the repository root with the project's venv::

    .venv/bin/python benchmarks/ingest.py                       # fresh SQLite file in a temp dir
    .venv/bin/python benchmarks/ingest.py --database-url postgresql+psycopg://postgres@127.0.0.1:5433/gridgov_bench --wipe

It builds two tenants of ``--grids`` grids each (district → streets → communities → unit grids)
and loads ``--events`` generated events into each, in batches of 1,000 with a commit per batch:
into one through ``gridgov.operations.events.record_batch`` inside ``tenant_scope`` (the batch
path), into the other with ``conn.execute(insert(events), rows)`` of the rows the batch path
stores (the baseline), alternating batch by batch — and prints both rates. It then prints the query plan of listing one community's events via
``list_events(grid=community)`` and the time of that listing beside the same in a 100-grid tenant
with as many events per grid. The database is emptied first: never point it at real data.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, insert, inspect, select

import workload
from gridgov import create_app
from gridgov.extensions import db
from gridgov.models import Event, Tenant
from gridgov.operations import events as event_ops
from gridgov.operations.grids import get_grid
from gridgov.tenancy import platform_scope, tenant_scope

BATCH = event_ops.MAX_BATCH
SMALL_TENANT_GRIDS = 100
TARGET_SHARE = 0.40
MAX_LIST_RATIO = 2.0
INDEXES = ("ix_grids_tenant_path", "ix_events_tenant_grid_time")


def main(argv=None) -> int:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if url is None:  # a throwaway SQLite file (over a gigabyte at full size), removed at the end
            url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory(prefix='gridgov-bench-'))) / 'bench.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-only"})
        with app.app_context():
            try:
                return run(args, app)
            finally:
                db.session.remove()
                db.engine.dispose()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--events", type=int, default=1_000_000, help="events to load (default 1,000,000)")
    parser.add_argument("--grids", type=int, default=10_000, help="grids in the large tenant (default 10,000)")
    parser.add_argument("--wipe", action="store_true", help="allow emptying a database that already holds tenants")
    args = parser.parse_args(argv)
    if args.events < BATCH or args.grids < SMALL_TENANT_GRIDS:
        parser.error(f"--events must be at least {BATCH} and --grids at least {SMALL_TENANT_GRIDS}")
    return args


def run(args, app) -> int:
    reset_schema(args.wipe)
    dialect = db.engine.dialect.name
    plugins = ["example"] if "example" in app.extensions["gridgov_registry"].info else []
    print(f"database: {dialect} ({db.engine.url.render_as_string(hide_password=True)})")
    with platform_scope():
        twin = workload.build_tenant("bench-baseline", args.grids, plugins=plugins)
        big = workload.build_tenant("bench-large", args.grids, plugins=plugins)
        small = workload.build_tenant("bench-small", SMALL_TENANT_GRIDS, plugins=plugins)
    db.session.commit()
    print(f"tenants: two of {len(big.grid_ids):,} grids (baseline, batch path) and one of {len(small.grid_ids)};"
          f" event types {', '.join(big.event_types)}")

    batch_path, baseline = load_side_by_side(args.events // BATCH, big, twin)
    small_events = round(args.events // BATCH * BATCH / len(big.grid_ids) * len(small.grid_ids))
    for start in range(0, small_events, BATCH):
        size = min(BATCH, small_events - start)
        record_batch(small, workload.event_batch(small, 10**6 + start, size, start / small_events))
    if dialect == "postgresql":
        analyze()

    share = batch_path / baseline
    print(f"\nbatch path: {batch_path:,.0f} ev/s  baseline: {baseline:,.0f} ev/s  ratio: {share:.0%}"
          f"  (target ≥ {TARGET_SHARE:.0%}: {'met' if share >= TARGET_SHARE else 'NOT met'})")
    plan_ok = show_plan(dialect, big)
    (t_big, n_big), (t_small, n_small) = list_times([big, small])
    ratio = t_big / t_small
    print(f"list one community (~{workload.GRIDS_PER_COMMUNITY} grids, 100 newest events), median of warm runs:\n"
          f"  {len(big.grid_ids):,}-grid tenant: {t_big * 1000:.2f} ms ({n_big:,} events in the subtree)\n"
          f"  {len(small.grid_ids):,}-grid tenant: {t_small * 1000:.2f} ms ({n_small:,} events in the subtree)\n"
          f"  ratio: {ratio:.2f}  (must stay under {MAX_LIST_RATIO}: {'met' if ratio < MAX_LIST_RATIO else 'NOT met'})")
    return 0 if share >= TARGET_SHARE and ratio < MAX_LIST_RATIO and plan_ok else 1


def reset_schema(wipe: bool) -> None:
    with platform_scope():
        if inspect(db.engine).has_table("tenants") and db.session.scalar(select(Tenant.id).limit(1)) and not wipe:
            sys.exit("this database holds tenants; pass --wipe to empty it for the benchmark")
        db.session.rollback()
        db.drop_all()
        db.create_all()


def load_side_by_side(n_batches: int, big, twin) -> tuple[float, float]:
    """Load the same generated batches through the batch path (into ``big``) and the baseline
    (into ``twin``, a tenant with an identical tree), alternating batch by batch and which of
    the two goes first: both meet the same table size and the same load from the rest of the
    machine. Only the inserting and committing is timed, not generating the input.

    :returns: events per second of (batch path, baseline)."""
    spent = {"batch": 0.0, "baseline": 0.0}
    for b in range(n_batches):
        runs = [("batch", record_batch, big), ("baseline", core_insert, twin)]
        for name, load, tree in runs if b % 2 == 0 else reversed(runs):
            spent[name] += load(tree, workload.event_batch(tree, b, BATCH, b / n_batches))
        if (b + 1) % max(1, n_batches // 10) == 0:
            done = (b + 1) * BATCH
            print(f"  {done:>9,} events each: batch path {done / spent['batch']:,.0f} ev/s,"
                  f" baseline {done / spent['baseline']:,.0f} ev/s", flush=True)
    return n_batches * BATCH / spent["batch"], n_batches * BATCH / spent["baseline"]


def core_insert(tree, items) -> float:
    """The baseline: the rows the batch path would store, in one plain Core executemany."""
    rows = workload.stored_rows(tree, items)
    start = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(insert(Event.__table__), rows)
    return time.perf_counter() - start


def record_batch(tree, items) -> float:
    start = time.perf_counter()
    with tenant_scope(tree.tenant_id):
        event_ops.record_batch(items)
        db.session.commit()
    return time.perf_counter() - start


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum does soon after a bulk load.
    (SQLite is left without statistics, as the service leaves it.)"""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


@contextlib.contextmanager
def captured_sql():
    """Collect the SQL (and its parameters) that the engine sends to the database."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def show_plan(dialect: str, tree) -> bool:
    """Print the plan of the very statement ``list_events(grid=community)`` sends."""
    with tenant_scope(tree.tenant_id):
        community = get_grid(tree.communities[len(tree.communities) // 2][0])
        with captured_sql() as seen:
            event_ops.list_events(grid=community, limit=100)
        statement, params = next((s, p) for s, p in seen if "FROM events" in s)
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
        rows = db.session.connection().exec_driver_sql(prefix + statement, params).all()
        code = community.code
        db.session.rollback()
    plan = "\n".join(f"  {r[-1]}" if dialect == "sqlite" else f"  {r[0]}" for r in rows)
    print(f"\nlist_events(grid=community {code}) sends:\n  {' '.join(statement.split())}\nplan:\n{plan}")
    used = {name: name in plan for name in INDEXES}
    print("  " + "  ".join(f"uses {name}: {'yes' if ok else 'NO'}" for name, ok in used.items()))
    return all(used.values())


def list_times(trees, samples: int = 30, rounds: int = 4) -> list[tuple[float, int]]:
    """Median time of ``list_events(grid=community, limit=100)`` in each tenant, over
    communities of the usual size, and the mean number of events in their subtrees.

    The tenants take turns, community by community, so that the load from the rest of the
    machine falls on both alike; the first round only warms the caches and is not counted."""
    picked = []
    for tree in trees:
        wanted = [cid for cid, size in tree.communities if size == workload.GRIDS_PER_COMMUNITY][:samples]
        with tenant_scope(tree.tenant_id):
            communities = [get_grid(cid) for cid in wanted or [cid for cid, _ in tree.communities[:samples]]]
            counts = [db.session.scalar(select(func.count()).select_from(Event).where(
                Event.grid_id.in_(event_ops.subtree_ids(c)))) for c in communities]
            db.session.expunge_all()
        db.session.rollback()
        picked.append((tree, communities, counts))
    times: list[list[float]] = [[] for _ in trees]
    for round_ in range(rounds):
        for i in range(samples):
            for spent, (tree, communities, _) in zip(times, picked):
                with tenant_scope(tree.tenant_id):
                    start = time.perf_counter()
                    event_ops.list_events(grid=communities[i % len(communities)], limit=100)
                    if round_:
                        spent.append(time.perf_counter() - start)
                    db.session.rollback()
                    db.session.expunge_all()
    return [(statistics.median(spent), round(statistics.mean(counts))) for spent, (_, _, counts) in zip(times, picked)]


if __name__ == "__main__":
    sys.exit(main())
