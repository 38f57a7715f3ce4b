"""Pay and the annual assessment of group leaders (居民小组长年终考核).

Of ¥800 a month, ¥500 is paid monthly and ¥300 withheld (settings). Each month's amounts are
fixed in a pay record (``monthly_pay`` event, written on the 1st by the scheduled job at the
settings then in force), so changing the settings changes the months to come, never a month
recorded. At year end the withheld pool — what was actually withheld: the recorded withheld
amount of each month of the year in which the person held ``group_leader`` on at least one day
(a month not recorded yet at the current setting) — is paid as

    payout = pool × min(total, payout_cap) / payout_cap + rewards − penalties   (never below ¥0)

where ``total`` is the annual sheet's score on the tenant's indicator tree (settings
``indicators``: 4 categories, 13 sub-items by default). The sheet ``leader_year`` has one line
per category (平时成绩, 专项督查, 民主测评, 奖惩因素), each the sum of its sub-items, each sub-item
named in the line's rule with how it was scored (see ``settings.SOURCES``):

* ``work_sheets`` — max × (required days with check-in and check-out) / required days; required
  days are the official working days the person held the role, less approved leave;
* ``attendance`` — max − ``attendance_deduction`` × required days without a check-in, floor 0;
* ``visits`` — max × visits made / visits due (one per ``visit_interval_days`` of each resident
  woman of the leader's blocks, from her registration or the start of the year);
* ``checkups`` — max × share of those women checked up within ``checkup_overdue_months`` of the
  year's end;
* ``judged`` — the mean of the year's ``indicator_mark`` events for the sub-item (0 and a flag
  when none);
* ``bonus`` / ``penalty`` — the year's ``reward_penalty`` points (added / deducted) and amounts.

Nothing due counts as 100 % and the rule says "nothing due". Sub-item points are rounded to one
place, half up; money to the fen.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import or_, select

from gridgov import workdays
from gridgov.assessment import Evidence, ItemScore, SubjectScore, round_money, round_points
from gridgov.extensions import db
from gridgov.models import Assignment, Event, Grid, Place
from gridgov.operations.events import superseded_condition
from gridgov.operations.grids import subtree_ids
from gridgov.plugins import Sheet, SheetItem

from .settings import CATEGORIES, indicators

ZERO, ONE = Decimal(0), Decimal(1)
LEADER = "family_planning.group_leader"
T = "family_planning."


# -- pay -----------------------------------------------------------------------------------------

def spans_held(person_id: int, start: dt.date, end: dt.date, role: str = LEADER) -> list[tuple[dt.date, dt.date, int]]:
    """(first day, last day, grid id) of the person's assignments to ``role`` within [start, end)."""
    rows = db.session.execute(select(Assignment.starts_on, Assignment.ends_on, Assignment.grid_id).where(
        Assignment.person_id == person_id, Assignment.role == role, Assignment.starts_on < end,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= start)).order_by(Assignment.starts_on)).all()
    last = end - dt.timedelta(days=1)
    return [(max(s, start), min(e or last, last), g) for s, e, g in rows]


def months_held(spans, year: int) -> list[int]:
    """Months (1–12) of ``year`` in which a span holds at least one day."""
    months = set()
    for first, last, _ in spans:
        m = dt.date(first.year, first.month, 1)
        while m <= last:
            if m.year == year:
                months.add(m.month)
            m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return sorted(months)


def pay(settings, months: int) -> tuple[Decimal, Decimal]:
    """(base paid, withheld) for ``months`` months."""
    return (round_money(settings["leader_monthly_base"] * months), round_money(settings["leader_monthly_withheld"] * months))


PAY = T + "monthly_pay"


def pay_records(person_ids, year: int, tz) -> dict[int, dict[int, tuple[Decimal, Decimal]]]:
    """{person: {month: (base, withheld)}} of the year's current ``monthly_pay`` records."""
    out = defaultdict(dict)
    if not person_ids:
        return out
    start, end = (dt.datetime.combine(dt.date(y, 1, 1), dt.time(), tz) for y in (year, year + 1))
    for person, payload in db.session.execute(select(Event.subject_person_id, Event.payload).where(
            Event.type == PAY, Event.subject_person_id.in_(list(person_ids)), Event.occurred_at >= start,
            Event.occurred_at < end, ~superseded_condition()).order_by(Event.id)):
        y, m = map(int, payload["month"].split("-"))
        if y == year:
            out[person][m] = (Decimal(payload["base"]), Decimal(payload["withheld"]))
    return out


