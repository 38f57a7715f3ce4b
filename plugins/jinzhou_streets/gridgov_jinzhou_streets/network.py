"""The street network (街路网格): detachments (支队, grid level 1) → brigades (大队, level 2) →
unit grid groups (单元网格小组, level 3, the "blocks"). Streets are cut into sections (路段,
places of kind ``street_section`` with street, from–to, width and grade); a section's place
grid is its one responsible group — a place has exactly one grid, so a section can never sit in
two groups. A section in no group is one whose grid is not at the group level: it is refused
when a violation is recorded on it (:func:`check_violation`) and listed by
:func:`unassigned_sections` (report ``jinzhou_streets.unassigned``).

Violations (违章发现, event ``jinzhou_streets.violation``) become cases of category
``jinzhou_streets.violation`` (:func:`open_cases`, scheduled every ten minutes and run by the
demo). The source's five steps map onto the core's case states:

======================  =======================================================
discover 发现             the inspection event; case reported (``reported``)
collect 采集/立案          accepted by the evaluation office (``accepted``)
handle 处置               dispatched to the group's brigade, resolved (``dispatched``
                          → ``resolved``)
feedback 反馈             verified by the office (``verified``)
close 结案                closed (``closed``)
======================  =======================================================
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Event, Grid, Place
from gridgov.operations.errors import OperationError
from gridgov.operations.event_cases import open_cases_for_events
from gridgov.plugins import SEVERITIES, CaseCategory, Deadline, ScheduledJob

from .settings import STANDARDS, VIOLATIONS

GROUP_LEVEL = 3
SECTION = "jinzhou_streets.street_section"
VIOLATION = "jinzhou_streets.violation"
CATEGORY = "jinzhou_streets.violation"


def _every(amount: int) -> dict:
    return {severity: Deadline(amount, "working_days") for severity in SEVERITIES}


VIOLATION_CATEGORY = CaseCategory(
    "violation", "街路违章整改", "Street violation rectification",
    deadlines={"accept": _every(1), "resolve": _every(3), "close": _every(5)},
    handling_unit_kind="brigade",
    description="明查暗查发现的八无/四无违章：发现、采集、处置、反馈、结案。")

OPEN_CASES_JOB = ScheduledJob("open_cases", "*/10 * * * *", "gridgov_jinzhou_streets.network.open_cases",
                              "街路违章立案", "Open a case for every street violation found")


def section_problem(place: Place | None, grid_id: int | None = None) -> str | None:
    """Why a violation cannot be recorded on this section, or None."""
    if place is None or place.kind != SECTION:
        return "not a street section (街路路段)"
    if place.grid is None or place.grid.level != GROUP_LEVEL:
        return f"section {place.code} is in no unit grid group (路段未划入单元网格小组)"
    if grid_id is not None and grid_id != place.grid_id:
        return f"section {place.code} belongs to group {place.grid.code}, not to this grid"
    return None


def check_violation(event: dict, earlier: list) -> dict | None:
    """EventType check: the section must be in exactly one group — the event's grid — and the
    item must be in the section's standard (八无 for level 1, 四无 for level 2)."""
    place = db.session.get(Place, event["place_id"]) if event.get("place_id") else None
    problem = section_problem(place, event.get("grid_id")) if place else "a violation names its street section"
    if problem:
        return {"place_id": [problem]}
    grade = int(place.attributes.get("grade", 1))
    item = event["payload"].get("violation")
    if item not in STANDARDS.get(grade, ()):
        standard = "八无 eight nos" if grade == 1 else "四无 four nos"
        return {"payload.violation": [f"{item!r} is not in the {standard} of a level-{grade} street"]}
    return None


def unassigned_sections() -> list[Place]:
    """Sections whose grid is not a unit grid group (the validation list)."""
    return list(db.session.scalars(select(Place).join(Grid, Place.grid_id == Grid.id).where(
        Place.kind == SECTION, Grid.level != GROUP_LEVEL).order_by(Place.code)))


