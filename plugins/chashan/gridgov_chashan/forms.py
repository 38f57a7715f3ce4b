"""The chashan field forms (event types): what directors, communities and departments record,
and what the sheets count. Who or what an event is about is the event's own column (the grid,
``actor_person_id``, ``subject_person_id``, ``subject_unit_id``); the payload holds the rest."""
import datetime as dt

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from gridgov.plugins import EventType

from .settings import HONOUR_LEVELS, INSPECTION_LEVELS

TEXT = validate.Length(min=1, max=2000)
INFO_CATEGORIES = {
    "public_opinion": "社情民意", "public_order": "社区治安", "environment": "环境监督整治",
    "disputes": "矛盾纠纷排解", "family_planning": "计划生育管理", "party_building": "党建群团发展",
}
MEETINGS = {"community_friday": "社区网格调度会（周五上午）", "street_first_monday": "街道网格工作调度会（每月第一个星期一上午）"}


class PatrolPayload(Schema):
    """A patrol (巡查) from ``start`` to ``end`` on the event's day, with the log (网格日志).
    ``minutes`` is computed from the two times (given as well, it must agree); a record kept
    without times (an imported paper log) gives ``minutes`` alone."""

    start = fields.Time(load_default=None, allow_none=True)
    end = fields.Time(load_default=None, allow_none=True)
    minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=24 * 60))
    log = fields.String(required=True, validate=validate.Length(min=1, max=4000))

    @validates_schema
    def _times(self, data, **kwargs):
        start, end, minutes = data.get("start"), data.get("end"), data.get("minutes")
        if start is None and end is None:
            if minutes is None:
                raise ValidationError("give start and end, or minutes", "start")
            return
        if start is None or end is None:
            raise ValidationError("start and end go together", "start" if start is None else "end")
        if end <= start:
            raise ValidationError("must be later than start", "end")
        if minutes is not None and minutes != _minutes(start, end):
            raise ValidationError(f"{start:%H:%M}–{end:%H:%M} is {_minutes(start, end)} minutes", "minutes")

    @post_load
    def _duration(self, data, **kwargs):
        if data.get("start") is None:
            return data
        return {**data, "minutes": _minutes(data["start"], data["end"])}


def _minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class LogReviewPayload(Schema):
    """The community's judgement of a director's month of logs (日志工整、详细); the event names
    the director as its subject. A changed judgement amends the earlier event."""

    tidy = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class InfoReportPayload(Schema):
    """Information a director reports to the community (信息上报); the community accepts it as
    valid or rejects it (an amending event records its decision; ``null`` is not yet decided)."""

    category = fields.String(required=True, validate=validate.OneOf(list(INFO_CATEGORIES)))
    summary = fields.String(required=True, validate=TEXT)
    accepted = fields.Boolean(load_default=None, allow_none=True)


class ResidentIssuePayload(Schema):
    """A resident's question or problem the director explained or solved on their own initiative."""

    summary = fields.String(required=True, validate=TEXT)
    outcome = fields.String(required=True, validate=validate.OneOf(["explained", "solved"]))
    resident_confirmed = fields.Boolean(required=True)


class HostedVisitPayload(Schema):
    """An inspection by superiors or a study visit by another body that the director hosted."""

    kind = fields.String(required=True, validate=validate.OneOf(["inspection", "study_visit"]))
    visitor = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MeetingAttendancePayload(Schema):
    """A director signing in at a grid meeting."""

    meeting = fields.String(required=True, validate=validate.OneOf(list(MEETINGS)))


