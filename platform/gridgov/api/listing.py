"""Page-numbered lists of a tenant's rows (the tenancy criteria scope both queries)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db

PAGING = ("page", "page_size")


def equal_filters(model, args: dict) -> list:
    """``column == value`` for every query argument other than the paging ones."""
    return [getattr(model, name) == value for name, value in args.items() if name not in PAGING]


def page(model, args: dict, conditions=(), order_by=None) -> dict:
    conditions = list(conditions)
    total = db.session.scalar(select(func.count()).select_from(model).where(*conditions))
    size, number = args["page_size"], args["page"]
    query = select(model).where(*conditions).order_by(*(order_by or [model.id]))
    items = db.session.scalars(query.limit(size).offset((number - 1) * size)).all()
    return {"items": items, "total": total, "page": number, "page_size": size}
