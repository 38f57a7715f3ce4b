"""Satisfaction surveys (满意度测评): create a survey, issue its one-time tokens, take a vote.

**Sampling.** A survey covers the subtree of one grid. With ``place_kind`` (a household-like
register kind such as ``family_planning.household``) it samples up to ``per_grid`` places of that
kind in every grid of the subtree (all of them without ``per_grid``), one token per household.
Without ``place_kind`` it issues ``per_grid`` anonymous tokens for every leaf grid (a grid with
no grid below it), for households the grid worker picks on the spot.

**Tokens.** A token is ``HMAC-SHA256(SECRET_KEY, salt)`` cut to 120 bits (20 URL-safe
characters); the row keeps the random salt and the token's SHA-256, never the token. The
database alone therefore gives no link away, while the console can print the list of links again
(:func:`links`) as long as ``SECRET_KEY`` stays the same — a new secret leaves the issued links
valid but no longer printable.

**One vote per token.** :func:`cast_vote` claims the token with a conditional UPDATE (``used_at
IS NULL``), which makes a concurrent second submission wait for the first and then find the
token used; the vote event carries the idempotency key ``survey-vote:<token id>``, unique per
tenant, so even a path around the claim cannot store a second vote. Either way the second
submission is refused and stores nothing. Operations flush; the caller commits.
"""
from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import re
import secrets
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Event, Grid, Place, Tenant
from ..models.base import utcnow
from ..models.surveys import ANSWERS, DEFAULT_QUESTION, Survey, SurveyToken
from ..operations import audit, events
from ..operations.common import get, ref
from ..operations.errors import Conflict, OperationError
from ..operations.grids import subtree_ids
from ..operations.tenants import registry
from ..tenancy import current_tenant_id, platform_scope

VOTE_TYPE = "core.survey_vote"
MAX_TOKENS = 5000
MAX_PER_GRID = 1000
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20}$")
EDITABLE = ("title", "question", "starts_on", "ends_on")
# Why a token cannot vote now; the public page words each one for the resident.
REFUSALS = ("unknown", "used", "not_started", "ended", "closed")


class VoteRefused(OperationError):
    """A vote that cannot be taken: ``reason`` is one of :data:`REFUSALS`."""

    status = 409

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__({"token": [reason]})


# -- tokens -------------------------------------------------------------------------------------

def _derive(salt: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, b"gridgov-survey-token:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:15]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(survey: Survey, grid_id: int, place_id: int | None) -> SurveyToken:
    salt = secrets.token_hex(16)
    return SurveyToken(survey_id=survey.id, grid_id=grid_id, place_id=place_id, salt=salt,
                       token_hash=token_hash(_derive(salt)))


def links(survey: Survey) -> list[tuple[SurveyToken, Grid, Place | None, str]]:
    """Every token of ``survey`` with its grid, household and plain token, in tree order."""
    rows = db.session.execute(
        select(SurveyToken, Grid, Place).join(Grid, Grid.id == SurveyToken.grid_id)
        .outerjoin(Place, Place.id == SurveyToken.place_id)
        .where(SurveyToken.survey_id == survey.id).order_by(Grid.path, Place.code, SurveyToken.id)).all()
    return [(token, grid, place, _derive(token.salt)) for token, grid, place in rows]


def tenant_of_token(token: str) -> int | None:
    """The tenant a plain token belongs to (looked up across tenants), or None."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    with platform_scope():
        return db.session.scalar(select(SurveyToken.tenant_id).where(SurveyToken.token_hash == token_hash(token)).limit(1))


def find_token(token: str) -> SurveyToken:
    """The current tenant's token row for a plain token; refused as ``unknown`` otherwise."""
    row = None
    if isinstance(token, str) and TOKEN_RE.match(token):
        row = db.session.scalar(select(SurveyToken).where(SurveyToken.token_hash == token_hash(token)))
    if row is None:
        raise VoteRefused("unknown")
    return row


# -- surveys ------------------------------------------------------------------------------------

def _tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


def local_today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(_tenant().timezone)).date()


def _text(value, field: str, max_len: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        raise OperationError({field: ["must be text"]})
    value = value.strip()
    if required and not value:
        raise OperationError({field: ["required"]})
    if len(value) > max_len:
        raise OperationError({field: [f"at most {max_len} characters"]})
    return value


def _date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime) or value is None:
        raise OperationError({field: ["required: a date (YYYY-MM-DD)"]})
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise OperationError({field: ["not a date (YYYY-MM-DD)"]})


