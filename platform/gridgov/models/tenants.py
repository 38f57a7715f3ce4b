"""Tenants, logins, memberships and API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow

# Roles a login can hold in a tenant (租户角色). Plugins define the *staff* roles of assignments;
# these are what a login may do in the system.
TENANT_ROLES = {
    "tenant_admin": ("租户管理员", "Tenant administrator"),
    "assessor": ("考核员", "Assessor"),
    "supervisor": ("督查员", "Supervisor"),
    "field_staff": ("网格员", "Field staff"),
    "viewer": ("查看者", "Viewer"),
}
WRITE_ROLES = {"tenant_admin"}
EVENT_WRITE_ROLES = {"tenant_admin", "assessor", "supervisor", "field_staff"}


class Tenant(db.Model):
    """A district, county bureau or fire brigade running its own grid management (租户)."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans")
    enabled_plugins: Mapped[list] = mapped_column(JSONDoc, default=list)
    # {plugin name: settings as dumped by the plugin's settings schema}
    settings: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class User(UserMixin, db.Model):
    """A login. It belongs to tenants through memberships; platform admins manage tenants."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(TenantOwned, db.Model):
    """A login's role in one tenant."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    user: Mapped[User] = relationship(lazy="joined")
    tenant: Mapped[Tenant] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant.slug}: {self.role}"


class ApiToken(db.Model):
    """A bearer token for API clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        """Create a token; the plain value is returned once and never stored."""
        plain = "ggv_" + secrets.token_urlsafe(32)
        return cls(user=user, name=name, token_hash=cls.hash(plain)), plain


class LoginAttempt(db.Model):
    """Failed console logins, for the audit trail (the rate limit itself is Flask-Limiter's)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
