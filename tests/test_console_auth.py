"""Console login, logout, the rate limit on failed logins, and CSRF."""
from __future__ import annotations

import pytest
from console_support import PASSWORD, Console
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import AuditEntry, LoginAttempt
from gridgov.tenancy import platform_scope


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_LOGIN_LIMIT": "3 per 5 minutes"}


@pytest.fixture
def console(client):
    return Console(client)


@pytest.fixture
def alice(factory):
    tenant = factory.tenant("alpha", name="Alpha")
    factory.user("alice", tenant=tenant)
    return tenant


def attempts(app):
    with app.app_context():
        return [(a.username, a.succeeded) for a in db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))]


def audit_actions(app):
    with app.app_context(), platform_scope():
        return [(e.action, e.changes.get("username")) for e in
                db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "User", AuditEntry.action.like("log%"))
                                   .order_by(AuditEntry.id))]


def test_anonymous_console_redirects_to_login(client):
    response = client.get("/admin/grids/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html and 'lang="zh-Hans"' in html


def test_login_success_records_attempt_and_audit(app, console, alice):
    response = console.login("alice", query_string={"next": "/admin/people/"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/people/"
    assert console.get("/admin/").status_code == 200
    assert attempts(app) == [("alice", True)]
    assert ("login", "alice") in audit_actions(app)


def test_login_follows_only_local_next(console, alice):
    response = console.client.post("/login?next=https://evil.example/", data={
        "username": "alice", "password": PASSWORD, "csrf_token": console.csrf("/login")})
    assert response.headers["Location"] == "/admin/"


def test_login_failure_shows_message_and_is_recorded(app, console, alice):
    response = console.login("alice", "wrong password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert console.get("/admin/").status_code == 302
    assert attempts(app) == [("alice", False)]
    assert audit_actions(app) == [("login_failed", "alice")]


def test_inactive_user_cannot_log_in(app, console, factory):
    factory.user("gone")
    with app.app_context(), platform_scope():
        from gridgov.models import User

        db.session.scalar(select(User).where(User.username == "gone")).active = False
        db.session.commit()
    assert console.login("gone").status_code == 200
    assert console.get("/admin/").status_code == 302


def test_repeated_failures_are_rate_limited(app, console, alice):
    for _ in range(3):
        assert console.login("alice", "wrong").status_code == 200
    response = console.login("alice", PASSWORD)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "登录失败次数过多" in html and "3 per 5 minute" in html
    assert console.get("/admin/").status_code == 302  # the right password did not get through
    assert attempts(app) == [("alice", False)] * 4
    assert audit_actions(app)[-1] == ("login_limited", "alice")


def test_rate_limit_counts_per_username_across_addresses(console, alice):
    for index in range(3):
        console.client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": console.csrf("/login")},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{index}"})
    response = console.client.post("/login", data={"username": "alice", "password": PASSWORD,
                                                   "csrf_token": console.csrf("/login")},
                                   environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429


def test_rate_limit_counts_per_address_across_usernames(console, alice):
    for name in ("x1", "x2", "x3"):
        console.login(name, "wrong")
    assert console.login("alice").status_code == 429


def test_successful_logins_do_not_count(console, alice):
    for _ in range(5):
        assert console.login("alice").status_code == 302
        console.post("/logout")
    assert console.login("alice").status_code == 302


def test_logout(app, console, alice):
    console.login("alice")
    assert "退出登录" in console.get("/logout").get_data(as_text=True)
    response = console.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert console.get("/admin/").status_code == 302
    assert ("logout", None) in audit_actions(app)


def test_post_without_csrf_token_is_refused(app, console, alice):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert console.client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 400
    console.login("alice")
    response = console.client.post("/admin/grids/new/", data={"code": "G1", "name": "Grid one"})
    assert response.status_code == 400
    assert console.client.post("/logout").status_code == 400
    assert console.get("/admin/").status_code == 200  # still logged in