def recorded_pay(settings, records: dict, months) -> tuple[Decimal, Decimal, list[int]]:
    """(base paid, withheld, months without a record) for ``months``: each month at its pay
    record's amounts, a month not recorded (not begun yet) at the settings' amounts."""
    base = withheld = ZERO
    missing = []
    for m in months:
        if m in records:
            b, w = records[m]
        else:
            b, w = settings["leader_monthly_base"], settings["leader_monthly_withheld"]
            missing.append(m)
        base, withheld = base + b, withheld + w
    return round_money(base), round_money(withheld), missing


def pool_rule(records: dict, months, settings) -> str:
    """How the withheld pool was made: "3 months × ¥300.00 + 9 months × ¥350.00 (not recorded yet)"."""
    groups = defaultdict(int)
    for m in months:
        recorded = m in records
        groups[(records[m][1] if recorded else settings["leader_monthly_withheld"], recorded)] += 1
    return " + ".join(f"{n} months × ¥{w}{'' if recorded else ' (no pay record yet: current setting)'}"
                      for (w, recorded), n in sorted(groups.items(), key=lambda x: (not x[0][1], x[0][0]))) or "0 months"


def month_leaders(first: dt.date) -> dict[int, int]:
    """{person: grid} of those holding ``group_leader`` on at least one day of the month."""
    end = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    rows = db.session.execute(select(Assignment.person_id, Assignment.grid_id).where(
        Assignment.role == LEADER, Assignment.starts_on < end,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= first)).order_by(Assignment.starts_on)).all()
    return {p: g for p, g in rows}


def record_month(first: dt.date, settings=None) -> list[int]:
    """Write the month's pay record of each leader in post that month who has none yet, at the
    amounts of the settings now in force. Safe to run again. Returns the new events' ids."""
    from gridgov.models import Tenant
    from gridgov.operations import events
    from gridgov.operations.tenants import get_settings
    from gridgov.tenancy import current_tenant_id

    from .rules import tenant_zone

    tz = tenant_zone()
    settings = settings or get_settings(db.session.get(Tenant, current_tenant_id()), "family_planning")
    month = f"{first.year}-{first.month:02d}"
    leaders = month_leaders(first)
    done = pay_records(list(leaders), first.year, tz)
    items = [{"type": PAY, "grid_id": grid, "subject_person_id": person,
              "occurred_at": dt.datetime.combine(first, dt.time(), tz).isoformat(),
              "payload": {"month": month, "base": str(settings["leader_monthly_base"]),
                          "withheld": str(settings["leader_monthly_withheld"])}}
             for person, grid in sorted(leaders.items()) if first.month not in done.get(person, {})]
    ids = []
    for i in range(0, len(items), 500):
        ids += events.record_batch(items[i:i + 500])[0]
    return ids


def record_monthly_pay() -> None:
    """The scheduled job (1st of each month): this month's pay records."""
    from .rules import tenant_zone

    record_month(dt.datetime.now(tenant_zone()).date().replace(day=1))


def payout(settings, pool: Decimal, total: Decimal, rewards: Decimal, penalties: Decimal) -> Decimal:
    cap = Decimal(settings["payout_cap"])
    return max(ZERO, round_money(pool * min(total, cap) / cap + rewards - penalties))


# -- facts the sheet reads beyond Facts (each logged, so the run's fingerprint covers it) --------

def _bounds(facts):
    return (dt.datetime.combine(facts.period_start, dt.time(), facts.tz),
            dt.datetime.combine(facts.period_end, dt.time(), facts.tz))


def _events(facts, types, people, column="subject"):
    """Current (not voided or amended) events of ``types`` in the period about / by ``people``."""
    start, end = _bounds(facts)
    col = Event.subject_person_id if column == "subject" else Event.actor_person_id
    rows = db.session.execute(select(Event.id, col, Event.type, Event.occurred_at, Event.payload, Event.place_id).where(
        Event.type.in_([T + t for t in types]), col.in_(people), Event.occurred_at >= start, Event.occurred_at < end,
        ~superseded_condition()).order_by(Event.id)).all() if people else []
    facts.log.append([f"family_planning.events.{','.join(types)}", [[r[0], r[1]] for r in rows]])
    return rows


