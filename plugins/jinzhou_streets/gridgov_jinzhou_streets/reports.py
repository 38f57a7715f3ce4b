"""The jinzhou_streets reports (报表), rendered by the core as console pages, CSV and XLSX:

* ``jinzhou_streets.network`` — the published network (街路网格公示): every section with its
  street, grade, width, group, brigade, detachment and responsible person (the group leader);
* ``jinzhou_streets.unassigned`` — sections in no unit grid group (validation list; empty is good);
* ``jinzhou_streets.bulletin`` — the half-monthly 巡查通报 of a half-month run: every violation
  with its section, item, open/covert, time, whether found outside the group's rostered hours,
  the points and its case; ``grid_id`` a detachment gives that detachment's bulletin;
* ``jinzhou_streets.selection`` — the quarterly selection (评先选优) from a quarter run: the top
  N groups by eligible rank, the top N individuals (members of the best groups, vetoed people
  left out) and the top N brigades (mean of all their groups, vetoed brigades left out), N from
  the settings; the vetoes are those in force when the run was computed
  (:func:`vetoes_in_force`).

The network's map is a console page (:mod:`.console`), not a report: a table cannot carry it.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from gridgov.extensions import db
from gridgov.models import Assignment, Case, Event, Grid, Person, Place
from gridgov.models.assessment import AssessmentResult
from gridgov.operations.events import superseded_condition
from gridgov.operations.grids import subtree_ids
from gridgov.plugins import Report
from gridgov.reports import Column, ReportRequest, ReportTable, tenant_tz

from .network import GROUP_LEVEL, SECTION, VIOLATION, outside_roster, roster_shifts, shift_text, unassigned_sections
from .settings import VIOLATIONS

MAP_URL = "/admin/jinzhou-streets-map/"
from .sheets import VETO


def _settings() -> dict:
    from gridgov.models import Tenant
    from gridgov.operations.tenants import get_settings
    from gridgov.tenancy import current_tenant_id

    return get_settings(db.session.get(Tenant, current_tenant_id()), "jinzhou_streets")


def _leaders(grid_ids) -> dict[int, str]:
    rows = db.session.execute(select(Assignment.grid_id, Person.name).join(Person, Assignment.person_id == Person.id)
                              .where(Assignment.role == "jinzhou_streets.group_leader",
                                     Assignment.grid_id.in_(list(grid_ids))))
    return {g: n for g, n in rows}


def _chain(grid: Grid) -> tuple[str, str, str]:
    brigade = grid.parent
    return grid.name, brigade.name if brigade else "", brigade.parent.name if brigade and brigade.parent else ""


def build_network(request: ReportRequest) -> ReportTable:
    places = list(db.session.scalars(select(Place).where(Place.kind == SECTION).order_by(Place.code)))
    leaders = _leaders({p.grid_id for p in places})
    rows = []
    for p in places:
        group, brigade, detachment = _chain(p.grid) if p.grid.level == GROUP_LEVEL else ("—", "", "")
        a = p.attributes or {}
        rows.append({"code": p.code, "street": a.get("street", ""), "from_to": a.get("from_to", ""),
                     "grade": a.get("grade"), "width": Decimal(str(a.get("width_m", "0"))), "group": group,
                     "brigade": brigade, "detachment": detachment, "responsible": leaders.get(p.grid_id, "")})
    columns = [Column("code", "路段编号", "Section"), Column("street", "街路", "Street"),
               Column("from_to", "起止", "From – to"), Column("grade", "等级", "Grade", "int"),
               Column("width", "宽度（米）", "Width (m)", "decimal"), Column("group", "单元网格小组", "Group"),
               Column("brigade", "网管大队", "Brigade"), Column("detachment", "网管支队", "Detachment"),
               Column("responsible", "责任人", "Responsible person")]
    drawn = sum(1 for p in places if (p.attributes or {}).get("line"))
    return ReportTable(request.title("街路网格责任公示", "Published street network"), columns, rows, notes=[request.title(
        f"网格地图（{drawn}/{len(places)}个路段有走向）：控制台“街路网格地图”页 {MAP_URL}，GeoJSON {MAP_URL}geojson",
        f"Network map ({drawn} of {len(places)} sections drawn): console page {MAP_URL}, GeoJSON {MAP_URL}geojson")])


def build_unassigned(request: ReportRequest) -> ReportTable:
    rows = [{"code": p.code, "name": p.name, "grid": p.grid.name} for p in unassigned_sections()]
    return ReportTable(request.title("未划入单元网格小组的路段", "Sections in no unit grid group"),
                       [Column("code", "路段编号", "Section"), Column("name", "名称", "Name"),
                        Column("grid", "所在网格", "Grid")], rows)


def _off_roster(request: ReportRequest, local: dt.datetime, shifts) -> str:
    """Empty inside the roster; else "是" with the roster it fell outside of."""
    if not outside_roster(local, shifts):
        return ""
    return request.title(f"是（值班：{shift_text(shifts)}）", f"yes (roster: {shift_text(shifts, True)})")


def build_bulletin(request: ReportRequest) -> ReportTable:
    run, s, zone = request.run, _settings(), ZoneInfo(tenant_tz())
    groups = set(r.subject_id for r in db.session.scalars(
        select(AssessmentResult).where(AssessmentResult.run_id == run.id)))
    if request.grid_id is not None:
        groups &= set(db.session.scalars(subtree_ids(db.session.get(Grid, request.grid_id))))
    start = run.period_start
    events = list(db.session.scalars(select(Event).where(
        Event.type == VIOLATION, Event.grid_id.in_(list(groups) or [-1]), ~superseded_condition()).order_by(Event.occurred_at)))
    cases = {c.source_ref: c for c in db.session.scalars(select(Case).where(Case.category == VIOLATION))}
    rows = []
    for e in events:
        local = e.occurred_at.astimezone(zone)
        if not (start <= local.date() < run.period_end):  # period_end is exclusive
            continue
        grid = db.session.get(Grid, e.grid_id)
        group, brigade, detachment = _chain(grid)
        item = e.payload["violation"]
        case = cases.get(f"违章{e.id}")
        rows.append({"time": local.replace(tzinfo=None), "detachment": detachment, "brigade": brigade, "group": group,
                     "section": db.session.get(Place, e.place_id).name if e.place_id else "",
                     "item": request.title(*VIOLATIONS[item]),
                     "mode": request.title("暗查", "covert") if e.payload.get("mode") == "covert" else request.title("明查", "open"),
                     "off_roster": _off_roster(request, local, roster_shifts(grid, s)),
                     "points": s[f"deduction_{item}"], "case": case.number if case else "",
                     "state": case.state if case else ""})
    columns = [Column("time", "发现时间", "Found at", "datetime"), Column("detachment", "支队", "Detachment"),
               Column("brigade", "大队", "Brigade"), Column("group", "单元网格小组", "Group"),
               Column("section", "路段", "Section"), Column("item", "违章项目", "Item"), Column("mode", "方式", "Mode"),
               Column("off_roster", "值班时间外", "Outside roster"), Column("points", "扣分", "Points", "decimal"),
               Column("case", "案件", "Case"), Column("state", "状态", "State")]
    off = sum(1 for r in rows if r["off_roster"])
    last = run.period_end - dt.timedelta(days=1)
    return ReportTable(request.title(f"{start:%Y年%m月%d日}—{last:%m月%d日} 巡查通报",
                                     f"Inspection bulletin {start} – {last}"), columns, rows,
                       notes=[request.title(f"共{len(rows)}处违章，其中值班时间外{off}处",
                                            f"{len(rows)} violations, {off} outside rostered hours")])


def vetoes_in_force(run) -> list[Event]:
    """The veto events in force for a run: recorded in the run's calendar year (tenant-local, by
    ``occurred_at``), recorded (``recorded_at``) by the time the run was computed, and not voided
    or amended by then. The sheets read the vetoes when they compute, so the groups' vetoes are
    in the run's results; the people's and brigades' are read here by the same cut-off — a
    computed or published selection never changes when a veto is recorded later. A correction
    of the run (a new run superseding it) is computed later, so it takes the later veto in."""
    zone = ZoneInfo(tenant_tz())
    year = run.period_start.year
    start, end = dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)
    cut = run.computed_at or dt.datetime.now(dt.timezone.utc)
    later = aliased(Event)
    replaced = exists().where(or_(later.voids_id == Event.id, later.amends_id == Event.id), later.recorded_at <= cut)
    return list(db.session.scalars(select(Event).where(
        Event.type == VETO, Event.occurred_at >= start, Event.occurred_at < end, Event.recorded_at <= cut, ~replaced)))


def build_selection(request: ReportRequest) -> ReportTable:
    """Top N groups by eligible rank (vetoed groups have none); top N individuals: the people
    assigned to the eligible groups in rank order, a vetoed person left out; top N brigades by
    the mean total of *all* their groups (a vetoed group still counts in its brigade's mean —
    the veto takes the group out of the awards, not its points out of the brigade), a brigade
    with a veto on its own grid left out."""
    run, s = request.run, _settings()
    results = list(db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)))
    eligible = sorted((r for r in results if r.eligible_rank is not None), key=lambda r: (r.eligible_rank, r.subject_id))
    rows = []
    for r in eligible[:s["advanced_groups_per_quarter"]]:
        rows.append({"kind": request.title("先进网管小组", "Advanced group"), "rank": r.eligible_rank,
                     "name": r.subject_name, "total": r.total})
    vetoes = vetoes_in_force(run)
    vetoed_people = {e.subject_person_id for e in vetoes if e.subject_person_id is not None}
    vetoed_grids = {e.grid_id for e in vetoes if e.subject_person_id is None}
    people = []
    for r in eligible:
        for pid, name in db.session.execute(select(Person.id, Person.name).join(Assignment, Assignment.person_id == Person.id)
                                            .where(Assignment.grid_id == r.subject_id).order_by(Person.id)):
            if pid not in vetoed_people and pid not in [p[0] for p in people]:
                people.append((pid, name, r))
    for n, (_, name, r) in enumerate(people[:s["advanced_individuals_per_quarter"]], 1):
        rows.append({"kind": request.title("网管先进个人", "Advanced individual"), "rank": n, "name": name, "total": r.total})
    brigades = defaultdict(list)
    for r in results:
        brigades[db.session.get(Grid, r.subject_id).parent_id].append(r.total)
    means = sorted(((sum(v, Decimal(0)) / len(v), b) for b, v in brigades.items() if b not in vetoed_grids),
                   key=lambda x: (-x[0], x[1]))
    for n, (mean, b) in enumerate(means[:s["advanced_brigades_per_quarter"]], 1):
        rows.append({"kind": request.title("先进网管大队", "Advanced brigade"), "rank": n,
                     "name": db.session.get(Grid, b).name, "total": mean.quantize(Decimal("0.1"))})
    columns = [Column("kind", "类别", "Kind"), Column("rank", "名次", "Rank", "int"), Column("name", "名称", "Name"),
               Column("total", "得分", "Score", "decimal")]
    return ReportTable(request.title("季度评先选优", "Quarterly selection"), columns, rows,
                       notes=[request.title("一票否决的小组、大队和个人不参加评选（以本次计算时已记录的否决为准）",
                                            "Vetoed groups, brigades and people are left out (the vetoes recorded "
                                            "when this run was computed)")])


REPORTS = (
    Report("network", "街路网格责任公示", "Published street network", build_network, needs="none", published_readers=True),
    Report("unassigned", "未划入小组的路段", "Sections in no group", build_unassigned, needs="none"),
    Report("bulletin", "巡查通报", "Inspection bulletin", build_bulletin, sheets=("jinzhou_streets.group_half_month",),
           published_readers=True),
    Report("selection", "季度评先选优", "Quarterly selection", build_selection, sheets=("jinzhou_streets.group_quarter",),
           published_readers=True),
)
