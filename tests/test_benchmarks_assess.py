"""benchmarks/assess.py at a tiny scale: the engine's counts (the evidence of each counted line,
per subject) equal the hand-written SQL baseline's, on every sheet of the benchmark — so the
baseline the engine is timed against computes the same figures. No timing is asserted."""
import sys
from pathlib import Path

import pytest

from gridgov.extensions import db
from gridgov.tenancy import platform_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import assess  # noqa: E402


@pytest.fixture
def world(app):
    with app.app_context():
        return assess.build("assess-tiny", grids=10, communities=4, departments=2, events=2_000)


@pytest.mark.parametrize("sheet,period", assess.PARTS, ids=[f"{s}-{p:%m}" for s, p in assess.PARTS])
def test_engine_counts_equal_the_baseline(app, world, sheet, period):
    with app.app_context():
        run_id, _ = assess.engine_run(world.tenant_id, sheet, period)
        engine = assess.engine_counts(world.tenant_id, run_id)
        with platform_scope():
            base = assess.baseline(world.tenant_id, sheet, period)
        db.session.rollback()
    assert engine == base
    assert len({s for s, _ in engine}) == {"community_quarter": 4, "department_quarter": 2}.get(sheet, 10)
    assert sum(engine.values()) > 0


def test_the_load_holds_every_counted_kind(app, world):
    with app.app_context():
        run_id, _ = assess.engine_run(world.tenant_id, "director_quarter", assess.QUARTER)
        counts = assess.engine_counts(world.tenant_id, run_id)
    for line in assess.DIRECTOR_LINES:
        assert sum(n for (_, key), n in counts.items() if key == line) > 0, line


@pytest.mark.parametrize("sheet", ["director_quarter", "community_quarter", "department_quarter"])
def test_the_same_facts_give_identical_results_and_fingerprint(app, world, sheet):
    """The ids behind each line come back from the database in no set order: the stored
    evidence and the fingerprint must not depend on it."""
    from sqlalchemy import select

    from gridgov.models.assessment import AssessmentResult, AssessmentRun
    from gridgov.tenancy import tenant_scope

    with app.app_context():
        runs = [assess.engine_run(world.tenant_id, sheet, assess.QUARTER)[0] for _ in range(2)]
        with tenant_scope(world.tenant_id):
            fingerprints = [db.session.get(AssessmentRun, r).fingerprint for r in runs]
            stored = [[(row.subject_id, row.items, row.total, row.money, row.rank, row.grade) for row in db.session.scalars(
                select(AssessmentResult).where(AssessmentResult.run_id == r).order_by(AssessmentResult.subject_id))]
                for r in runs]
            db.session.rollback()
    assert fingerprints[0] == fingerprints[1] and len(fingerprints[0]) == 64
    assert stored[0] == stored[1] and stored[0]
    evidence = [i["evidence"]["event_ids"] for _, items, *_ in stored[0] for i in items]
    assert all(ids == sorted(ids) for ids in evidence) and any(evidence)
