"""Tenant isolation: the one mechanism.

Every tenant-owned model inherits :class:`TenantOwned`. Every ORM statement that touches such a
model is filtered by ``tenant_id`` of the *current tenant scope*, added here in one
``do_orm_execute`` listener with ``with_loader_criteria`` — views, the API, the console, the
CLI and jobs never add the filter by hand. A new row is stamped with the current tenant before
flush, and a flush that would write a row of another tenant is refused.

The scope is explicit. Code runs in one of three states:

* ``tenant_scope(tenant_id)`` — the normal case: one tenant's rows only;
* ``platform_scope()`` — a platform administrator, a migration or the demo loader: all rows;
* no scope at all — any query on a tenant-owned table raises :class:`TenantScopeError`, so a
  forgotten scope fails loudly instead of leaking every tenant's data.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from sqlalchemy import ForeignKey, event
from sqlalchemy.sql import util as sql_util
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria

_ALL = object()
_scope: contextvars.ContextVar[object | int | None] = contextvars.ContextVar("gridgov_tenant_scope", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched outside any tenant scope, or across tenants."""


class TenantOwned:
    """Mixin for every row that belongs to one tenant.

    A model may set ``__tenant_optional__ = True`` (the audit log) to allow rows written under
    platform scope with no tenant; a tenant scope still sees only its own rows.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def current_tenant_id() -> int | None:
    """The tenant in scope, or None under ``platform_scope`` (raises when no scope is set)."""
    value = _scope.get()
    if value is None:
        raise TenantScopeError("no tenant scope is set")
    return None if value is _ALL else value  # type: ignore[return-value]


def scope_is_set() -> bool:
    return _scope.get() is not None


@contextlib.contextmanager
def tenant_scope(tenant_id: int) -> Iterator[None]:
    token = _scope.set(int(tenant_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def platform_scope() -> Iterator[None]:
    token = _scope.set(_ALL)
    try:
        yield
    finally:
        _scope.reset(token)


def set_request_scope(tenant_id: int | None) -> None:
    """Set the scope for the rest of a request (cleared by :func:`clear_scope` at teardown)."""
    _scope.set(_ALL if tenant_id is None else int(tenant_id))


def clear_scope() -> None:
    _scope.set(None)


def _tenant_tables() -> set:
    from .extensions import db

    return {t for t in db.metadata.tables.values() if "tenant_id" in t.c}


def _touches_tenant_owned(statement) -> bool:
    tables = _tenant_tables()
    return any(t in tables for t in sql_util.find_tables(statement, include_joins=True, include_aliases=True))


def _check_insert(state, value) -> None:
    """Bulk inserts bypass the flush hook: check their rows here."""
    if not _touches_tenant_owned(state.statement):
        return
    if value is None:
        raise TenantScopeError("insert into a tenant-owned table outside a tenant scope")
    if value is _ALL:
        return
    params = state.parameters
    rows = params if isinstance(params, (list, tuple)) else [params or {}]
    for row in rows:
        if row.get("tenant_id") != value:
            raise TenantScopeError("bulk insert of a row of another tenant")


def install(session_class=Session) -> None:
    """Register the listeners on the session class (idempotent)."""
    if event.contains(session_class, "do_orm_execute", _add_tenant_criteria):
        return
    event.listen(session_class, "do_orm_execute", _add_tenant_criteria)
    event.listen(session_class, "before_flush", _stamp_and_check)


def _add_tenant_criteria(state) -> None:
    value = _scope.get()
    if state.is_insert:
        _check_insert(state, value)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if value is _ALL:
        return
    if value is None:
        if state.is_select and not state.is_relationship_load and not _touches_tenant_owned(state.statement):
            return
        if state.is_relationship_load:
            # lazy loads of a row already loaded under a scope that has since ended
            raise TenantScopeError("relationship load outside a tenant scope")
        raise TenantScopeError("query on a tenant-owned table outside a tenant scope")
    if not state.is_orm_statement and _touches_tenant_owned(state.statement):
        # with_loader_criteria filters ORM entities only: a statement built on Table objects
        # would read every tenant's rows, so it is refused rather than silently unscoped.
        raise TenantScopeError("query tenant-owned tables through their ORM entities, not Table objects")
    tenant_id = value
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
            track_closure_variables=False,
        )
    )


def _stamp_and_check(session, flush_context, instances) -> None:
    value = _scope.get()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if value is None:
            raise TenantScopeError(f"write of {type(obj).__name__} outside a tenant scope")
        if value is _ALL:
            if obj.tenant_id is None and not getattr(obj, "__tenant_optional__", False):
                raise TenantScopeError(f"{type(obj).__name__} has no tenant under platform scope")
            continue
        if obj.tenant_id is None and obj in session.new:
            obj.tenant_id = value
        elif obj.tenant_id != value:
            raise TenantScopeError(f"write of {type(obj).__name__} of another tenant")
