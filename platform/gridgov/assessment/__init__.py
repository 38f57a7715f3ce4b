"""The assessment engine (考核引擎): sheets declared by plugins, scored from facts counted in SQL.

A plugin declares :class:`gridgov.plugins.Sheet` objects (hook ``gridgov_assessment_sheets``).
A run (:class:`gridgov.models.assessment.AssessmentRun`) takes one sheet, one period and its
subjects through draft → computed → published:

* :mod:`.operations` — ``create_run``, ``compute`` (queues :func:`.operations.compute_job` on
  :func:`gridgov.jobs.enqueue`), ``publish``, ``correct`` (a new run that supersedes a
  published one), ``get_run``, ``list_runs``, ``superseded_by``, ``default_subjects``;
* :mod:`.facts` — :class:`Facts`, what a scoring function reads, every answer one grouped SQL
  query over all subjects and logged into the run's fingerprint: event counts per subject, local
  day and half-day (``count`` → :class:`Tally`), sums of a numeric payload field (``sum`` →
  :class:`Total`), the working days of the period or of any window (``working_days``),
  satisfaction survey counts (``satisfaction``/``satisfaction_by_subject`` →
  :class:`Satisfaction`), members of grids and units (``members``/``members_by_subject``),
  units attached to grids (``attached_units``), register entries per subject subtree
  (``places`` → :class:`Register`), case metrics (``disposal_by_subject`` → :class:`Disposal`
  for every subject at once), judged inputs (also of a month inside a longer
  period) and other sheets' published results;
* :mod:`.scoring` — what a scoring function returns (:class:`SubjectScore`,
  :class:`ItemScore`, :class:`Evidence`, :class:`Award`), the rounding rules, and the
  engine's totals, grades and ranks; a sheet's ``awards`` sees each subject's
  :class:`Standing` with its flags, line money and the ``context`` its SubjectScore carried;
* :mod:`.judging` — ``enter_judgement`` with range checks and recusal (回避);
* :mod:`.access` — confidentiality (保密 until published, then each subject its own sheet and
  the ranking);
* :mod:`.periods` — month, half-month, quarter and year periods.
"""
from decimal import Decimal

from marshmallow import ValidationError, fields

from ..plugins import DEFAULT_GRADE_BANDS
from .facts import Disposal, Facts, PublishedResult, Register, Satisfaction, Tally, Total
from .scoring import (Award, Evidence, ItemScore, JudgedEntry, Standing, SubjectScore, round_money, round_points,
                      shortfall_steps)

__all__ = ["Award", "Disposal", "Evidence", "Facts", "ItemScore", "JudgedEntry", "PublishedResult", "Register",
           "Satisfaction", "Standing", "SubjectScore", "Tally", "Total",
           "grade_bands_field", "round_money", "round_points", "shortfall_steps"]


def grade_bands_field(bands=DEFAULT_GRADE_BANDS) -> fields.Dict:
    """A settings field for grade thresholds, {band key: minimum total}, defaulting to ``bands``.

    Put it in a plugin's settings schema as ``grade_bands = grade_bands_field()`` (the name a
    :class:`gridgov.plugins.Sheet` reads by default, see ``Sheet.bands_setting``). A document
    naming an unknown band, or whose thresholds do not fall from the best band down, is refused."""
    graded = [b.key for b in bands if b.minimum is not None]
    default = {b.key: b.minimum for b in bands if b.minimum is not None}

    def check(value: dict) -> None:
        unknown = sorted(set(value) - set(graded))
        if unknown:
            raise ValidationError(f"unknown grade band(s) {', '.join(unknown)}; bands: {', '.join(graded)}")
        merged = [Decimal({**default, **value}[key]) for key in graded]
        if any(higher <= lower for higher, lower in zip(merged, merged[1:])):
            raise ValidationError(f"thresholds must fall from {graded[0]} down to {graded[-1]}")

    return fields.Dict(keys=fields.String(), values=fields.Decimal(places=2), load_default=lambda: dict(default),
                       validate=check, metadata={"title_zh": "等次分数线", "title_en": "Grade thresholds"})
