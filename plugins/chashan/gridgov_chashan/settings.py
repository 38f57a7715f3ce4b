"""The chashan settings: every amount, threshold and choice SCHEMES.md decides, as a tenant
setting with its default (nothing the sheets read is a constant in code)."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate

from gridgov.assessment import grade_bands_field

PATROL_DAYS = {"working_days": "法定工作日 Official working days", "every_day": "每天 Every day"}
RANKING_BASES = {"mean_of_quarters": "四个季度平均分 Mean of the quarters", "sum_of_quarters": "四个季度总分 Sum of the quarters"}

# Item 10 of sheet B (奖励加分), points per honour by the level of the body conferring it.
HONOUR_LEVELS = {
    "national": ("国家级", "National", Decimal(30)),
    "ministry": ("部委", "Ministry", Decimal(25)),
    "provincial": ("省级", "Provincial", Decimal(20)),
    "provincial_department": ("省级部门", "Provincial department", Decimal(15)),
    "prefecture_city": ("地市级", "Prefecture-level city", Decimal(10)),
    "county_city": ("县市级", "County-level city", Decimal(10)),
    "county_department": ("县市级相关部门", "County-level department", Decimal(5)),
}
# Item 11 of sheet B (惩罚扣分), points per problem found by the level of the inspection.
INSPECTION_LEVELS = {
    "provincial": ("省级检查", "Provincial inspection", Decimal(30)),
    "prefecture": ("地市级检查", "Prefecture-level inspection", Decimal(20)),
    "county": ("县市级检查", "County-level inspection", Decimal(10)),
}


def _money(default: str, zh: str, en: str) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0), metadata={"title_zh": zh, "title_en": en})


def _points(default: str, zh: str, en: str, maximum=None, positive: bool = False) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0, max=maximum, min_inclusive=not positive),
                          metadata={"title_zh": zh, "title_en": en})


def _per_level(levels: dict, zh: str, en: str) -> fields.Dict:
    """{level: points}; unknown levels refused, levels left out keep their default."""
    default = {key: value for key, (_, _, value) in levels.items()}

    def check(value: dict) -> None:
        unknown = sorted(set(value) - set(levels))
        if unknown:
            raise ValidationError(f"unknown level(s) {', '.join(unknown)}; levels: {', '.join(levels)}")
        if any(Decimal(v) < 0 for v in value.values()):
            raise ValidationError("points per level must not be negative")

    return fields.Dict(keys=fields.String(), values=fields.Decimal(places=1, as_string=True),
                       load_default=lambda: dict(default),
                       validate=check, metadata={"title_zh": zh, "title_en": en})


def per_level(settings, name: str, levels: dict) -> dict:
    """The setting ``name`` with the default of every level it leaves out."""
    return {key: Decimal((settings.get(name) or {}).get(key, value)) for key, (_, _, value) in levels.items()}


LEVEL_TABLES = {"honour_bonus": HONOUR_LEVELS, "inspection_penalty": INSPECTION_LEVELS}


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    # -- sheet A: grid room directors' cash (网格室主任奖惩) --
    required_patrol_days = fields.String(
        load_default="working_days", validate=validate.OneOf(list(PATROL_DAYS), labels=list(PATROL_DAYS.values())),
        metadata={"title_zh": "应巡查日", "title_en": "Days a patrol is required"})
    patrol_minimum_minutes = fields.Integer(
        load_default=60, validate=validate.Range(min=1, max=24 * 60),
        metadata={"title_zh": "每日最少巡查时长（分钟）", "title_en": "Minimum daily patrol (minutes)"})
    major_matter_report_hours = fields.Integer(
        load_default=2, validate=validate.Range(min=1, max=72),
        metadata={"title_zh": "重大事项及时上报时限（小时）", "title_en": "Major matter reported in time (hours)"})
    valid_reports_minimum = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=1000),
        metadata={"title_zh": "每月有效信息条数", "title_en": "Valid reports needed per month"})
    reward_patrol_log = _money("50", "巡查及日志奖励（元/月）", "Patrol and log reward (CNY / month)")
    reward_reports = _money("50", "有效信息奖励（元/月）", "Valid reports reward (CNY / month)")
    reward_resident_issue = _money("10", "居民问题解决奖励（元/例）", "Resident issue reward (CNY / case)")
    reward_hosted_visit = _money("50", "接受检查参观奖励（元/次）", "Hosted inspection or visit reward (CNY / occasion)")
    reward_meeting = _money("20", "参加调度会奖励（元/次）", "Meeting attendance reward (CNY / meeting)")
    fine_missed_patrol = _money("50", "漏巡罚款（元/次）", "Missed patrol fine (CNY / day)")
    fine_late_major_matter = _money("50", "重大事项未及时上报罚款（元/次）", "Late major matter fine (CNY / case)")
    # -- sheet B: communities (社区及网格挂点人员) --
    grade_bands = grade_bands_field()
    check_time_of_day = fields.Boolean(
        load_default=True, metadata={"title_zh": "核对上午/下午", "title_en": "Check morning and afternoon",
                                     "description": "B1、B2 周五上午（12点前），B5 周五下午（12点起）"})
    missed_deduction = _points("0.5", "每少一次扣分", "Deduction per missed Friday or month")
    handling_rate_threshold = _points("95", "处理率达标线（%）", "Handling rate threshold (%)", 100)
    satisfaction_threshold = _points("90", "满意率达标线（%）", "Satisfaction threshold (%)", 100)
    rate_step = _points("5", "每少百分点", "Shortfall step (percentage points)", 100, positive=True)
    rate_step_deduction = _points("0.5", "每少一档扣分", "Deduction per shortfall step")
    major_matter_deduction = _points("5", "重大事项未及时上报扣分（分/例）", "Late major matter deduction (points / case)")
    honour_bonus = _per_level(HONOUR_LEVELS, "荣誉加分（分/项）", "Honour bonus (points per honour)")
    honour_bonus_cap = fields.Decimal(
        as_string=True, places=1, rounding=ROUND_HALF_UP, allow_none=True, load_default=None,
        validate=validate.Range(min=0),
        metadata={"title_zh": "荣誉加分上限（空为不封顶）", "title_en": "Cap on honour bonus (empty: no cap)"})
    inspection_penalty = _per_level(INSPECTION_LEVELS, "检查问题扣分（分/项）", "Inspection penalty (points per problem)")
    excellent_community_award = _money("1000", "优秀社区季度奖励（元）", "Excellent community award (CNY / quarter)")
    # -- sheet C: street departments (街道科室) --
    department_deduction = _points("1", "科室每次扣分", "Department deduction per case, member-week or time")
    # -- annual (年度) --
    annual_ranking_basis = fields.String(
        load_default="mean_of_quarters",
        validate=validate.OneOf(list(RANKING_BASES), labels=list(RANKING_BASES.values())),
        metadata={"title_zh": "年度排名依据", "title_en": "Annual ranking basis"})
    annual_award_per_staff = _money("200", "年度第一社区挂点人员奖励（元/人）", "Annual first community award (CNY / staff member)")

    @post_load
    def _complete_levels(self, data, **kwargs):
        """A level table saved with some levels keeps the defaults of the others."""
        return {**data, **{name: per_level(data, name, levels) for name, levels in LEVEL_TABLES.items() if name in data}}
