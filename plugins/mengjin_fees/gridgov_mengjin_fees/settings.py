"""The mengjin_fees settings: every deduction, threshold and window SCHEMES.md decides, as a
tenant setting with its default. The sheets read these and nothing else — a jurisdiction copying
the plugin changes its amounts here (or in the console's 插件设置 form), not in the code."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridgov.assessment import grade_bands_field
from gridgov.plugins import DEFAULT_GRADE_BANDS, GradeBand

# Sheet A's recorded violations (违规记录): rule key → (SCHEMES.md number, Chinese, English,
# default deduction per occurrence). The service group's sheet has one line per rule, and the
# violation form (event type ``violation``) offers these keys.
VIOLATION_RULES = {
    "complaint_verified": ("1", "刁难、拖延或未一次性告知引起投诉，经查证属实", "Verified complaint: obstruction, delay or not informing in one go", Decimal(2)),
    "info_late": ("2", "未按时收集上报工作情况材料", "Work information not collected or reported on time", Decimal(1)),
    "handover_missed": ("2", "交接工作延误或出现遗漏", "Hand-over delayed or missed", Decimal(1)),
    "document_unregistered": ("3", "文件未按规定登记、记录", "Document not registered or recorded", Decimal(1)),
    "document_lost": ("3", "遗失文件", "Document lost", Decimal(1)),
    "seal_misused": ("3", "印章使用和管理不当", "Seal misused", Decimal(3)),
    "letter_unregistered": ("4", "来信来电来访及转办函件错登、漏登", "Letter, call or visit not registered or misregistered", Decimal(1)),
    "letter_unhandled": ("4", "来信来电来访及转办函件不落实或延期上报", "Letter, call or visit not acted on or reported late", Decimal(1)),
    "finance_breach": ("5", "违反财务管理规定收缴规费、罚没款", "Fee or fine collection against the finance rules", Decimal(5)),
    "complaint_315_unreported": ("6", "“3.15”申（投）诉未按规定收集上报", "\"3.15\" complaint not collected or reported", Decimal(1)),
    "no_targets": ("9", "未制定工作目标或工作责任书", "No work targets or responsibility letters", Decimal(1)),
    "training_missed": ("10", "未按规定组织政治、业务学习和培训", "Study or training not organised", Decimal(1)),
}

# Sheet B's grade thresholds are of 50 points: the SCHEMES.md bands (95/85/65 of 100) halved.
CADRE_BANDS = tuple(GradeBand(b.key, b.title_zh, b.title_en, None if b.minimum is None else b.minimum / 2)
                    for b in DEFAULT_GRADE_BANDS)


def _points(default, zh: str, en: str, maximum=None) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal(default),
                          validate=validate.Range(min=0, max=maximum), metadata={"title_zh": zh, "title_en": en})


def _day(default: int, zh: str, en: str) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=31),
                          metadata={"title_zh": zh, "title_en": en})


def _violation(rule: str) -> fields.Decimal:
    number, zh, en, default = VIOLATION_RULES[rule]
    return _points(default, f"第{number}项 {zh}（每次扣分）", f"Rule {number}: {en} (points each)")


def deduction_field(rule: str) -> str:
    """The setting holding a violation rule's deduction per occurrence."""
    return f"deduct_{rule}"


class Settings(Schema):
    """What the source leaves open, decided in SCHEMES.md and tunable per tenant."""

    # -- sheet A: comprehensive service group (综合服务组) --
    service_group_floor_at_zero = fields.Boolean(
        load_default=True,
        metadata={"title_zh": "综合服务组扣分扣完为止", "title_en": "Service group score floors at 0"})
    licence_inspection_rate = _points(80, "个体验照率达标线（%）", "Licence inspection rate threshold (%)", 100)
    deduct_licence_shortfall = _points(1, "验照率未达标每差一户扣分", "Deduction per household short of the rate")
    briefs_per_month = fields.Integer(
        load_default=3, validate=validate.Range(min=0, max=31),
        metadata={"title_zh": "每月工作简报篇数", "title_en": "Work briefs required per month"})
    deduct_missing_brief = _points(1, "每少一篇简报扣分", "Deduction per missing brief")
    reply_working_days = fields.Integer(
        load_default=5, validate=validate.Range(min=1, max=60),
        metadata={"title_zh": "问题落实答复时限（工作日）", "title_en": "Reply deadline (working days)"})
    deduct_late_reply = _points(1, "逾期未答复每次扣分", "Deduction per problem not answered in time")
    deduct_missed_statistics = _points(2, "每周工作量统计或月度考核未完成每次扣分",
                                       "Deduction per missed weekly statistics or monthly assessment")
    assessment_window_start = _day(25, "月度考核起始日", "Monthly assessment window: first day")
    assessment_window_end = _day(30, "月度考核截止日", "Monthly assessment window: last day")
    # -- sheet A: the recorded violations, points per occurrence (see VIOLATION_RULES) --
    deduct_complaint_verified = _violation("complaint_verified")
    deduct_info_late = _violation("info_late")
    deduct_handover_missed = _violation("handover_missed")
    deduct_document_unregistered = _violation("document_unregistered")
    deduct_document_lost = _violation("document_lost")
    deduct_seal_misused = _violation("seal_misused")
    deduct_letter_unregistered = _violation("letter_unregistered")
    deduct_letter_unhandled = _violation("letter_unhandled")
    deduct_finance_breach = _violation("finance_breach")
    deduct_complaint_315_unreported = _violation("complaint_315_unreported")
    deduct_no_targets = _violation("no_targets")
    deduct_training_missed = _violation("training_missed")
    # -- sheets A and C: grade thresholds of 100 points; sheet B: of 50 points --
    grade_bands = grade_bands_field()
    cadre_grade_bands = grade_bands_field(CADRE_BANDS)

    @validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("assessment_window_start"), data.get("assessment_window_end")
        if start is not None and end is not None and end < start:
            raise ValidationError("must not be before assessment_window_start", "assessment_window_end")

