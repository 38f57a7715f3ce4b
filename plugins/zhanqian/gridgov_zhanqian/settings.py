"""The zhanqian settings: what the 2011 document leaves open, decided in SCHEMES.md, as tenant
settings with their defaults. The item weights (35, 45, 10, 10) are the document's own and
live with the sheet in :mod:`.sheets`; everything a street office might tune is here."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, post_load, validate

from gridgov.assessment import grade_bands_field
from gridgov.plugins import DEFAULT_GRADE_BANDS

ROLLUPS = {"mean": "平均分 Mean", "lowest": "最低分 Lowest"}
MISSING = {"skip": "按已公布的期数计算并标注 Leave out and flag",
           "zero": "缺失期按0分计 Count as 0"}


def _choice(choices: dict, default: str, zh: str, en: str):
    return fields.String(load_default=default, validate=validate.OneOf(list(choices), labels=list(choices.values())),
                         metadata={"title_zh": zh, "title_en": en})


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    # 1a 排查率: each second-level grid at least this many inspections a month.
    required_inspections_per_month = fields.Integer(
        load_default=4, validate=validate.Range(min=1, max=100),
        metadata={"title_zh": "每个网格每月最少排查次数", "title_en": "Inspections required per grid per month"})
    # 4 奖励加分: "加分上限为20分".
    bonus_cap = fields.Decimal(
        as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal(20),
        validate=validate.Range(min=0, max=100),
        metadata={"title_zh": "奖励加分上限", "title_en": "Cap on the honour bonus"})
    # 月考、季评、年总结: how months make a quarter and quarters a year.
    quarter_rollup = _choice(ROLLUPS, "mean", "季度评分由月度得分", "Quarter from its months")
    annual_rollup = _choice(ROLLUPS, "mean", "年度总结由季度得分", "Year from its quarters")
    missing_period = _choice(MISSING, "skip", "缺少已公布月度（季度）考核时", "When a month (quarter) was not published")
    # 四个等级 (SCHEMES.md conventions): {"excellent": 95, "good": 85, "pass": 65}, below is fail.
    grade_bands = grade_bands_field()

    @post_load
    def _whole_bands(self, data, **kwargs):
        """A partial threshold table ({"excellent": 96}) keeps the other bands' defaults."""
        default = {b.key: b.minimum for b in DEFAULT_GRADE_BANDS if b.minimum is not None}
        return {**data, "grade_bands": {**default, **data["grade_bands"]}}
