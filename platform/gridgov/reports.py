"""Reports (报表): tables a plugin builds from its runs or periods, rendered by the core.

A plugin declares :class:`gridgov.plugins.Report` objects (hook ``gridgov_reports``); each
``build(request)`` gets a :class:`ReportRequest` and returns a :class:`ReportTable` of plain
values — ``str``, ``int``, ``Decimal``, ``date``, ``datetime`` or ``None`` — described by
:class:`Column` s. The core then renders the same table

* as a console page (报表) — :mod:`gridgov.console.reports`;
* as CSV — :func:`to_csv`: UTF-8 with a BOM (Excel and WPS then read the Chinese right), CRLF
  line ends, a header row of column titles, ``Decimal`` as plain strings (never a float),
  dates ISO, date-times in the tenant's local time, percentages as ``95.3%``;
* as XLSX — :func:`to_xlsx` (openpyxl): a title row, a bold header row frozen in place,
  numbers as numbers with formats (``0.00``, ``¥#,##0.00`` for money, ``0.0%``), dates as dates,
  columns wide enough for Chinese text;
* as JSON through the API — :func:`to_json`.

Column kinds: ``text``, ``int``, ``decimal``, ``money`` (``Decimal`` yuan), ``percent`` (a
``Decimal`` *fraction*: ``Decimal("0.953")`` is 95.3%), ``date``, ``datetime`` (aware; shown in
the tenant's time zone).

Access (:func:`can_read`): assessors and tenant administrators always; anyone else of the tenant
only for a report with ``published_readers`` — and, for a report over a run, only once that run
is published. A report only reads; it never writes.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .extensions import db
from .models import Tenant
from .models.assessment import PUBLISHED, RUN_STATES, AssessmentResult, AssessmentRun
from .operations.errors import Forbidden, NotFound, OperationError
from .tenancy import current_tenant_id

COLUMN_KINDS = ("text", "int", "decimal", "money", "percent", "date", "datetime")
FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NUMBER_FORMATS = {"int": "0", "decimal": "0.00", "money": "¥#,##0.00", "percent": "0.0%",
                  "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _en(locale) -> bool:
    return str(locale or "zh").startswith("en")


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a report: its key in each row, its Chinese and English title, its kind."""

    key: str
    title_zh: str
    title_en: str
    kind: str = "text"  # text | int | decimal | money | percent | date | datetime

    def title(self, locale: str = "zh") -> str:
        return self.title_en if _en(locale) else self.title_zh


@dataclasses.dataclass(frozen=True)
class ReportTable:
    """What a report's ``build`` returns: a titled table of plain values, one dict per row
    keyed by column key (a missing key reads as empty)."""

    title: str
    columns: list[Column]
    rows: list[dict]
    subtitle: str = ""
    notes: list[str] = ()


@dataclasses.dataclass(frozen=True)
class ReportRequest:
    """What ``build`` receives: the run (``needs="run"``) or the period (``needs="period"``,
    end exclusive), the optional grid and subject filters, the locale (``"zh"``/``"en"``) and
    the login asking (access is already checked)."""

    run: AssessmentRun | None
    period_start: dt.date | None
    period_end: dt.date | None
    grid_id: int | None
    subject_id: int | None
    locale: str
    user: Any

    def title(self, zh: str, en: str) -> str:
        """Pick the string of the request's locale."""
        return en if _en(self.locale) else zh


# -- the tenant's reports ------------------------------------------------------------------------


def _tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


def reports():
    """The reports the tenant in scope can read (its enabled plugins'), by key."""
    from .operations.tenants import registry

    return registry().for_tenant(_tenant()).reports


def get_report(key):
    report = reports().get(key) if isinstance(key, str) else None
    if report is None:
        raise NotFound("report")
    return report


def _sheet_period_kind(sheet_key: str) -> str | None:
    from .assessment.operations import sheets

    sheet = sheets().get(sheet_key)
    return sheet.period_kind if sheet else None


