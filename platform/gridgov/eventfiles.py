"""Event files (事件导入导出): import and export a tenant's events as JSON Lines or CSV.

Import is all or nothing. Each row goes through the operation the API uses
(:func:`gridgov.operations.events.record_batch`), in chunks of 1,000 inside the caller's one
transaction, and every bad row comes back with its line number; the caller commits only when
there is none. Rows may name grids, people, units and places by code (``grid_code``) instead of
id, so a file can be written by hand or exported from another system.

Export streams the events page by page with the keyset cursor of
:func:`gridgov.operations.events.list_events`, so a million events never sit in memory. Each
row is the API's event body (ids, payload, idempotency key), so the export re-imports cleanly:
into the same tenant it is a no-op for every event that carries an idempotency key.

All functions run inside a tenant scope (:func:`gridgov.tenancy.tenant_scope`).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import zoneinfo
from typing import IO, Iterator

from sqlalchemy import select

from .extensions import db
from .models import Event, Grid, Person, Place, Tenant, Unit
from .operations.errors import OperationError
from .operations.events import MAX_BATCH, list_events, parse_instant, record_batch
from .tenancy import current_tenant_id

FORMATS = ("jsonl", "csv")
ID_FIELDS = ("grid_id", "actor_person_id", "subject_person_id", "subject_unit_id", "place_id",
             "voids_id", "amends_id")
# A reference given by code: code field -> (id field, model). Places are unique per kind and
# code, so ``place_kind`` may accompany ``place_code``.
CODE_FIELDS = {
    "grid_code": ("grid_id", Grid),
    "actor_person_code": ("actor_person_id", Person),
    "subject_person_code": ("subject_person_id", Person),
    "subject_unit_code": ("subject_unit_id", Unit),
    "place_code": ("place_id", Place),
}
CSV_COLUMNS = ("type", "occurred_at", *ID_FIELDS, *CODE_FIELDS, "place_kind", "idempotency_key", "payload")
EXPORT_CSV_COLUMNS = ("type", "occurred_at", *ID_FIELDS, "idempotency_key", "payload")

Row = tuple[int, dict | None, dict]  # (line number, event body, errors)


@dataclasses.dataclass
class ImportResult:
    created: int = 0
    present: int = 0  # rows already stored (same idempotency key and content)
    errors: list[tuple[int, dict]] = dataclasses.field(default_factory=list)


def guess_format(filename: str) -> str:
    return "csv" if filename.lower().endswith(".csv") else "jsonl"


def tenant_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)


# -- reading -------------------------------------------------------------------------------

def read_jsonl(stream: IO[str]) -> Iterator[Row]:
    for number, text in enumerate(stream, 1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, None, {"_schema": [f"not valid JSON: {exc.msg} (column {exc.colno})"]}
            continue
        if not isinstance(item, dict):
            yield number, None, {"_schema": ["not a JSON object"]}
            continue
        yield number, item, {}


def read_csv(stream: IO[str]) -> Iterator[Row]:
    """One event per row. A blank cell is an absent field. The payload is a ``payload`` cell
    holding a JSON object, or ``payload.<field>`` cells (text, converted by the event type's
    schema; dotted deeper for nested objects), or both."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    bad = {h: ["unknown column"] for h in header if h not in CSV_COLUMNS and not _payload_column(h)}
    bad.update({h: ["column given twice"] for h in header if header.count(h) > 1})
    if bad:
        yield 1, None, bad
        return
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield line, None, {"_schema": [f"{len(cells)} cells, but the header has {len(header)} columns"]}
            continue
        yield (line, *_csv_event(header, cells))


def _payload_column(name: str) -> bool:
    return name.startswith("payload.") and all(name.split(".")[1:])


