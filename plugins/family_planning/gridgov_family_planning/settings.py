"""The family-planning settings: the pay, the indicator tree of the annual assessment, the
visit and check-up rules — every number the source or SCHEMES.md gives, as a tenant setting
with its default. Nothing the sheet or the reports read is a constant in code."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridgov.assessment import grade_bands_field

# The four categories of the annual assessment (4大项), in the order of the source.
CATEGORIES = {
    "routine": ("平时成绩", "Routine work"),
    "inspection": ("专项督查", "Special inspections"),
    "democratic": ("民主测评", "Democratic evaluation"),
    "factors": ("奖惩因素", "Reward and penalty factors"),
}
# How a sub-item is scored: computed from the records, or marked by an assessor (an
# ``indicator_mark`` event), or a reward/penalty (a ``reward_penalty`` event).
SOURCES = {
    "work_sheets": "日工作单：签到并签退的应工作日占比 × 满分",
    "visits": "育龄妇女按期随访率 × 满分",
    "checkups": "育龄妇女按期查体率 × 满分（年末未逾期者占比）",
    "attendance": "满分 − 每个无请假缺勤日扣分，扣完为止",
    "judged": "考核人员评分（评分事件，年内多次取平均）",
    "bonus": "奖励加分（奖惩事件）",
    "penalty": "处罚扣分（奖惩事件）",
}
MARKED = ("judged", "bonus", "penalty")


def _i(key, category, zh, en, points, source):
    return {"key": key, "category": category, "title_zh": zh, "title_en": en, "max_points": Decimal(points),
            "source": source}


# The default tree: 4 categories, 13 sub-items (4大项13小项), 100 points before rewards and
# penalties. A tenant replaces it with its own (settings → indicators).
DEFAULT_INDICATORS = (
    _i("r1", "routine", "日工作单填报", "Daily work sheets filed", 10, "work_sheets"),
    _i("r2", "routine", "入户走访质量", "Quality of household visits", 10, "judged"),
    _i("r3", "routine", "育龄妇女按期随访", "Women of childbearing age visited on schedule", 10, "visits"),
    _i("r4", "routine", "台账资料规范", "Registers kept in order", 10, "judged"),
    _i("s1", "inspection", "流动人口信息核查", "Floating population checked", 10, "judged"),
    _i("s2", "inspection", "按期查体落实", "Check-ups kept on time", 10, "checkups"),
    _i("s3", "inspection", "漏管空挂清理", "Unregistered and nominal registrations cleared", 10, "judged"),
    _i("d1", "democratic", "居民测评", "Residents' evaluation", 10, "judged"),
    _i("d2", "democratic", "社区测评", "Community evaluation", 5, "judged"),
    _i("d3", "democratic", "小组长互评", "Peer evaluation", 5, "judged"),
    _i("f1", "factors", "出勤纪律", "Attendance", 10, "attendance"),
    _i("f2", "factors", "奖励加分", "Rewards", 0, "bonus"),
    _i("f3", "factors", "处罚扣分", "Penalties", 0, "penalty"),
)


class Indicator(Schema):
    """One sub-item (小项) of the indicator tree."""

    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,32}$"))
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    title_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title_en = fields.String(load_default="", validate=validate.Length(max=200))
    max_points = fields.Decimal(as_string=True, places=1, required=True, validate=validate.Range(min=0, max=100))
    source = fields.String(required=True, validate=validate.OneOf(list(SOURCES)))


def _money(default: str, zh: str, en: str):
    return fields.Decimal(as_string=True, places=2, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0), metadata={"title_zh": zh, "title_en": en})


class Settings(Schema):
    """Pay as the source states it (¥800 = ¥500 monthly + ¥300 withheld), the indicator tree,
    the schedules of visits and check-ups; tunable per tenant."""

    leader_monthly_base = _money("500.00", "居民小组长基础工资（元/月，按月发放）",
                                 "Group leader base pay (CNY a month, paid monthly)")
    leader_monthly_withheld = _money("300.00", "居民小组长考核工资（元/月，年终考核发放）",
                                     "Group leader withheld pay (CNY a month, paid at year end by assessment)")
    community_worker_monthly_pay = _money("1200.00", "社区工作者工资（元/月）", "Community worker pay (CNY a month)")
    payout_cap = fields.Decimal(as_string=True, places=1, load_default=Decimal(100),
                                validate=validate.Range(min=1, max=1000),
                                metadata={"title_zh": "年终发放封顶分数（得分÷此数×预留工资）",
                                          "title_en": "Score that pays the whole withheld pool"})
    indicators = fields.List(fields.Nested(Indicator), load_default=lambda: [dict(i) for i in DEFAULT_INDICATORS],
                             validate=validate.Length(min=1, max=60),
                             metadata={"title_zh": "考核指标体系（4大项，小项可调）",
                                       "title_en": "Indicator tree (4 categories, sub-items configurable)"})
    attendance_deduction = fields.Decimal(as_string=True, places=1, load_default=Decimal(1),
                                          validate=validate.Range(min=0, max=100),
                                          metadata={"title_zh": "无请假缺勤每日扣分",
                                                    "title_en": "Points off per working day absent without leave"})
    visit_interval_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366),
                                         metadata={"title_zh": "育龄妇女随访周期（天）",
                                                   "title_en": "Days between visits to a woman of childbearing age"})
    checkup_overdue_months = fields.Integer(
        load_default=4, validate=validate.Range(min=1, max=24),
        metadata={"title_zh": "未查体上报月数", "title_en": "Months without a check-up before listing"})
    grade_bands = grade_bands_field()

    @validates_schema
    def _tree(self, data, **kwargs):
        tree = data.get("indicators")
        if not tree:
            return
        keys = [i["key"] for i in tree]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValidationError(f"indicator key(s) used twice: {', '.join(twice)}", "indicators")
        missing = [c for c in CATEGORIES if not any(i["category"] == c for i in tree)]
        if missing:
            raise ValidationError(f"every category needs a sub-item; none for {', '.join(missing)}", "indicators")


def indicators(settings) -> list[dict]:
    """The tenant's tree, as dicts with Decimal ``max_points``."""
    return [dict(i, max_points=Decimal(i["max_points"])) for i in settings["indicators"]]
