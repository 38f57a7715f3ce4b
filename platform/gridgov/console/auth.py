"""Console login and logout (登录/退出).

Flask-Login keeps the session, Flask-WTF the form and its CSRF token, Flask-Limiter the rate
limit. Only *failed* attempts count against the limit (``GRIDGOV_LOGIN_LIMIT``, default
"10 per 5 minutes"), once per remote address and once per username, so neither spraying one
password over many accounts nor guessing one account from many addresses gets far. Every
attempt — succeeded, failed or refused by the limit — is kept in ``LoginAttempt`` and the
audit log.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from ..extensions import db, limiter, login_manager
from ..models import LoginAttempt, User
from ..operations import audit
from ..tenancy import platform_scope
from .context import SESSION_KEY

bp = Blueprint("console_auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])


@login_manager.user_loader
def load_user(user_id: str):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def _attempted_username() -> str:
    return (request.form.get("username") or "").strip()[:80]


def _username_key() -> str:
    return "login-user:" + _attempted_username().lower()


def _login_limit() -> str:
    return current_app.config.get("GRIDGOV_LOGIN_LIMIT") or "10 per 5 minutes"


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _record(outcome: str, user: User | None = None) -> None:
    """Keep one attempt in ``login_attempts`` and the audit log, and commit it."""
    username = _attempted_username()
    db.session.add(LoginAttempt(username=username, remote_addr=(request.remote_addr or "")[:64],
                                succeeded=outcome == "login"))
    with platform_scope():
        audit.record(outcome, object_type="User", object_id=user.id if user else None, tenant_id=None,
                     changes={"username": username})
        db.session.commit()


def _limited(request_limit) -> None:
    """Flask-Limiter's on_breach: the refused attempt is recorded too."""
    _record("login_limited")


_limit_args = dict(methods=["POST"], deduct_when=_failed, on_breach=_limited)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, **_limit_args)
@limiter.limit(_login_limit, key_func=_username_key, **_limit_args)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("admin.index"))
    form = LoginForm()
    failed = False
    if request.method == "POST":
        user = None
        if form.validate():
            user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.is_active and user.check_password(form.password.data):
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            _record("login", user)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = failed = True
        _record("login_failed", user)
    return render_template("console/login.html", form=form, failed=failed)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    if request.method == "POST":
        with platform_scope():
            audit.record("logout", current_user._get_current_object(), tenant_id=None)
            db.session.commit()
        logout_user()
        session.pop(SESSION_KEY, None)
        return redirect(url_for("console_auth.login"))
    return render_template("console/logout.html")


@bp.errorhandler(429)
def too_many_attempts(exc):
    return render_template("console/rate_limited.html", limit=getattr(exc, "description", "")), 429


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL an attacker could plant in ``next``."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


def init_app(app) -> None:
    app.register_blueprint(bp)
    login_manager.login_view = "console_auth.login"
    login_manager.login_message = _l("Please log in to use the console.")