WEEKDAYS = (("一", "Mon"), ("二", "Tue"), ("三", "Wed"), ("四", "Thu"), ("五", "Fri"), ("六", "Sat"), ("日", "Sun"))
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def check_shift(shift) -> dict[str, list[str]]:
    """Why one shift of a roster is wrong ({field: reasons}, empty when right): ``days`` ISO
    weekdays 1–7 (at least one), ``start``/``end`` ``HH:MM`` (``24:00`` allowed as an end),
    end after start (a shift does not run over midnight: split it in two)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(shift, dict):
        return {"shift": ["must be an object with days, start and end"]}
    days = shift.get("days")
    if not isinstance(days, list) or not days or any(d not in range(1, 8) or isinstance(d, bool) for d in days):
        errors["days"] = ["at least one weekday, each 1 (Monday) to 7 (Sunday)"]
    for key in ("start", "end"):
        value = shift.get(key)
        if not isinstance(value, str) or not _HHMM.match(value) or (key == "start" and value == "24:00"):
            errors[key] = [f"time as HH:MM (00:00–{'23:59' if key == 'start' else '24:00'}), got {value!r}"]
    if "start" not in errors and "end" not in errors and _minutes(shift["end"]) <= _minutes(shift["start"]):
        errors["end"] = [f"end {shift['end']} must be after start {shift['start']}"]
    return errors


def check_roster(shifts) -> list[dict]:
    """A roster as stored (grid attribute ``roster``): a list of shifts, each checked by
    :func:`check_shift`; raises OperationError naming ``roster.<n>.<field>``."""
    if not isinstance(shifts, list):
        raise OperationError({"roster": ["a list of shifts"]})
    errors = {}
    for n, shift in enumerate(shifts):
        for field, reasons in check_shift(shift).items():
            errors[f"roster.{n}.{field}"] = reasons
    if errors:
        raise OperationError(errors)
    return [{"days": sorted(set(s["days"])), "start": s["start"], "end": s["end"]} for s in shifts]


def roster_shifts(group: Grid, settings: dict) -> list[dict]:
    """The group's shift roster (弹性工作时间): grid attribute ``roster`` (a list of shifts, set
    on the console's 值班表 form), else the older ``roster_start``/``roster_end`` hours every
    day, else the tenant's default hours every day."""
    attrs = group.attributes or {}
    if attrs.get("roster"):
        return attrs["roster"]
    start = int(attrs.get("roster_start", settings["default_roster_start"]))
    end = int(attrs.get("roster_end", settings["default_roster_end"]))
    return [{"days": list(range(1, 8)), "start": f"{start:02d}:00", "end": f"{end:02d}:00"}]


def outside_roster(local: dt.datetime, shifts) -> bool:
    """Whether a local time falls outside every shift of the roster (each [start, end) on its
    weekdays). ``shifts`` may also be the old (start hour, end hour) pair."""
    if isinstance(shifts, tuple):
        shifts = [{"days": list(range(1, 8)), "start": f"{shifts[0]:02d}:00", "end": f"{shifts[1]:02d}:00"}]
    minute = local.hour * 60 + local.minute
    return not any(local.isoweekday() in s["days"] and _minutes(s["start"]) <= minute < _minutes(s["end"])
                   for s in shifts)


def _days_text(days, english: bool) -> str:
    """ISO weekdays in words, runs of three or more as a range: 周一至五、日 / Mon–Fri, Sun."""
    if sorted(days) == list(range(1, 8)):
        return "daily" if english else "每天"
    runs, days = [], sorted(days)
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    name = (lambda d: WEEKDAYS[d - 1][1]) if english else (lambda d: WEEKDAYS[d - 1][0])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{name(run[0])}{'–' if english else '至'}{name(run[-1])}")
        else:
            parts.extend(name(d) for d in run)
    return ", ".join(parts) if english else "周" + "、".join(parts)


def shift_text(shifts, english: bool = False) -> str:
    """A roster in words: ``周一至五 07:00–19:00；周六、日 08:00–16:00`` (``每天`` for every day)."""
    parts = [f"{_days_text(s['days'], english)} {s['start']}–{s['end']}" for s in shifts]
    return ("; " if english else "；").join(parts)


# -- geometry of the sections (the network map) ----------------------------------------------


def line_problem(line) -> str | None:
    """Why a section's ``line`` attribute is not a polyline, or None: a list of at least two
    [longitude, latitude] pairs, longitude −180…180, latitude −90…90."""
    if not isinstance(line, list) or len(line) < 2:
        return "a list of at least two [longitude, latitude] points"
    for n, point in enumerate(line):
        if (not isinstance(point, (list, tuple)) or len(point) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
            return f"point {n} must be [longitude, latitude] numbers"
        lng, lat = point
        if not -180 <= lng <= 180:
            return f"point {n}: longitude {lng} is outside −180…180"
        if not -90 <= lat <= 90:
            return f"point {n}: latitude {lat} is outside −90…90"
    return None


def _ref(event_id: int) -> str:
    return f"违章{event_id}"


def _violation_case(event: Event) -> dict:
    zh = VIOLATIONS.get(event.payload.get("violation"), ("?", "?"))[0]
    mode = "暗查" if event.payload.get("mode") == "covert" else "明查"
    return {"place_id": event.place_id, "description": f"{mode}发现：{zh}。{event.payload.get('note', '')}".strip(),
            "source_ref": _ref(event.id), "note": f"violation event {event.id}"}


def open_cases() -> list[int]:
    """A case for every standing violation event without one (idempotent: the case remembers
    its event in ``source_ref``; see :func:`gridgov.operations.event_cases.open_cases_for_events`);
    returns the new cases' ids."""
    return open_cases_for_events(VIOLATION, _violation_case, category=CATEGORY)
