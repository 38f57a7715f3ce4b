"""The resident's page: ``/s/<token>``, a plain mobile page without login.

GET shows the question and three large buttons (满意 / 基本满意 / 不满意) with an optional
comment; POST (a CSRF-protected form, rate-limited per client address with
``GRIDGOV_SURVEY_VOTE_LIMIT``) records the vote. A link that cannot vote is answered with a
message and a status: 404 unknown, 409 used already, 403 not yet open, 410 ended or closed.
The token names its tenant; the tenancy scope is set from it before anything else is read.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import format_date
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .. import tenancy
from ..console.helpers import is_english
from ..extensions import db, limiter
from ..models.surveys import ANSWERS
from . import operations
from .operations import VoteRefused

bp = Blueprint("surveys", __name__)
STATUS = {"unknown": 404, "used": 409, "not_started": 403, "ended": 410, "closed": 410}


class VoteForm(FlaskForm):
    answer = RadioField(choices=list(ANSWERS), validators=[InputRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=500)])


def _vote_limit() -> str:
    return current_app.config.get("GRIDGOV_SURVEY_VOTE_LIMIT") or "30 per minute"


def _answers() -> list[tuple[str, str]]:
    return [(key, en if is_english() else zh) for key, (zh, en) in ANSWERS.items()]


def _message(reason: str, survey=None):
    period = None
    if survey is not None:
        period = (format_date(survey.starts_on, "long"), format_date(survey.ends_on, "long"))
    return render_template("surveys/message.html", reason=reason, survey=survey, period=period), STATUS[reason]


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(_vote_limit, methods=["POST"])
def vote(token: str):
    tenant_id = operations.tenant_of_token(token)
    if tenant_id is None:
        return _message("unknown")
    tenancy.set_request_scope(tenant_id)
    row = operations.find_token(token)
    survey = row.survey
    reason = operations.refusal(row)
    if reason:
        return _message(reason, survey)
    form = VoteForm()
    if form.validate_on_submit():
        try:
            operations.cast_vote(row, form.answer.data, form.comment.data or "")
            db.session.commit()
        except VoteRefused as exc:
            db.session.rollback()
            return _message(exc.reason, survey)
        return render_template("surveys/message.html", reason="thanks", survey=survey, period=None)
    status = 400 if form.is_submitted() else 200
    return render_template("surveys/vote.html", form=form, survey=survey, answers=_answers()), status


@bp.errorhandler(CSRFError)
def _expired(error: CSRFError):
    """The form's CSRF token is missing or has expired (the page was open too long)."""
    return render_template("surveys/message.html", reason="expired", survey=None, period=None), 400
