"""The economic household register (经济户口): enterprises (企业) and individual businesses
(个体工商户) per grid, graded by risk (风险度) and credit (信用度) for graded supervision
(分级分类监管), and the markets (商品交易市场) of the grids.

The core validates every register entry's ``attributes`` against the kind's schema here (on the
API, the console and the demo alike: ``gridgov.operations.registers``), so a household without a
registration number or with an unknown grade is refused with the field named.

:func:`register` reads the register of the grids a sheet's subjects answer for — attributes
included, which ``Facts.places`` (counts and ids) does not return — in one query, for sheet C's
register evidence; sheet A counts the households due for licence inspection with ``Facts.places``.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from marshmallow import Schema, fields, validate
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from gridgov.extensions import db
from gridgov.models import Grid, Place
from gridgov.models.grids import PATH_END
from gridgov.plugins import PlaceKind

RISK_GRADES = {"low": "低风险", "medium": "中风险", "high": "高风险"}
CREDIT_GRADES = {"A": "守信", "B": "基本守信", "C": "失信", "D": "严重失信"}
# 分级分类监管: how closely a household is supervised, from its two grades.
SUPERVISION_LEVELS = {"key": "重点监管", "regular": "常规监管", "light": "简化监管"}
HOUSEHOLD_KINDS = ("mengjin_fees.enterprise", "mengjin_fees.individual_business")
INDIVIDUAL = "mengjin_fees.individual_business"


class EconomicHouseholdAttributes(Schema):
    """An entry of the economic household register: kept identical on paper and in the system
    (``paper_record_matches``, checked by the inspection group), supervised by its risk and
    credit grades; an individual business's licence inspection (验照) falls due in
    ``licence_inspection_month`` each year."""

    registration_no = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                    metadata={"title_zh": "注册号", "title_en": "Registration number"})
    operator = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"title_zh": "经营者", "title_en": "Operator"})
    industry = fields.String(load_default="", validate=validate.Length(max=100),
                             metadata={"title_zh": "行业", "title_en": "Industry"})
    risk_grade = fields.String(load_default="low", validate=validate.OneOf(list(RISK_GRADES)),
                               metadata={"title_zh": "风险度", "title_en": "Risk grade"})
    credit_grade = fields.String(load_default="A", validate=validate.OneOf(list(CREDIT_GRADES)),
                                 metadata={"title_zh": "信用度", "title_en": "Credit grade"})
    paper_record_matches = fields.Boolean(load_default=True,
                                          metadata={"title_zh": "纸质档案与微机档案相符",
                                                    "title_en": "Paper and computer records match"})
    licence_inspection_month = fields.Integer(load_default=None, allow_none=True,
                                              validate=validate.Range(min=1, max=12),
                                              metadata={"title_zh": "验照月份", "title_en": "Licence inspection month"})


class MarketAttributes(Schema):
    """A market (商品交易市场) and its organiser (市场开办者)."""

    market_type = fields.String(required=True, validate=validate.OneOf(["farm", "wholesale", "general"]))
    organiser = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stalls = fields.Integer(load_default=0, validate=validate.Range(min=0))


PLACE_KINDS = [
    PlaceKind("enterprise", "企业", "Enterprise", EconomicHouseholdAttributes),
    PlaceKind("individual_business", "个体工商户", "Individual business", EconomicHouseholdAttributes),
    PlaceKind("market", "商品交易市场", "Market", MarketAttributes),
]


def supervision_level(risk: str, credit: str) -> str:
    """"违法失信严查，守法诚信宽待": a high risk or a bad credit (C, D) is supervised closely,
    a medium risk or a B credit regularly, the rest lightly."""
    if risk == "high" or credit in ("C", "D"):
        return "key"
    if risk == "medium" or credit == "B":
        return "regular"
    return "light"


@dataclasses.dataclass(frozen=True)
class Household:
    id: int
    grid_id: int
    kind: str
    industry: str
    risk: str
    credit: str
    paper_matches: bool
    inspection_month: int | None

    @property
    def supervision(self) -> str:
        return supervision_level(self.risk, self.credit)


def register(facts, roots: Iterable[int] | None) -> dict[int, list[Household]]:
    """{root grid: the economic households in its subtree} for the grids ``roots`` (``None``:
    the whole register under the key 0), one query, written to the facts log."""
    query = select(Place.id, Place.grid_id, Place.kind, Place.attributes).where(Place.kind.in_(HOUSEHOLD_KINDS))
    roots = None if roots is None else sorted(set(roots))
    if roots is None:
        rows = [(0, *row) for row in db.session.execute(query.order_by(Place.id))]
    elif not roots:
        rows = []
    else:
        root, place_grid = aliased(Grid), aliased(Grid)
        rows = db.session.execute(
            select(root.id, Place.id, Place.grid_id, Place.kind, Place.attributes)
            .join(place_grid, place_grid.id == Place.grid_id)
            .join(root, and_(place_grid.path >= root.path, place_grid.path < root.path + PATH_END))
            .where(Place.kind.in_(HOUSEHOLD_KINDS), root.id.in_(roots)).order_by(root.id, Place.id)).all()
    out: dict[int, list[Household]] = {r: [] for r in (roots if roots is not None else [0])}
    for key, pid, grid_id, kind, attrs in rows:
        attrs = attrs or {}
        out[key].append(Household(pid, grid_id, kind, attrs.get("industry") or "", attrs.get("risk_grade", "low"),
                                  attrs.get("credit_grade", "A"), bool(attrs.get("paper_record_matches", True)),
                                  attrs.get("licence_inspection_month")))
    facts.log.append(["mengjin_fees.register", roots, {str(k): [dataclasses.astuple(h) for h in v]
                                                       for k, v in out.items()}])
    return out
