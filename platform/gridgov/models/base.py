"""Shared column types and helpers for the models."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant, stored in UTC on every backend (SQLite has no zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: instants must carry a time zone")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


# JSON documents: JSONB on PostgreSQL, JSON text elsewhere. Decimals are kept as strings.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")

# Materialised paths compare byte-wise so that a subtree is one index range scan.
PathString = String(400).with_variant(String(400, collation="C"), "postgresql")


def json_default(value):
    """``json.dumps`` default for Decimal and dates in payloads and audit records."""
    import decimal

    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json_safe(value):
    return json.loads(json.dumps(value, default=json_default))
