"""The core's own declarations, written as a plugin with the same hooks (named ``core``)."""
from marshmallow import Schema, fields, validate

from .models.surveys import ANSWERS
from .plugins import CaseCategory, Deadline, EventType, Level, PlaceKind, PluginInfo, Role, hookimpl


class NotePayload(Schema):
    """A free-text observation from the field (现场记录)."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    tags = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)


class VoidPayload(Schema):
    """Why an earlier event is void (作废); the event itself is kept."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SurveyVotePayload(Schema):
    """A resident's answer to a satisfaction survey (满意度测评), cast once through the survey's
    one-time link (:mod:`gridgov.surveys`); the event's grid is the sampled household's grid."""

    survey_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    answer = fields.String(required=True, validate=validate.OneOf(tuple(ANSWERS)))
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class GenericPlaceAttributes(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(title_zh="网格化管理核心", title_en="Grid management core", version="1.0",
                      description="Roles, event types and place kinds every tenant has.")


@hookimpl
def gridgov_grid_levels():
    return [Level("区域", "Area"), Level("片区", "Zone"), Level("网格", "Grid"), Level("子网格", "Sub-grid")]


@hookimpl
def gridgov_roles():
    return [
        Role("grid_worker", "网格员", "Grid worker", "grid"),
        Role("grid_leader", "网格长", "Grid leader", "grid"),
        Role("unit_staff", "单位工作人员", "Unit staff", "unit"),
    ]


@hookimpl
def gridgov_event_types():
    return [
        EventType("note", "现场记录", "Field note", NotePayload),
        EventType("void", "作废记录", "Void", VoidPayload, "Voids the event named by voids_id."),
        EventType("survey_vote", "满意度测评投票", "Survey vote", SurveyVotePayload,
                  "A resident's vote through a one-time survey link; counted by gridgov.surveys."),
    ]


@hookimpl
def gridgov_place_kinds():
    return [PlaceKind("generic", "一般场所", "Place", GenericPlaceAttributes)]


def _table(normal, serious, major, urgent) -> dict:
    return {"normal": normal, "serious": serious, "major": major, "urgent": urgent}


def _hours(n: int) -> Deadline:
    return Deadline(n, "hours")


def _days(n: int) -> Deadline:
    return Deadline(n, "working_days")


@hookimpl
def gridgov_case_categories():
    """Generic categories, so cases work before a scheme declares its own. The limits follow the
    usual digital-urban-management practice: urgent matters in hours, the rest in working days."""
    return [
        CaseCategory("general", "一般问题", "General problem", {
            "accept": _table(_days(1), _days(1), _hours(4), _hours(1)),
            "resolve": _table(_days(5), _days(3), _hours(24), _hours(4)),
            "close": _table(_days(7), _days(5), _days(2), _days(1)),
        }, description="A problem found in a grid that fits no scheme's category."),
        CaseCategory("dispute", "矛盾纠纷", "Dispute", {
            "accept": _table(_days(1), _days(1), _hours(4), _hours(1)),
            "resolve": _table(_days(10), _days(5), _days(2), _hours(24)),
        }, pauses_when_waiting=True,
            description="A dispute between residents; its deadlines pause while waiting on a party outside."),
    ]


@hookimpl
def gridgov_scheduled_jobs():
    """The overdue sweep (超期巡检): flags the tenant's cases past a deadline and records a
    reminder for the person responsible. Referenced by path: declaring it imports nothing."""
    from .plugins import ScheduledJob

    return [ScheduledJob("overdue_sweep", "*/15 * * * *", "gridgov.operations.cases.sweep_overdue",
                         "超期案件巡检", "Overdue case sweep", per_tenant=True)]


@hookimpl
def gridgov_reports():
    """The ranking (考核排名) and the score sheets (考核评分明细) of any assessment run."""
    from .reports import core_reports

    return core_reports()
