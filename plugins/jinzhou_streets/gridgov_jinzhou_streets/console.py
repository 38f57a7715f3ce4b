"""The plugin's own console pages (hook ``gridgov_console_views``), for a tenant that enables
``jinzhou_streets`` (any other tenant gets 404):

* 街路网格地图 ``/admin/jinzhou-streets-map/`` — the published network as a map: an inline SVG
  (no tile server: drawn from the sections' ``line`` attributes) with every section coloured by
  its unit grid group, a legend, and a hover title naming street, section, group, brigade,
  detachment and responsible person; under it the network table with its CSV/Excel downloads
  (report ``jinzhou_streets.network``). ``svg`` downloads the map alone (printable), ``geojson``
  the sections as a GeoJSON FeatureCollection of LineStrings. Any login of the tenant may read
  it (the network is published).
* 值班表 ``/admin/jinzhou-streets-roster/`` — every group's shift roster (弹性工作时间), and a
  form per group (``edit/<grid id>``, tenant administrators): up to six shifts, each with its
  weekdays and start/end ``HH:MM``; a wrong value is named on its field (end after start,
  HH:MM). Saved as the group grid's attribute ``roster`` through the core's grid operation
  (audited); the bulletin's off-roster check reads it.
"""
from __future__ import annotations

import colorsys
import json
import math
import os
from xml.sax.saxutils import escape

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import FieldList, Form, FormField, SelectMultipleField, StringField, widgets

from gridgov.console import context
from gridgov.console.base import apply
from gridgov.extensions import db
from gridgov.models import Grid, Place
from gridgov.operations import grids as grid_ops
from gridgov.operations.common import get
from gridgov.operations.errors import NotFound

from .network import GROUP_LEVEL, SECTION, WEEKDAYS, check_roster, check_shift, roster_shifts, shift_text

PLUGIN = "jinzhou_streets"
CATEGORY = _l("Jinzhou streets")
TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
SHIFT_ROWS = 6


def _english() -> bool:
    from gridgov.console.helpers import is_english

    return is_english()


class _PluginView(BaseView):
    """A tenant page of this plugin: the plugin's templates, the console's access rules, and
    404 for a tenant that does not enable the plugin."""

    console_scope = context.TENANT

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        blueprint.root_path, blueprint.template_folder = os.path.dirname(TEMPLATES), "templates"
        return blueprint

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    def is_visible(self) -> bool:
        tenant = context.current().tenant
        return tenant is not None and PLUGIN in (tenant.enabled_plugins or [])

    def _require_plugin(self) -> None:
        if not self.is_visible():
            abort(404)


# -- the map ----------------------------------------------------------------------------------


def _settings() -> dict:
    from .reports import _settings as settings

    return settings()


def colour(n: int, count: int) -> str:
    """The n-th of ``count`` distinct colours (hues spread round the wheel, two lightnesses
    alternating so neighbours in the legend differ)."""
    hue = (n * 0.61803398875) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.38 if n % 2 else 0.48, 0.75)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def network_features() -> tuple[list[dict], list[dict], list[str]]:
    """(features, groups, undrawn codes): a GeoJSON Feature per section with a ``line``,
    properties naming street, section, group, brigade, detachment, responsible person and the
    group's colour; the groups in code order with their colours; the codes of sections
    without a line."""
    from .reports import _chain, _leaders

    places = list(db.session.scalars(select(Place).where(Place.kind == SECTION).order_by(Place.code)))
    groups = list(db.session.scalars(select(Grid).where(Grid.level == GROUP_LEVEL).order_by(Grid.code)))
    colours = {g.id: colour(n, len(groups)) for n, g in enumerate(groups)}
    leaders = _leaders({g.id for g in groups})
    features, undrawn = [], []
    for p in places:
        a = p.attributes or {}
        if not a.get("line"):
            undrawn.append(p.code)
            continue
        in_group = p.grid.level == GROUP_LEVEL
        group, brigade, detachment = _chain(p.grid) if in_group else ("—", "", "")
        features.append({"type": "Feature", "id": p.code,
                         "geometry": {"type": "LineString", "coordinates": a["line"]},
                         "properties": {"code": p.code, "name": p.name, "street": a.get("street", ""),
                                        "from_to": a.get("from_to", ""), "grade": a.get("grade"),
                                        "width_m": a.get("width_m"), "group": group, "group_code": p.grid.code,
                                        "brigade": brigade, "detachment": detachment,
                                        "responsible": leaders.get(p.grid_id, ""),
                                        "colour": colours.get(p.grid_id, "#888888")}})
    legend = [{"code": g.code, "name": g.name, "colour": colours[g.id], "responsible": leaders.get(g.id, "")}
              for g in groups]
    return features, legend, undrawn