def approved_leave_days(person_ids, start: dt.date, end: dt.date) -> dict[int, set[dt.date]]:
    """Days of approved leave (a current leave_decision with approved true) per person."""
    requests = db.session.execute(select(Event.id, Event.actor_person_id, Event.payload).where(
        Event.type == T + "leave_request", Event.actor_person_id.in_(person_ids), ~superseded_condition())).all() \
        if person_ids else []
    if not requests:
        return defaultdict(set)
    decisions = {p["request_id"]: p["approved"] for p in db.session.scalars(select(Event.payload).where(
        Event.type == T + "leave_decision", ~superseded_condition()))}
    days = defaultdict(set)
    for rid, person, p in requests:
        if decisions.get(rid):
            d, last = dt.date.fromisoformat(p["starts_on"]), dt.date.fromisoformat(p["ends_on"])
            while d <= last:
                if start <= d < end:
                    days[person].add(d)
                d += dt.timedelta(days=1)
    return days


def women_of(grid_ids) -> list[Place]:
    grids = db.session.scalars(select(Grid).where(Grid.id.in_(grid_ids))).all() if grid_ids else []
    if not grids:
        return []
    return list(db.session.scalars(select(Place).where(
        Place.kind == T + "woman", or_(*[Place.grid_id.in_(subtree_ids(g)) for g in grids])).order_by(Place.id)))


def last_checkups(women, until: dt.date) -> dict[int, dt.date | None]:
    """Each woman's latest check-up on or before ``until``: her register date or a checkup event."""
    out = {w.id: (dt.date.fromisoformat(w.attributes["last_checkup_on"]) if w.attributes.get("last_checkup_on") else None)
           for w in women}
    if women:
        for place, p in db.session.execute(select(Event.place_id, Event.payload).where(
                Event.type == T + "checkup", Event.place_id.in_(list(out)), ~superseded_condition())):
            on = dt.date.fromisoformat(p["checked_on"])
            if on <= until and (out[place] is None or on > out[place]):
                out[place] = on
    return out


def months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, 28))


# -- the sheet -------------------------------------------------------------------------------------

ITEMS = tuple(SheetItem(key, zh, en) for key, (zh, en) in CATEGORIES.items()) + (
    SheetItem("payout", "年终考核工资发放", "Year-end payout of the withheld pay"),
)


def _rate_points(maximum, done, due, what):
    if due == 0:
        return maximum, f"nothing due → {maximum}"
    rate = Decimal(done) / Decimal(due)
    return round_points(maximum * rate), f"{maximum} × {done}/{due} {what}"


