"""The monthly assessment window (每月二十五至三十日进行考核): the console reminds the general
office from the 25th that the month's sheets are to be assessed, and flags a month whose sheets
are not all published by the 30th (settings ``assessment_window_start`` / ``_end``).

The core asks every enabled plugin for its notices on each console page a tenant administrator
or assessor opens (hook ``gridgov_console_notices``); :func:`notices` answers with one query per
sheet and month checked — this month from the window's first day, and the month before.
"""
from __future__ import annotations

import datetime as dt

from gridgov.assessment.operations import current_published_runs
from gridgov.operations.tenants import get_settings
from gridgov.plugins import Notice

from .sheets import SHEETS, assessment_window

NS = "mengjin_fees."


def _next_month(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def unpublished(month: dt.date) -> list:
    """The sheets of ``month`` without a published run."""
    return [s for s in SHEETS if not current_published_runs(NS + s.key, month, _next_month(month))]


def _names(sheets, en: bool) -> str:
    return (", " if en else "、").join(s.title_en if en else s.title_zh for s in sheets)


def notices(tenant, today: dt.date) -> list[Notice]:
    settings = get_settings(tenant, "mengjin_fees")
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    out = []
    missing = unpublished(last_month)
    if missing:
        _, closed = assessment_window(settings, last_month)
        out.append(_overdue(last_month, closed, missing))
    first, last = assessment_window(settings, this_month)
    if today >= first:
        missing = unpublished(this_month)
        if missing and today > last:
            out.append(_overdue(this_month, last, missing))
        elif missing:
            out.append(Notice(
                "mengjin_fees.assessment_window", "info",
                f"{this_month.month}月考核时间：{first.month}月{first.day}日至{last.day}日。尚未公布：{_names(missing, False)}。",
                f"Monthly assessment of {this_month:%Y-%m} due {first.isoformat()} to {last.isoformat()}; "
                f"not yet published: {_names(missing, True)}."))
    return out


def _overdue(month: dt.date, closed: dt.date, missing) -> Notice:
    return Notice(
        "mengjin_fees.assessment_overdue", "warning",
        f"{month.year}年{month.month}月考核未在{closed.month}月{closed.day}日前完成：{_names(missing, False)}尚未公布。",
        f"The assessment of {month:%Y-%m} was not done by {closed.isoformat()}: {_names(missing, True)} not published.")