class MajorMatterPayload(Schema):
    """A major matter (重大事项) in a grid: when it was discovered and when it reached the community
    and the street (empty: not reported). The delays in minutes and the reported flags are
    computed from the times (given values are replaced)."""

    summary = fields.String(required=True, validate=TEXT)
    discovered_at = fields.AwareDateTime(required=True)
    reported_to_community_at = fields.AwareDateTime(load_default=None, allow_none=True)
    reported_to_street_at = fields.AwareDateTime(load_default=None, allow_none=True)
    community_delay_minutes = fields.Integer(load_default=None, allow_none=True)
    street_delay_minutes = fields.Integer(load_default=None, allow_none=True)
    reported_to_community = fields.Boolean(load_default=False)
    reported_to_street = fields.Boolean(load_default=False)

    @validates_schema
    def _after_discovery(self, data, **kwargs):
        for field in ("reported_to_community_at", "reported_to_street_at"):
            if data.get(field) is not None and data.get("discovered_at") and data[field] < data["discovered_at"]:
                raise ValidationError("must not be before discovered_at", field)

    @post_load
    def _delays(self, data, **kwargs):
        def delay(field):
            at = data.get(field)
            return None if at is None else int((at - data["discovered_at"]).total_seconds() // 60)

        return {**data, "community_delay_minutes": delay("reported_to_community_at"),
                "street_delay_minutes": delay("reported_to_street_at"),
                "reported_to_community": data.get("reported_to_community_at") is not None,
                "reported_to_street": data.get("reported_to_street_at") is not None}


class EscalationLetterPayload(Schema):
    """The Friday-morning escalation letter (交办函) a community sends the street."""

    matters = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    summary = fields.String(load_default="", validate=validate.Length(max=4000))


class SignInMeetingPayload(Schema):
    """The community's Friday-morning meeting of grid directors with its sign-in sheet (签到)."""

    attendees = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class NotePayload(Schema):
    summary = fields.String(required=True, validate=TEXT)


class JointPatrolPayload(PatrolPayload):
    """Street liaison staff patrolling with the directors (the actor is the street staff member)."""


class HonourPayload(Schema):
    """An honour (荣誉称号) conferred, with the level of the body conferring it."""

    level = fields.String(required=True, validate=validate.OneOf(list(HONOUR_LEVELS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))


class InspectionFindingPayload(Schema):
    """A problem found in an inspection, with the inspection's level."""

    level = fields.String(required=True, validate=validate.OneOf(list(INSPECTION_LEVELS)))
    summary = fields.String(required=True, validate=TEXT)


class LetterHandlingPayload(Schema):
    """A department's handling of one matter of a community's letter (the subject unit):
    settled in time, answered with a reason, or neither."""

    outcome = fields.String(required=True, validate=validate.OneOf(["settled", "answered", "unanswered"]))
    summary = fields.String(required=True, validate=TEXT)


class ReferralPayload(Schema):
    """A matter the department passed up to a higher authority, and how far it followed it."""

    status = fields.String(required=True, validate=validate.OneOf(["replied", "tracked", "untracked"]))
    summary = fields.String(required=True, validate=TEXT)


class MeetingReportPayload(Schema):
    """A department member's report on the attached grid at the weekly meeting (每周例会汇报)."""

    fluent = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


EVENT_TYPES = [
    EventType("patrol", "网格巡查", "Grid patrol", PatrolPayload),
    EventType("log_review", "网格日志评定", "Grid log judgement", LogReviewPayload),
    EventType("info_report", "信息上报", "Information report", InfoReportPayload),
    EventType("resident_issue", "居民问题解释解决", "Resident issue settled", ResidentIssuePayload),
    EventType("hosted_visit", "接受检查参观", "Inspection or visit hosted", HostedVisitPayload),
    EventType("meeting_attendance", "会议签到", "Meeting attendance", MeetingAttendancePayload),
    EventType("major_matter", "重大事项上报", "Major matter report", MajorMatterPayload),
    EventType("escalation_letter", "交办函", "Escalation letter", EscalationLetterPayload),
    EventType("signin_meeting", "网格调度会签到", "Sign-in meeting", SignInMeetingPayload),
    EventType("supervision", "监督检查记录", "Supervision record", NotePayload),
    EventType("meeting_notice", "街道调度会通知", "Street meeting notice", NotePayload),
    EventType("joint_patrol", "挂点人员联合巡查", "Joint patrol", JointPatrolPayload),
    EventType("honour", "荣誉称号", "Honour", HonourPayload),
    EventType("inspection_finding", "检查发现问题", "Inspection finding", InspectionFindingPayload),
    EventType("letter_handling", "交办函办理", "Escalation letter handling", LetterHandlingPayload),
    EventType("referral", "上报上级事项跟踪", "Matter referred upwards", ReferralPayload),
    EventType("meeting_report", "例会汇报", "Weekly meeting report", MeetingReportPayload),
    EventType("serious_failure", "重大失误", "Serious failure", NotePayload),
]