def runs_for(report) -> list[AssessmentRun]:
    """The runs a ``needs="run"`` report can be built from, newest period first."""
    from sqlalchemy import select

    from .assessment.operations import sheets

    query = select(AssessmentRun)
    keys = list(report.sheets) or list(sheets())
    query = query.where(AssessmentRun.sheet.in_(keys))
    return list(db.session.scalars(query.order_by(AssessmentRun.period_start.desc(), AssessmentRun.id.desc())))


def run_label(run: AssessmentRun, locale: str = "zh") -> str:
    """``茶山网格长月度考核 · 2026年11月 · 已公布 (#12)``."""
    from .assessment.operations import sheets
    from .assessment.periods import period_label

    sheet = sheets().get(run.sheet)
    title = sheet.title(locale) if sheet else run.sheet
    kind = sheet.period_kind if sheet else "month"
    state = RUN_STATES.get(run.state, (run.state, run.state))[1 if _en(locale) else 0]
    return f"{title} · {period_label(kind, run.period_start, locale)} · {state} (#{run.id})"


# -- access --------------------------------------------------------------------------------------


def can_read(user, report, run: AssessmentRun | None = None) -> bool:
    """Managers (assessors, tenant administrators) always; other members of the tenant only for
    a ``published_readers`` report, and for a report over a run only once the run is published."""
    from .assessment.access import is_manager
    from .operations.tenants import role_in

    if user is None:
        return False
    if is_manager(user):
        return True
    if not report.published_readers or role_in(user, _tenant()) is None:
        return False
    if report.needs == "run":
        return run is not None and run.state == PUBLISHED
    return True


def require_reader(user, report, run: AssessmentRun | None = None) -> None:
    if not can_read(user, report, run):
        if report.published_readers and report.needs == "run":
            reason = "until the assessment is published only assessors and administrators may read this report"
        else:
            reason = "only assessors and administrators may read this report"
        raise Forbidden({"_schema": [reason]})


def readable_reports(user) -> dict:
    """The reports this login may open at all (before a run is chosen)."""
    from .assessment.access import is_manager

    if user is None:
        return {}
    if is_manager(user):
        return dict(reports())
    return {k: r for k, r in reports().items() if can_read(user, r, None) or (r.published_readers and r.needs == "run")}


