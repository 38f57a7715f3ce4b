"""Satisfaction surveys (满意度测评): one-time links for sampled households, votes as events,
and the satisfaction rate by grid, community and period.

The tenant administrator creates a survey in the console (:mod:`gridgov.console.surveys`) and
prints its links; a resident answers at ``/s/<token>`` (:mod:`.public`) without logging in;
each vote is a ``core.survey_vote`` event in the household's grid. Plugins read the rate with
:func:`satisfaction_rate` (茶山 item 8, 站前 item 2). The rules are in :mod:`.operations`
(sampling, tokens, one vote per token) and :mod:`.rates` (what the rates count).
"""
from __future__ import annotations

from flask import Flask

from .rates import SatisfactionCounts, counts_by_grid, satisfaction_rate

__all__ = ["SatisfactionCounts", "counts_by_grid", "init_app", "satisfaction_rate"]


def init_app(app: Flask) -> None:
    from .public import bp

    app.register_blueprint(bp)
