"""The jinzhou_streets settings: what the source leaves open, as tenant settings with defaults
(editable on the console's settings page). The standards themselves (八无, 四无) are the
source's and live here as constants; the figures are the tenant's."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, post_load, validate

from gridgov.assessment import grade_bands_field
from gridgov.plugins import DEFAULT_GRADE_BANDS

# The "eight nos" (八无) of level-1 streets and the "four nos" (四无) of level-2 streets.
VIOLATIONS = {
    "outside_business": ("店外经营", "Business outside the shop"),
    "outside_car_service": ("店外洗修车", "Car washing or repair outside the shop"),
    "outside_piling": ("店外堆放", "Piling outside the shop"),
    "fixed_stall": ("固定摊点", "Fixed stall"),
    "road_market": ("自发马路市场", "Spontaneous road market"),
    "illegal_construction": ("违章建设", "Illegal construction"),
    "hanging_items": ("各类悬挂物", "Hanging items"),
    "window_posters": ("影响市容的玻璃字画", "Window posters spoiling the streetscape"),
    "long_term_outside_business": ("长期店外经营", "Long-term business outside the shop"),
    "unauthorised_banners": ("擅自悬挂标语条幅", "Unauthorised banners or slogans"),
}
EIGHT_NOS = ("outside_business", "outside_car_service", "outside_piling", "fixed_stall", "road_market",
             "illegal_construction", "hanging_items", "window_posters")
FOUR_NOS = ("road_market", "illegal_construction", "long_term_outside_business", "unauthorised_banners")
STANDARDS = {1: EIGHT_NOS, 2: FOUR_NOS}


def _deduction(zh: str, en: str):
    return fields.Decimal(as_string=True, places=1, rounding=ROUND_HALF_UP, load_default=Decimal("1.0"),
                          validate=validate.Range(min=0, max=100),
                          metadata={"title_zh": f"每处扣分：{zh}", "title_en": f"Points deducted per violation: {en}"})


class _Base(Schema):
    """How many the quarterly selection (评先选优) names; the source says "top N" only."""

    advanced_groups_per_quarter = fields.Integer(
        load_default=3, validate=validate.Range(min=1, max=25),
        metadata={"title_zh": "每季度评选先进网管小组数", "title_en": "Advanced groups selected per quarter"})
    advanced_individuals_per_quarter = fields.Integer(
        load_default=5, validate=validate.Range(min=1, max=200),
        metadata={"title_zh": "每季度评选网管先进个人数", "title_en": "Advanced individuals selected per quarter"})
    advanced_brigades_per_quarter = fields.Integer(
        load_default=2, validate=validate.Range(min=1, max=12),
        metadata={"title_zh": "每季度评选先进网管大队数", "title_en": "Advanced brigades selected per quarter"})
    # A group without its own roster (grid attributes roster_start/roster_end) works these hours.
    default_roster_start = fields.Integer(
        load_default=7, validate=validate.Range(min=0, max=23),
        metadata={"title_zh": "默认值班开始（时）", "title_en": "Default shift start (hour)"})
    default_roster_end = fields.Integer(
        load_default=19, validate=validate.Range(min=1, max=24),
        metadata={"title_zh": "默认值班结束（时）", "title_en": "Default shift end (hour)"})
    grade_bands = grade_bands_field()

    @post_load
    def _whole_bands(self, data, **kwargs):
        default = {b.key: b.minimum for b in DEFAULT_GRADE_BANDS if b.minimum is not None}
        return {**data, "grade_bands": {**default, **data["grade_bands"]}}


# The source gives the deduction standard (百分制竞赛扣分标准) but not its figures: one point per
# violation of every type, until a tenant sets its own, field ``deduction_<type>``.
Settings = _Base.from_dict(
    {f"deduction_{key}": _deduction(zh, en) for key, (zh, en) in VIOLATIONS.items()}, name="Settings")