def render_svg(features: list[dict], legend: list[dict], english: bool = False, width: int = 900) -> str:
    """The map as one standalone SVG document: sections as polylines (level-2 streets dashed),
    coloured by group, each with a ``<title>`` (the hover text); the legend on the right.
    Longitude is scaled by cos(latitude) so the streets keep their shape."""
    points = [pt for f in features for pt in f["geometry"]["coordinates"]]
    pad, legend_w, row = 20, 230, 17
    if points:
        lngs, lats = [p[0] for p in points], [p[1] for p in points]
        mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lngs) - min(lngs)) * mid, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        scale = (width - 2 * pad) / max(span_x, span_y)
        map_h = span_y * scale + 2 * pad
    else:
        lngs = lats = [0]
        mid, scale, map_h = 1, 1, 200
    height = int(max(map_h, pad * 2 + row * (len(legend) + 2)))

    def xy(pt):
        return f"{pad + (pt[0] - min(lngs)) * mid * scale:.1f},{pad + (max(lats) - pt[1]) * scale:.1f}"

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="network-map" viewBox="0 0 {width + legend_w} {height}" '
           f'width="{width + legend_w}" height="{height}" font-family="sans-serif" font-size="12" role="img">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f7f7f2" stroke="#ccc"/>']
    for f in features:
        p = f["properties"]
        title = (f"{p['street']}（{p['from_to']}） {p['code']} · {p['group']} · {p['brigade']} · {p['detachment']}"
                 f" · {'Responsible' if english else '责任人'}：{p['responsible'] or '—'}")
        dash = ' stroke-dasharray="6 3"' if p["grade"] == 2 else ""
        out.append(f'<polyline class="section" data-code="{escape(p["code"])}" data-group="{escape(p["group_code"])}" '
                   f'points="{" ".join(xy(pt) for pt in f["geometry"]["coordinates"])}" fill="none" '
                   f'stroke="{p["colour"]}" stroke-width="5" stroke-linecap="round"{dash}>'
                   f'<title>{escape(title)}</title></polyline>')
    x = width + 12
    out.append(f'<text x="{x}" y="{pad}" font-weight="bold">{"Unit grid groups" if english else "单元网格小组"}</text>')
    for n, g in enumerate(legend, 1):
        y = pad + n * row
        out.append(f'<g class="legend-item" data-group="{escape(g["code"])}"><title>{escape(g["name"])} · '
                   f'{"Responsible" if english else "责任人"}：{escape(g["responsible"] or "—")}</title>'
                   f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="{g["colour"]}" stroke-width="5"/>'
                   f'<text x="{x + 28}" y="{y}">{escape(g["name"])}</text></g>')
    y = pad + (len(legend) + 1) * row
    out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="#555" stroke-width="3" '
               f'stroke-dasharray="6 3"/><text x="{x + 28}" y="{y}">{"Level-2 street" if english else "二级街路（四无）"}</text>')
    out.append("</svg>")
    return "\n".join(out)


class NetworkMapView(_PluginView):
    """街路网格地图: the published network drawn from the sections' lines."""

    @expose("/")
    def index(self):
        self._require_plugin()
        from . import reports

        features, legend, undrawn = network_features()
        table = reports.build_network(_request())
        return self.render("jinzhou_streets/map.html", svg=Markup(render_svg(features, legend, _english())),
                           legend=legend, undrawn=undrawn, drawn=len(features), table=table,
                           titles=[c.title("en" if _english() else "zh") for c in table.columns],
                           report_url=url_for("console_reports.index", report=f"{PLUGIN}.network"),
                           downloads={fmt: url_for("console_reports.download", report=f"{PLUGIN}.network", format=fmt)
                                      for fmt in ("csv", "xlsx")})

    @expose("/svg")
    def svg(self):
        self._require_plugin()
        features, legend, _ = network_features()
        return Response(render_svg(features, legend, _english()), mimetype="image/svg+xml",
                        headers={"Content-Disposition": 'attachment; filename="jinzhou-street-network.svg"'})

    @expose("/geojson")
    def geojson(self):
        self._require_plugin()
        features, _, _ = network_features()
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, default=str)
        return Response(body, mimetype="application/geo+json",
                        headers={"Content-Disposition": 'attachment; filename="jinzhou-street-network.geojson"'})