def _int_param(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise OperationError({field: ["an integer id"]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OperationError({field: ["an integer id"]})
    if not 0 < number < 2**63:
        raise OperationError({field: ["an integer id"]})
    return number


def make_request(report, user, *, run_id=None, period_start=None, grid_id=None, subject_id=None,
                 locale: str = "zh") -> ReportRequest:
    """Check the parameters against the report, load the run (of this tenant only) and check
    access. Raises OperationError naming the field (422), NotFound for a run of another tenant
    or none (404), Forbidden (403)."""
    from .assessment.periods import parse_period_start, period_bounds
    from .models import Grid
    from .operations.common import get

    grid = _int_param(grid_id, "grid_id")
    subject = _int_param(subject_id, "subject_id")
    run = None
    start = end = None
    if report.needs == "run":
        if run_id is None or run_id == "":
            raise OperationError({"run_id": ["required: the assessment run to report on"]})
        rid = _int_param(run_id, "run_id")
        run = get(AssessmentRun, rid, "assessment run")
        if report.sheets and run.sheet not in report.sheets:
            raise OperationError({"run_id": [f"this report reads runs of {', '.join(report.sheets)}, not {run.sheet}"]})
        start, end = run.period_start, run.period_end
    elif report.needs == "period":
        if period_start is None or period_start == "":
            raise OperationError({"period_start": ["required: the first day of the period (YYYY-MM-DD)"]})
        start, end = period_bounds(report.period_kind, parse_period_start(period_start))
    if grid is not None:
        get(Grid, grid, "grid")
    require_reader(user, report, run)
    return ReportRequest(run=run, period_start=start, period_end=end, grid_id=grid, subject_id=subject,
                         locale="en" if _en(locale) else "zh", user=user)


def build(report, request: ReportRequest) -> ReportTable:
    """Call the report's ``build`` and check what it returned."""
    table = report.build(request)
    if not isinstance(table, ReportTable):
        raise TypeError(f"report {report.key!r} returned {type(table).__name__}, not a ReportTable")
    for column in table.columns:
        if column.kind not in COLUMN_KINDS:
            raise TypeError(f"report {report.key!r}: column {column.key!r} has unknown kind {column.kind!r}")
    return table


# -- values --------------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A Decimal as a plain string: never an exponent (``1E+2`` → ``100``)."""
    text = format(value, "f")
    return text[1:] if value == 0 and text.startswith("-") else text  # no "-0.00"


def _local(value: dt.datetime, tz) -> dt.datetime:
    if value.tzinfo is not None and tz is not None:
        value = value.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)
    return value


def tenant_tz() -> str:
    tenant = _tenant() if current_tenant_id() is not None else None
    return (tenant.timezone if tenant is not None else None) or "Asia/Shanghai"


def text_value(value, kind: str = "text", tz=None) -> str:
    """A cell as text (CSV, the console page): plain Decimals, ISO dates, local date-times."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "percent" and isinstance(value, (Decimal, int)):
        return _plain((Decimal(value) * 100).normalize() if value else Decimal(0)) + "%"
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, dt.datetime):
        return _local(value, tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _plain(Decimal(repr(value)))
    if isinstance(value, (list, tuple)):
        return ", ".join(text_value(v, "text", tz) for v in value)
    return str(value)


def json_value(value, kind: str = "text", tz=None):
    """A cell for JSON: Decimals as strings (exact), dates ISO, date-times ISO with offset."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, dt.datetime):
        return _local(value, tz).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return text_value(value, kind, tz)


def to_json(table: ReportTable, locale: str = "zh", tz=None) -> dict:
    tz = tz or tenant_tz()
    return {
        "title": table.title,
        "subtitle": table.subtitle,
        "notes": list(table.notes),
        "columns": [{"key": c.key, "title": c.title(locale), "title_zh": c.title_zh, "title_en": c.title_en,
                     "kind": c.kind} for c in table.columns],
        "rows": [{c.key: json_value(row.get(c.key), c.kind, tz) for c in table.columns} for row in table.rows],
    }


# -- CSV -----------------------------------------------------------------------------------------


def to_csv(table: ReportTable, locale: str = "zh", tz=None) -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, CRLF, header row of the column titles."""
    tz = tz or tenant_tz()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title(locale) for c in table.columns])
    for row in table.rows:
        writer.writerow([text_value(row.get(c.key), c.kind, tz) for c in table.columns])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# -- XLSX ----------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str) -> str:
    """An Excel sheet name: no ``[]:*?/\\``, not quoted, at most 31 characters, not empty."""
    name = _SHEET_FORBIDDEN.sub("_", title or "").strip().strip("'")[:31].strip()
    return name or "Report"


def display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _xlsx_value(value, kind: str, tz):
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return _local(value, tz).replace(tzinfo=None)
    if isinstance(value, (Decimal, int, dt.date)):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return text_value(value, kind, tz)


def to_xlsx(table: ReportTable, locale: str = "zh", tz=None) -> bytes:
    """The table as an XLSX workbook (one sheet): title and subtitle rows, a bold frozen header
    row with an auto-filter, typed cells with number formats, notes below the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    tz = tz or tenant_tz()
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(table.title)
    ncols = max(1, len(table.columns))
    row_no = 1
    ws.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=14)
    if ncols > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    if table.subtitle:
        row_no += 1
        ws.cell(row=row_no, column=1, value=table.subtitle).font = Font(italic=True, color="555555")
        if ncols > 1:
            ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=ncols)
    header = row_no + 1
    widths = [display_width(c.title(locale)) for c in table.columns]
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=header, column=i, value=column.title(locale))
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(table.rows, start=header + 1):
        for i, column in enumerate(table.columns, start=1):
            raw = row.get(column.key)
            value = _xlsx_value(raw, column.kind, tz)
            cell = ws.cell(row=r, column=i, value=value)
            if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                cell.number_format = NUMBER_FORMATS.get(column.kind, "0.00" if isinstance(value, Decimal) else "0")
            elif isinstance(value, dt.datetime):
                cell.number_format = NUMBER_FORMATS["datetime"]
            elif isinstance(value, dt.date):
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, str) and "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            shown = text_value(raw, column.kind, tz)
            if column.kind == "money" and shown:
                shown = "¥" + shown + "," * (len(shown.split(".")[0]) // 3)  # symbol and thousands commas
            longest = max((display_width(part) for part in shown.split("\n")), default=0)
            widths[i - 1] = max(widths[i - 1], longest)
    last = header + len(table.rows)
    for note in table.notes:
        last += 1
        ws.cell(row=last + 1, column=1, value=note).font = Font(color="555555")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    if table.columns:
        ws.auto_filter.ref = f"A{header}:{get_column_letter(ncols)}{max(header, header + len(table.rows))}"
    ws.print_title_rows = f"{header}:{header}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- downloads -----------------------------------------------------------------------------------

_FILENAME_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def period_text(report, request: ReportRequest, locale: str = "zh") -> str:
    """The period of a request as a label (``2026年第3季度``), or ``""``."""
    from .assessment.periods import period_label

    if request.run is not None:
        kind = _sheet_period_kind(request.run.sheet) or "month"
        return period_label(kind, request.run.period_start, locale)
    if request.period_start is not None and report.period_kind:
        return period_label(report.period_kind, request.period_start, locale)
    return ""


def filename(report, request: ReportRequest, ext: str) -> str:
    """``茶山社区季度考核排名_2026年第3季度.xlsx`` — the report's title and the period."""
    parts = [report.title(request.locale), period_text(report, request, request.locale)]
    if request.run is not None:
        parts.append(f"#{request.run.id}")
    stem = "_".join(p for p in parts if p)
    stem = _FILENAME_BAD.sub("_", stem).strip(" .") or "report"
    return f"{stem[:120]}.{ext}"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` fallback and the RFC 5987 ``filename*``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r'[^A-Za-z0-9._#-]+', "_", ascii_name).strip("_") or "report"
    if "." not in ascii_name and "." in name:
        ascii_name += "." + name.rsplit(".", 1)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def render(table: ReportTable, fmt: str, locale: str = "zh") -> bytes:
    if fmt == "csv":
        return to_csv(table, locale)
    if fmt == "xlsx":
        return to_xlsx(table, locale)
    raise OperationError({"format": [f"one of {', '.join(FORMATS)}"]})


# -- the core's reports --------------------------------------------------------------------------


def _results(request: ReportRequest) -> list[AssessmentResult]:
    from sqlalchemy import select

    query = select(AssessmentResult).where(AssessmentResult.run_id == request.run.id)
    if request.subject_id is not None:
        query = query.where(AssessmentResult.subject_id == request.subject_id)
    return list(db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)))


def _sheet(request: ReportRequest):
    from .assessment.operations import sheets

    return sheets().get(request.run.sheet)


def grade_title(sheet, grade: str, locale: str) -> str:
    band = next((b for b in sheet.grade_bands if b.key == grade), None) if sheet else None
    return band.title(locale) if band else grade


def _subtitle(request: ReportRequest, sheet) -> str:
    from .assessment.periods import period_label

    period = period_label(sheet.period_kind, request.run.period_start, request.locale) if sheet else ""
    state = RUN_STATES.get(request.run.state, (request.run.state,) * 2)[1 if _en(request.locale) else 0]
    label = request.title("考核", "run")
    return f"{period} · {state} · {label} #{request.run.id}"


def _flag_text(values) -> str:
    out = []
    for value in values or []:
        if isinstance(value, dict):
            out.append(str(value.get("title_zh") or value.get("title") or value.get("key") or value))
        else:
            out.append(str(value))
    return "; ".join(out)


def build_ranking(request: ReportRequest) -> ReportTable:
    """core.ranking: rank, subject, total, grade, money, vetoes and flags of any run."""
    sheet = _sheet(request)
    rows = []
    for r in _results(request):
        rows.append({"rank": r.rank, "subject": r.subject_name or f"#{r.subject_id}", "total": r.total,
                     "grade": grade_title(sheet, r.grade, request.locale), "money": r.money,
                     "vetoes": _flag_text(r.vetoes), "flags": _flag_text(r.flags)})
    title = (sheet.title(request.locale) if sheet else request.run.sheet) + request.title("排名", " ranking")
    return ReportTable(title=title, subtitle=_subtitle(request, sheet), rows=rows, columns=[
        Column("rank", "名次", "Rank", "int"),
        Column("subject", "考核对象", "Subject"),
        Column("total", "总分", "Total", "decimal"),
        Column("grade", "等次", "Grade"),
        Column("money", "奖惩金额", "Money", "money"),
        Column("vetoes", "一票否决", "Vetoes"),
        Column("flags", "标记", "Flags"),
    ])


def _evidence_text(evidence: dict | None) -> tuple[str, str]:
    """(evidence ids, judged by) of one stored line item."""
    evidence = evidence or {}
    parts = []
    if evidence.get("event_ids"):
        parts.append("事件 " + ", ".join(f"#{i}" for i in evidence["event_ids"]))
    if evidence.get("case_ids"):
        parts.append("案件 " + ", ".join(f"#{i}" for i in evidence["case_ids"]))
    if evidence.get("note"):
        parts.append(str(evidence["note"]))
    judged = evidence.get("judged") or {}
    judged_by = ""
    if judged:
        judged_by = str(judged.get("entered_by") or judged.get("entered_by_name") or "")
        if judged.get("reason"):
            judged_by = f"{judged_by}: {judged['reason']}" if judged_by else str(judged["reason"])
    return "; ".join(parts), judged_by


CENT = Decimal("0.01")


def _dec(value) -> Decimal | None:
    """A stored decimal string as a Decimal with at least two places ("10" → 10.00), exact."""
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    return number.quantize(CENT) if number.as_tuple().exponent >= -2 else number


def build_sheet(request: ReportRequest) -> ReportTable:
    """core.sheet: every subject's line items with points, maximum, rule, money and evidence."""
    sheet = _sheet(request)
    rows = []
    for r in _results(request):
        for line in r.items or []:
            item = sheet.item(line.get("key")) if sheet else None
            evidence, judged_by = _evidence_text(line.get("evidence"))
            rows.append({"subject": r.subject_name or f"#{r.subject_id}",
                         "item": item.title(request.locale) if item else line.get("key"),
                         "points": _dec(line.get("points")), "max_points": _dec(line.get("max_points")),
                         "rule": line.get("rule") or "", "money": _dec(line.get("money")),
                         "evidence": evidence, "judged_by": judged_by})
    title = (sheet.title(request.locale) if sheet else request.run.sheet) + request.title("评分明细", " score sheets")
    return ReportTable(title=title, subtitle=_subtitle(request, sheet), rows=rows, columns=[
        Column("subject", "考核对象", "Subject"),
        Column("item", "考核项目", "Item"),
        Column("points", "得分", "Points", "decimal"),
        Column("max_points", "满分", "Maximum", "decimal"),
        Column("rule", "计分规则", "Rule"),
        Column("money", "金额", "Money", "money"),
        Column("evidence", "依据", "Evidence"),
        Column("judged_by", "评分人", "Judged by"),
    ])


def core_reports() -> list:
    from .plugins import Report

    return [
        Report("ranking", "考核排名", "Assessment ranking", build_ranking, needs="run", published_readers=True,
               description="Rank, subject, total, grade, money, vetoes and flags of any run."),
        Report("sheet", "考核评分明细", "Assessment score sheets", build_sheet, needs="run",
               description="Every subject's line items with points, rule, money and evidence."),
    ]