def _csv_event(header: list[str], cells: list[str]) -> tuple[dict | None, dict]:
    item: dict = {}
    fields: list[tuple[list[str], str]] = []
    errors: dict = {}
    for column, cell in zip(header, cells):
        if cell == "":
            continue
        if column == "payload":
            try:
                payload = json.loads(cell)
            except json.JSONDecodeError as exc:
                errors["payload"] = [f"not valid JSON: {exc.msg} (column {exc.colno})"]
                continue
            if not isinstance(payload, dict):
                errors["payload"] = ["not a JSON object"]
                continue
            item["payload"] = payload
        elif column.startswith("payload."):
            fields.append((column.split(".")[1:], cell))
        elif column in ID_FIELDS:
            item[column] = int(cell) if cell.strip().isdigit() else cell  # record_batch names a non-id
        else:
            item[column] = cell
    for path, cell in fields:
        target = item.setdefault("payload", {})
        for key in path[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                errors["payload." + ".".join(path)] = ["conflicts with another payload cell"]
                break
        else:
            if path[-1] in target:
                errors["payload." + ".".join(path)] = ["given twice (in the payload cell too)"]
            target[path[-1]] = cell
    return (None, errors) if errors else (item, {})


READERS = {"jsonl": read_jsonl, "csv": read_csv}


# -- importing -----------------------------------------------------------------------------

def import_events(stream: IO[str], fmt: str) -> ImportResult:
    """Validate and record every event of the file; the caller commits only if ``errors`` is
    empty (rows of valid chunks have been written to the open transaction)."""
    result = ImportResult()
    zone = tenant_zone()
    chunk: list[tuple[int, dict]] = []
    for line, item, errors in READERS[fmt](stream):
        if errors:
            result.errors.append((line, errors))
            continue
        chunk.append((line, item))
        if len(chunk) == MAX_BATCH:
            _import_chunk(chunk, result, zone)
            chunk = []
    if chunk:
        _import_chunk(chunk, result, zone)
    result.errors.sort(key=lambda e: e[0])
    return result


def _import_chunk(chunk: list[tuple[int, dict]], result: ImportResult, zone) -> None:
    rows = _already_stored(_resolve_codes(chunk, result), result, zone)
    if not rows:
        return
    try:
        _, replayed = record_batch([item for _, item in rows])
    except OperationError as exc:
        by_index = exc.errors.get("events")
        if not isinstance(by_index, dict):
            raise
        result.errors.extend((rows[index][0], errors) for index, errors in by_index.items())
        return
    result.present += sum(replayed)
    result.created += len(replayed) - sum(replayed)


def _resolve_codes(chunk: list[tuple[int, dict]], result: ImportResult) -> list[tuple[int, dict]]:
    """Replace ``*_code`` fields by ids, one query per kind of reference for the whole chunk."""
    problems: dict[int, dict] = {}
    for index, (_, item) in enumerate(chunk):
        if "place_kind" in item and "place_code" not in item:
            problems.setdefault(index, {})["place_kind"] = ["goes with place_code"]
        for code_field, (id_field, _) in CODE_FIELDS.items():
            if code_field in item and not isinstance(item[code_field], str):
                problems.setdefault(index, {})[code_field] = ["must be a string"]
            elif code_field in item and id_field in item:
                problems.setdefault(index, {})[code_field] = [f"give {id_field} or {code_field}, not both"]
    for code_field, (id_field, model) in CODE_FIELDS.items():
        wanted = {item[code_field] for i, (_, item) in enumerate(chunk) if i not in problems and code_field in item}
        if not wanted:
            continue
        found: dict[str, dict[str | None, int]] = {}
        if model is Place:
            for code, kind, ident in db.session.execute(select(Place.code, Place.kind, Place.id).where(Place.code.in_(wanted))):
                found.setdefault(code, {})[kind] = ident
        else:
            for code, ident in db.session.execute(select(model.code, model.id).where(model.code.in_(wanted))):
                found[code] = {None: ident}
        what = model.__name__.lower()
        for index, (_, item) in enumerate(chunk):
            if index in problems or code_field not in item:
                continue
            code = item.pop(code_field)
            matches = found.get(code, {})
            if model is Place and "place_kind" in item:
                kind = item.pop("place_kind")
                matches = {kind: matches[kind]} if kind in matches else {}
            if len(matches) == 1:
                item[id_field] = next(iter(matches.values()))
            elif not matches:
                problems.setdefault(index, {})[code_field] = [f"no {what} with code {code!r} in this tenant"]
            else:
                problems.setdefault(index, {})[code_field] = [f"several places have code {code!r}: add place_kind"]
    for index in sorted(problems):
        result.errors.append((chunk[index][0], problems[index]))
    return [row for index, row in enumerate(chunk) if index not in problems]


def _already_stored(rows: list[tuple[int, dict]], result: ImportResult, zone) -> list[tuple[int, dict]]:
    """Drop rows identical to the stored event with their idempotency key — what an export of
    this tenant contains. (A row repeating its original submission byte for byte is recognised
    by ``record_batch`` itself; this also recognises the exported form of it.)"""
    keys = {item["idempotency_key"] for _, item in rows if isinstance(item.get("idempotency_key"), str)}
    if not keys:
        return rows
    stored = {e.idempotency_key: e for e in db.session.scalars(select(Event).where(Event.idempotency_key.in_(keys)))}
    keep = []
    for line, item in rows:
        event = stored.get(item.get("idempotency_key"))
        if event is not None and _same(item, event, zone):
            result.present += 1
        else:
            keep.append((line, item))
    return keep


def _same(item: dict, event: Event, zone) -> bool:
    body, item = event_body(event, zone), dict(item)
    try:
        same_instant = parse_instant(item.get("occurred_at"), "occurred_at") == event.occurred_at
    except OperationError:
        return False
    item.pop("occurred_at", None)
    body.pop("occurred_at")
    return same_instant and item == body


# -- exporting -----------------------------------------------------------------------------

def event_body(event: Event, zone) -> dict:
    """The event as the API's request body: what ``record`` would take to store it again."""
    body = {"type": event.type, "occurred_at": event.occurred_at.astimezone(zone).isoformat()}
    body.update({f: getattr(event, f) for f in ID_FIELDS if getattr(event, f) is not None})
    body["payload"] = event.payload or {}
    if event.idempotency_key:
        body["idempotency_key"] = event.idempotency_key
    return body


def export_events(out: IO[str], fmt: str, *, types=None, grid: Grid | None = None,
                  since: dt.datetime | None = None, until: dt.datetime | None = None) -> int:
    """Write the tenant's events, newest first; returns how many."""
    zone = tenant_zone()
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(EXPORT_CSV_COLUMNS)

        def write(body):
            cells = {**body, "payload": json.dumps(body["payload"], ensure_ascii=False, sort_keys=True)}
            writer.writerow(["" if cells.get(c) is None else cells[c] for c in EXPORT_CSV_COLUMNS])
    else:
        def write(body):
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    count, cursor = 0, None
    while True:
        page, cursor = list_events(types=types, grid=grid, since=since, until=until, cursor=cursor, limit=MAX_BATCH)
        for event in page:
            write(event_body(event, zone))
            db.session.expunge(event)
        count += len(page)
        if cursor is None:
            return count


def parse_bound(value: str, zone, *, end: bool = False) -> dt.datetime:
    """A ``--from``/``--to`` bound: an ISO date (midnight in the tenant's zone; for ``end``
    the midnight after it, so the day is included) or an ISO date-time (the tenant's zone
    when it has no offset)."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), zone)
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise OperationError({"--to" if end else "--from": [f"{value!r} is not an ISO date or date-time"]})
    return instant if instant.tzinfo else instant.replace(tzinfo=zone)
