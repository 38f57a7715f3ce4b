"""The mengjin_fees forms (event types) and case categories: what the inspection group, the
service group and the grid responsible persons record, and what the sheets count.

Who or what an event is about is the event's own column: the service group's records name it
as ``subject_unit_id`` (a violation found by the inspection group, a work brief, the weekly
statistics, the monthly assessment); a grid responsible person's records name them as the actor
and happen in their grid; a licence inspection or a return visit names the household as
``place_id``. The problems raised with the service group (反映问题) and the consumer complaints
(消费者申诉) are the core's cases, with deadlines in working days of the official calendar.
"""
from marshmallow import Schema, fields, validate

from gridgov.plugins import SEVERITIES, CaseCategory, Deadline, EventType

from .settings import VIOLATION_RULES

NOTE = validate.Length(max=2000)
TEXT = validate.Length(min=1, max=2000)
MARKET_TOPICS = {
    "fire_safety": "市场消防安全检查", "food_safety": "食品消费安全检查", "responsibility": "安全责任书、门前三包",
    "rectification": "市场整治", "red_shield": "红盾护农", "honest_market": "诚信市场创建",
}


class PatrolPayload(Schema):
    """A grid responsible person's patrol (网格巡查) of the grid's streets, markets and businesses."""

    households_visited = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    note = fields.String(load_default="", validate=NOTE)


class ViolationPayload(Schema):
    """A violation of sheet A found by the inspection group (督察组) or the office: which rule of
    the method (``rule``, see the settings for its points) and what happened."""

    rule = fields.String(required=True, validate=validate.OneOf(list(VIOLATION_RULES)))
    note = fields.String(required=True, validate=TEXT)


class BriefPayload(Schema):
    """A work brief (工作简报) reporting the sub-bureau's and branch's work upwards."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=NOTE)


class StatisticsPayload(Schema):
    """The week's workload statistics of the service group and the grid responsible persons
    (工作量统计分析), recorded in the week they cover."""

    patrols = fields.Integer(load_default=0, validate=validate.Range(min=0))
    complaints = fields.Integer(load_default=0, validate=validate.Range(min=0))
    note = fields.String(load_default="", validate=NOTE)


class MonthlyAssessmentPayload(Schema):
    """The service group's monthly assessment (月度考核) of the grid responsible persons' work,
    held between the 25th and the 30th (settings ``assessment_window_start``/``_end``)."""

    note = fields.String(load_default="", validate=NOTE)


class LicenceInspectionPayload(Schema):
    """An individual business's licence inspection (个体验照/换照); the event names the household
    as ``place_id``."""

    result = fields.String(required=True, validate=validate.OneOf(["passed", "renewed", "rectify"]))
    note = fields.String(load_default="", validate=NOTE)


class MarketCheckPayload(Schema):
    """A check of a market (商品交易市场): fire and food safety, responsibility letters,
    rectification, "Red Shield" farm-market work (红盾护农) or honest-market creation (诚信市场)."""

    topic = fields.String(required=True, validate=validate.OneOf(list(MARKET_TOPICS)))
    problems_found = fields.Integer(load_default=0, validate=validate.Range(min=0))
    note = fields.String(load_default="", validate=NOTE)


class ReturnVisitPayload(Schema):
    """A return visit to a household ("四访、四知、四做到"), by its supervision grade."""

    note = fields.String(load_default="", validate=NOTE)


class FeeNoticePayload(Schema):
    """Urging a household to pay its fees on time (督促按时交纳规费)."""

    paid = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=NOTE)


def _needs_unit(event: dict, earlier: list):
    if not event.get("subject_unit_id"):
        return {"subject_unit_id": ["required: the comprehensive service group the record is about"]}
    return None


def _needs_place(event: dict, earlier: list):
    if not event.get("place_id"):
        return {"place_id": ["required: the household of the economic household register"]}
    return None


EVENT_TYPES = [
    EventType("patrol", "网格巡查", "Grid patrol", PatrolPayload),
    EventType("violation", "综合服务组违规记录", "Service group violation", ViolationPayload, check=_needs_unit),
    EventType("work_brief", "工作简报", "Work brief", BriefPayload, check=_needs_unit),
    EventType("weekly_statistics", "每周工作量统计", "Weekly workload statistics", StatisticsPayload,
              check=_needs_unit),
    EventType("monthly_assessment", "月度考核", "Monthly assessment", MonthlyAssessmentPayload, check=_needs_unit),
    EventType("licence_inspection", "个体验照", "Licence inspection", LicenceInspectionPayload, check=_needs_place),
    EventType("market_check", "市场检查", "Market check", MarketCheckPayload),
    EventType("return_visit", "经济户口回访", "Return visit", ReturnVisitPayload, check=_needs_place),
    EventType("fee_notice", "督促交纳规费", "Fee payment urged", FeeNoticePayload),
]


def _every_severity(amount: int, unit: str = "working_days") -> dict:
    return {severity: Deadline(amount, unit) for severity in SEVERITIES}


RAISED_PROBLEM = "mengjin_fees.raised_problem"
CONSUMER_COMPLAINT = "mengjin_fees.consumer_complaint"
CASE_CATEGORIES = [
    CaseCategory("raised_problem", "上级部门、网格责任人或经营户反映的问题", "Problem raised with the service group",
                 {"accept": _every_severity(1), "resolve": _every_severity(5)}, handling_unit_kind="service_group",
                 description="落实答复时限5个工作日（自反映之日起算，见设置 reply_working_days）。"),
    CaseCategory("consumer_complaint", "消费者申（投）诉", "Consumer complaint",
                 {"accept": _every_severity(1), "resolve": _every_severity(7)}, handling_unit_kind="sub_bureau",
                 description="网格责任人受理、调解，手续完备，处理有结果，调解有协议。"),
]
