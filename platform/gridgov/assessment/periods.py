"""Assessment periods: calendar months, half-months (1st–15th, 16th–end), quarters and years.

A period is the half-open range of local dates ``[start, end)`` in the tenant's time zone; a
run names it by its first day, which must be where a period of the sheet's kind begins.
"""
from __future__ import annotations

import datetime as dt

from ..operations.errors import OperationError


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_bounds(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """``(start, end)`` of the period of ``kind`` beginning on ``start`` (end exclusive);
    an OperationError on ``period_start`` when no such period begins that day."""
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise OperationError({"period_start": ["a date (YYYY-MM-DD)"]})
    if kind == "month" and start.day == 1:
        return start, _add_months(start, 1)
    if kind == "half_month" and start.day in (1, 16):
        return (start, start.replace(day=16)) if start.day == 1 else (start, _add_months(start, 1))
    if kind == "quarter" and start.day == 1 and start.month in (1, 4, 7, 10):
        return start, _add_months(start, 3)
    if kind == "year" and (start.month, start.day) == (1, 1):
        return start, start.replace(year=start.year + 1)
    starts = {"month": "the 1st of a month", "half_month": "the 1st or the 16th of a month",
              "quarter": "1 January, 1 April, 1 July or 1 October", "year": "1 January"}
    raise OperationError({"period_start": [f"a {kind.replace('_', '-')} period begins on {starts[kind]}"]})


def parse_period_start(value) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise OperationError({"period_start": ["a date (YYYY-MM-DD)"]})


def period_label(kind: str, start: dt.date, locale: str = "zh") -> str:
    """``2026年第3季度`` / ``2026 Q3``, ``2026年11月上半月`` / ``2026-11 first half`` ..."""
    en = str(locale).startswith("en")
    if kind == "year":
        return f"{start.year}" if en else f"{start.year}年"
    if kind == "quarter":
        q = (start.month - 1) // 3 + 1
        return f"{start.year} Q{q}" if en else f"{start.year}年第{q}季度"
    month = f"{start.year}-{start.month:02d}" if en else f"{start.year}年{start.month}月"
    if kind == "half_month":
        first = start.day == 1
        return f"{month} {'first' if first else 'second'} half" if en else f"{month}{'上' if first else '下'}半月"
    return month
