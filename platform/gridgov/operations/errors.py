"""Errors an operation raises; the API turns them into JSON 4xx, the console into form messages."""
from __future__ import annotations


class OperationError(Exception):
    """Bad input. ``errors`` maps a field (dotted for nested ones) to a list of reasons."""

    status = 422

    def __init__(self, errors: dict | str, status: int | None = None):
        if isinstance(errors, str):
            errors = {"_schema": [errors]}
        self.errors = errors
        if status is not None:
            self.status = status
        super().__init__(self.summary())

    def summary(self) -> str:
        parts = []
        for field, reasons in self.errors.items():
            parts.append(f"{field}: {reasons}")
        return "; ".join(parts)


class NotFound(OperationError):
    status = 404

    def __init__(self, what: str):
        super().__init__({"_schema": [f"{what} not found"]})


class Conflict(OperationError):
    status = 409


class Forbidden(OperationError):
    status = 403