def score(facts) -> dict:
    s = facts.settings
    tree = indicators(s)
    people = sorted(facts.subjects)
    year = facts.period_start.year
    # Days not yet passed are not due: a run of the year in progress counts up to yesterday
    # (the date is in the facts log, so the fingerprint says "as of" when).
    as_of = min(facts.period_end, dt.datetime.now(facts.tz).date())
    facts.log.append(["family_planning.as_of", as_of.isoformat()])
    spans = {p: spans_held(p, facts.period_start, as_of) for p in people} if as_of > facts.period_start else \
        {p: [] for p in people}
    facts.log.append(["family_planning.spans", {str(p): [[a.isoformat(), b.isoformat(), g] for a, b, g in v]
                                                for p, v in spans.items()}])
    leave = approved_leave_days(people, facts.period_start, facts.period_end)
    facts.log.append(["family_planning.leave", {str(p): sorted(d.isoformat() for d in v) for p, v in leave.items()}])
    plans = facts.count(T + "work_plan", by="actor", daily=True, people=people)
    results = facts.count(T + "work_result", by="actor", daily=True, people=people)
    marks = _events(facts, ["indicator_mark"], people)
    factors = _events(facts, ["reward_penalty"], people)
    visits_by_place = defaultdict(list)
    for eid, actor, _, at, _, place in _events(facts, ["visit"], people, column="actor"):
        visits_by_place[place].append((at.astimezone(facts.tz).date(), eid))
    records = pay_records(people, year, facts.tz)
    facts.log.append(["family_planning.pay", {str(p): {str(m): [str(b), str(w)] for m, (b, w) in sorted(v.items())}
                                              for p, v in sorted(records.items())}])
    out = {}
    for person in people:
        required = sorted(d for first, last, _ in spans[person] for d in workdays.working_days_in(first, last)
                          if d not in leave[person])
        done = [d for d in required if d in plans[person].by_day and d in results[person].by_day]
        missed = [d for d in required if d not in plans[person].by_day]
        women = [w for w in women_of(sorted({g for _, _, g in spans[person]})) if w.attributes.get("status") != "moved_out"]
        facts.log.append(["family_planning.women", person, [w.id for w in women]])
        end = min(facts.period_end, max((last for _, last, _ in spans[person]), default=facts.period_start)
                  + dt.timedelta(days=1))
        due = made = 0
        visit_ids = []
        for w in women:
            since = max(dt.date.fromisoformat(w.attributes["registered_on"]), facts.period_start)
            owed = max(0, (end - since).days // s["visit_interval_days"])
            hits = [e for d, e in visits_by_place[w.id] if since <= d < end]
            due, made = due + owed, made + min(owed, len(hits))
            visit_ids += hits
        checked = last_checkups(women, end - dt.timedelta(days=1))
        facts.log.append(["family_planning.checkups", person, {str(k): v.isoformat() if v else None for k, v in checked.items()}])
        cutoff = months_before(end, s["checkup_overdue_months"])
        on_time = [w for w in women if checked[w.id] and checked[w.id] >= cutoff]
        lines = defaultdict(list)
        points = defaultdict(lambda: ZERO)
        evidence = defaultdict(list)
        flags = []
        rewards = penalties = ZERO
        for item in tree:
            key, mx, src, cat = item["key"], item["max_points"], item["source"], item["category"]
            if src == "work_sheets":
                pts, rule = _rate_points(mx, len(done), len(required), "working days with check-in and check-out")
                evidence[cat] += list(plans[person].event_ids) + list(results[person].event_ids)
            elif src == "attendance":
                pts = max(ZERO, mx - s["attendance_deduction"] * len(missed))
                rule = f"{mx} − {s['attendance_deduction']} × {len(missed)} days absent without leave, floor 0"
                if missed:
                    rule += f" ({', '.join(d.isoformat() for d in missed[:10])}{' …' if len(missed) > 10 else ''})"
            elif src == "visits":
                pts, rule = _rate_points(mx, made, due, "visits due made")
                evidence[cat] += visit_ids
            elif src == "checkups":
                pts, rule = _rate_points(mx, len(on_time), len(women), f"women checked up since {cutoff.isoformat()}")
            elif src == "judged":
                given = [(e[0], Decimal(e[4]["points"])) for e in marks if e[1] == person and e[4]["indicator"] == key]
                if given:
                    pts = min(mx, round_points(sum((v for _, v in given), ZERO) / len(given)))
                    rule = f"mean of {len(given)} mark(s)"
                    evidence[cat] += [i for i, _ in given]
                else:
                    pts, rule = ZERO, "not marked"
                    flags.append(f"{key} {item['title_zh']}: 未评分 not marked")
            else:  # bonus / penalty
                given = [e for e in factors if e[1] == person and e[4]["indicator"] == key]
                total = sum((Decimal(e[4]["points"]) for e in given), ZERO)
                amount = sum((Decimal(e[4]["amount"]) for e in given), ZERO)
                evidence[cat] += [e[0] for e in given]
                if src == "bonus":
                    pts, rewards = total, rewards + amount
                    rule = f"+{total} points, +¥{amount} from {len(given)} reward(s)"
                else:
                    pts, penalties = -total, penalties + amount
                    rule = f"−{total} points, −¥{amount} from {len(given)} penalt{'y' if len(given) == 1 else 'ies'}"
            points[cat] += pts
            lines[cat].append(f"{key} {item['title_zh']} {pts}/{mx}: {rule}")
        total = sum(points.values(), ZERO)
        months = months_held(spans_held(person, facts.period_start, facts.period_end), year)
        base, pool, _ = recorded_pay(s, records[person], months)
        money = payout(s, pool, total, rewards, penalties)
        items = [ItemScore(cat, points[cat], "; ".join(lines[cat]), Evidence(event_ids=tuple(sorted(set(evidence[cat])))))
                 for cat in CATEGORIES]
        items.append(ItemScore("payout", None,
                               f"pool ¥{pool} ({pool_rule(records[person], months, s)}) × "
                               f"min({total}, {s['payout_cap']})/{s['payout_cap']} + ¥{rewards} − ¥{penalties}, floor ¥0",
                               Evidence(note=f"base paid monthly ¥{base}"), money=money))
        out[person] = SubjectScore(items=items, flags=flags)
    return out


YEAR = Sheet("leader_year", "居民小组长年终考核", "Group leader annual assessment", "person", "year",
             items=ITEMS, score=score, roles=(LEADER,),
             description="平时成绩、专项督查、民主测评、奖惩因素4大项13小项；预留工资×得分/100±奖惩金额年终一次性发放。")