def _period(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise OperationError({"ends_on": ["must not be before starts_on"]})


def _per_grid(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PER_GRID:
        raise OperationError({"per_grid": [f"a whole number from 1 to {MAX_PER_GRID}"]})
    return value


def _sample(grid: Grid, place_kind: str | None, per_grid: int | None) -> list[tuple[int, int | None]]:
    """(grid id, place id or None) for every token to issue (see the module docstring)."""
    if place_kind is None:
        if per_grid is None:
            raise OperationError({"per_grid": ["required when no place kind is sampled"]})
        child = aliased(Grid)
        leaves = db.session.scalars(select(Grid.id).where(Grid.id.in_(subtree_ids(grid)),
                                                          ~exists().where(child.parent_id == Grid.id)).order_by(Grid.path))
        return [(leaf, None) for leaf in leaves for _ in range(per_grid)]
    households = collections.defaultdict(list)
    for place_id, grid_id in db.session.execute(select(Place.id, Place.grid_id).where(
            Place.kind == place_kind, Place.grid_id.in_(subtree_ids(grid))).order_by(Place.id)):
        households[grid_id].append(place_id)
    if not households:
        raise OperationError({"place_kind": [f"no place of kind {place_kind} in grid {grid.code} or below it"]})
    rng = secrets.SystemRandom()
    chosen = []
    for grid_id, ids in households.items():
        picked = rng.sample(ids, per_grid) if per_grid is not None and len(ids) > per_grid else ids
        chosen.extend((grid_id, place_id) for place_id in sorted(picked))
    return chosen


def create_survey(*, title: str, grid_id: int, starts_on, ends_on, question: str | None = None,
                  place_kind: str | None = None, per_grid: int | None = None, actor=None) -> Survey:
    """Create a survey and issue its tokens (at most :data:`MAX_TOKENS`)."""
    title = _text(title, "title", 200, required=True)
    question = _text(question, "question", 1000) or DEFAULT_QUESTION
    grid = ref(Grid, grid_id, "grid_id")
    if grid is None:
        raise OperationError({"grid_id": ["required"]})
    starts_on, ends_on = _date(starts_on, "starts_on"), _date(ends_on, "ends_on")
    _period(starts_on, ends_on)
    place_kind = place_kind or None
    if place_kind is not None and place_kind not in registry().for_tenant(_tenant()).place_kinds:
        raise OperationError({"place_kind": [f"unknown place kind {place_kind!r} for this tenant"]})
    per_grid = _per_grid(per_grid)
    sample = _sample(grid, place_kind, per_grid)
    if not sample:
        raise OperationError({"grid_id": [f"grid {grid.code} has nothing to sample"]})
    if len(sample) > MAX_TOKENS:
        raise OperationError({"per_grid": [f"would issue {len(sample)} tokens; at most {MAX_TOKENS} per survey"]})
    survey = Survey(title=title, grid_id=grid.id, starts_on=starts_on, ends_on=ends_on, question=question,
                    status="open", place_kind=place_kind, per_grid=per_grid, created_by_id=getattr(actor, "id", None))
    db.session.add(survey)
    db.session.flush()
    db.session.add_all([_new_token(survey, g, p) for g, p in sample])
    db.session.flush()
    audit.record("create", survey, changes={"title": title, "grid_id": grid.id, "starts_on": starts_on,
                                            "ends_on": ends_on, "place_kind": place_kind, "per_grid": per_grid,
                                            "tokens": len(sample)})
    return survey


def get_survey(survey_id) -> Survey:
    return get(Survey, survey_id, "survey")


def update_survey(survey: Survey, **changes) -> Survey:
    """Change the title, question or period; the grid and the tokens stay as issued."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise OperationError({f: ["cannot be changed" if f in ("grid_id", "place_kind", "per_grid") else "unknown field"]
                              for f in sorted(unknown)})
    before = audit.snapshot(survey, changes)
    if "title" in changes:
        survey.title = _text(changes["title"], "title", 200, required=True)
    if "question" in changes:
        survey.question = _text(changes["question"], "question", 1000) or DEFAULT_QUESTION
    starts_on = _date(changes["starts_on"], "starts_on") if "starts_on" in changes else survey.starts_on
    ends_on = _date(changes["ends_on"], "ends_on") if "ends_on" in changes else survey.ends_on
    _period(starts_on, ends_on)
    survey.starts_on, survey.ends_on = starts_on, ends_on
    db.session.flush()
    diff = audit.diff(before, audit.snapshot(survey, changes))
    if diff:
        audit.record("update", survey, changes=diff)
    return survey


def close_survey(survey: Survey) -> Survey:
    """End a survey before its last day: its links no longer take votes."""
    if survey.status == "closed":
        raise Conflict({"status": [f"survey {survey.id} is closed already"]})
    survey.status, survey.closed_at = "closed", utcnow()
    db.session.flush()
    audit.record("close", survey, changes={"status": ["open", "closed"]})
    return survey


# -- votes --------------------------------------------------------------------------------------

def refusal(token: SurveyToken, today: dt.date | None = None) -> str | None:
    """Why ``token`` cannot vote today (a key of :data:`REFUSALS`), or None."""
    survey = token.survey
    today = today or local_today()
    if token.used_at is not None:
        return "used"
    if survey.status == "closed":
        return "closed"
    if today < survey.starts_on:
        return "not_started"
    if today > survey.ends_on:
        return "ended"
    return None


def cast_vote(token: SurveyToken, answer: str, comment: str = "") -> Event:
    """Record the token's one vote as a ``core.survey_vote`` event in the token's grid."""
    reason = refusal(token)
    if reason:
        raise VoteRefused(reason)
    if answer not in ANSWERS:
        raise OperationError({"answer": [f"one of {', '.join(ANSWERS)}"]})
    comment = _text(comment, "comment", 500)
    now = utcnow()
    claimed = db.session.execute(update(SurveyToken).where(SurveyToken.id == token.id, SurveyToken.used_at.is_(None))
                                 .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise VoteRefused("used")
    try:
        with db.session.begin_nested():
            event, replayed = events.record({
                "type": VOTE_TYPE, "occurred_at": now.isoformat(), "grid_id": token.grid_id,
                "payload": {"survey_id": token.survey_id, "answer": answer, "comment": comment},
                "idempotency_key": f"survey-vote:{token.id}"})
    except IntegrityError:
        raise VoteRefused("used")
    except OperationError as exc:
        if "idempotency_key" in exc.errors:
            raise VoteRefused("used")
        raise
    if replayed:
        raise VoteRefused("used")
    db.session.execute(update(SurveyToken).where(SurveyToken.id == token.id).values(event_id=event.id)
                       .execution_options(synchronize_session=False))
    return event