def _request():
    from flask_login import current_user

    from gridgov.reports import ReportRequest

    return ReportRequest(None, None, None, None, None, "en" if _english() else "zh", current_user._get_current_object())


# -- the roster form --------------------------------------------------------------------------


class _CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(html_tag="ul", prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ShiftForm(Form):
    """One shift: its weekdays and its hours. A row left wholly empty is no shift."""

    days = _CheckboxList(_l("Weekdays"), coerce=int, choices=[])
    start = StringField(_l("Start (HH:MM)"), render_kw={"placeholder": "07:00", "size": 6})
    end = StringField(_l("End (HH:MM)"), render_kw={"placeholder": "19:00", "size": 6})

    def is_empty(self) -> bool:
        return not self.days.data and not (self.start.data or "").strip() and not (self.end.data or "").strip()


class RosterForm(FlaskForm):
    shifts = FieldList(FormField(ShiftForm), min_entries=SHIFT_ROWS, max_entries=SHIFT_ROWS)

    def fill_choices(self) -> "RosterForm":
        choices = [(n, WEEKDAYS[n - 1][1] if _english() else "周" + WEEKDAYS[n - 1][0]) for n in range(1, 8)]
        for entry in self.shifts:
            entry.form.days.choices = choices
        return self

    def roster(self) -> list[dict] | None:
        """The shifts entered, or None with each wrong value's reason on its field."""
        shifts, ok = [], True
        for entry in self.shifts:
            sub = entry.form
            if sub.is_empty():
                continue
            shift = {"days": list(sub.days.data or []), "start": (sub.start.data or "").strip(),
                     "end": (sub.end.data or "").strip()}
            for field, reasons in check_shift(shift).items():
                getattr(sub, field).errors = list(getattr(sub, field).errors or []) + reasons
                ok = False
            shifts.append(shift)
        return shifts if ok else None


class _NoRoster:
    attributes: dict = {}


def _group(grid_id) -> Grid:
    try:
        grid = get(Grid, grid_id)
    except NotFound:
        abort(404)
    if grid.level != GROUP_LEVEL:
        abort(404)
    return grid


class RosterView(_PluginView):
    """值班表: the groups' shift rosters, and a form per group."""

    @expose("/")
    def index(self):
        self._require_plugin()
        s = _settings()
        groups = list(db.session.scalars(select(Grid).where(Grid.level == GROUP_LEVEL).order_by(Grid.code)))
        rows = [(g, shift_text(roster_shifts(g, s), _english()), bool((g.attributes or {}).get("roster"))) for g in groups]
        return self.render("jinzhou_streets/rosters.html", rows=rows, may_edit=self._may_edit())

    @staticmethod
    def _may_edit() -> bool:
        return context.role() == "tenant_admin"

    @expose("/edit/<grid_id>", methods=("GET", "POST"))
    def edit(self, grid_id):
        self._require_plugin()
        group = _group(grid_id)
        if not self._may_edit():
            abort(403)
        form = RosterForm().fill_choices()
        if request.method == "GET":
            for entry, shift in zip(form.shifts, (group.attributes or {}).get("roster") or []):
                entry.form.days.data, entry.form.start.data, entry.form.end.data = shift["days"], shift["start"], shift["end"]
        elif form.validate_on_submit():
            shifts = form.roster()
            if shifts is None:
                flash(gettext("The roster was not saved: correct the marked shifts."), "error")
            else:
                def change():
                    attrs = {k: v for k, v in (group.attributes or {}).items()
                             if k not in ("roster", "roster_start", "roster_end")}
                    if shifts:
                        attrs["roster"] = check_roster(shifts)
                    return grid_ops.update_grid(group, attributes=attrs)

                if apply(form, change) is not False:
                    flash(gettext("Roster of %(group)s saved.", group=group.name), "success")
                    return redirect(url_for(".index"))
        default = shift_text(roster_shifts(_NoRoster, _settings()), _english())
        return self.render("jinzhou_streets/roster_edit.html", form=form, group=group, default=default)


def views() -> list[BaseView]:
    return [NetworkMapView(name=_l("Street network map"), endpoint="jinzhou_streets_map", url="jinzhou-streets-map",
                           category=CATEGORY),
            RosterView(name=_l("Shift rosters"), endpoint="jinzhou_streets_roster", url="jinzhou-streets-roster",
                       category=CATEGORY)]
