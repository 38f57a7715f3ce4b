"""The dafang_fire settings: what the source names but leaves open, with defaults, editable per
tenant in the console (设置) and through the API."""
from marshmallow import Schema, fields, validate

from gridgov.assessment import grade_bands_field


class Settings(Schema):
    """The hotline the public reports hazards to; each station's monthly quota of units to check
    (online supervision, 网上监管) — the source names the quota but not its size, the default is
    about the seed's own rate (3,540 units in four and a half months, 34 big grids); the
    staffing of a grid room (两名民警、一名协勤); the grade thresholds of the stations'
    assessment sheets (优秀 ≥ 95, 良好 ≥ 85, 合格 ≥ 65)."""

    grade_bands = grade_bands_field()

    hazard_hotline = fields.String(
        load_default="96119", validate=validate.Regexp(r"^[0-9-]{3,20}$"),
        metadata={"title_zh": "火灾隐患举报热线", "title_en": "Fire hazard hotline"})
    station_monthly_quota = fields.Integer(
        load_default=20, validate=validate.Range(min=0, max=10000),
        metadata={"title_zh": "派出所每月检查单位任务量", "title_en": "Units a station checks per month (quota)"})
    room_officers = fields.Integer(
        load_default=2, validate=validate.Range(min=0, max=20),
        metadata={"title_zh": "网格工作室民警人数", "title_en": "Police officers per grid room"})
    room_assistants = fields.Integer(
        load_default=1, validate=validate.Range(min=0, max=20),
        metadata={"title_zh": "网格工作室协勤人数", "title_en": "Assistants per grid room"})
