"""The forms of the case pages: report a case (上报) and one small form per workflow step.

:data:`STEPS` maps each action of :data:`gridgov.operations.cases.TRANSITIONS` to its form and to
the call into the operations that takes it, so the console adds no rule of its own: whether a
step is possible, who may take it and what its fields must hold are the operations' to decide.
Every step form has an optional time (补录: a paper record entered late), read in the tenant's
time zone.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..attachments import save_attachment
from ..models.cases import CASE_SOURCES, REPORTER_KINDS
from ..operations import cases
from ..plugins import SEVERITIES
from .fields import IdSelectField, LocalDateTimeField, grid_rows, place_rows, unit_rows
from .helpers import is_english, title


def pair_title(pair: tuple[str, str]) -> str:
    """The Chinese or English half of a (zh, en) title pair, for the request's language."""
    return pair[1] if is_english() else pair[0]


def pair_choices(table: dict) -> list[SelectChoice]:
    return [SelectChoice(key, pair_title(pair)) for key, pair in table.items()]


def category_choices(keep: str | None = None) -> list[SelectChoice]:
    """The tenant's case categories; ``keep`` adds a category of a plugin since disabled."""
    cats = cases.categories()
    choices = [SelectChoice(key, f"{title(cat)} ({key})") for key, cat in sorted(cats.items())]
    if keep and keep not in cats:
        choices.append(SelectChoice(keep))
    return choices


def _text(field) -> str:
    return (field.data or "").strip()


class ReportForm(FlaskForm):
    category = SelectField(_l("Category"), validators=[InputRequired()])
    severity = SelectField(_l("Severity"), default="normal")
    grid_id = IdSelectField(_l("Grid"))
    place_id = IdSelectField(_l("Place"), optional=True)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    latitude = StringField(_l("Latitude"), validators=[Optional(), Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[Optional(), Length(max=20)])
    description = TextAreaField(_l("Description"), validators=[InputRequired(), Length(max=4000)])
    source = SelectField(_l("Source"), default="patrol")
    source_ref = StringField(_l("Work-order number"), validators=[Optional(), Length(max=128)])
    reporter_kind = SelectField(_l("Reporter"), default="staff")
    reporter_name = StringField(_l("Reporter's name"), validators=[Optional(), Length(max=100)])
    reporter_contact = StringField(_l("Reporter's contact"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def fill_choices(self) -> "ReportForm":
        self.category.choices = category_choices()
        self.severity.choices = pair_choices(SEVERITIES)
        self.grid_id.set_rows(grid_rows())
        self.place_id.set_rows(place_rows())
        self.source.choices = pair_choices(CASE_SOURCES)
        self.reporter_kind.choices = pair_choices(REPORTER_KINDS)
        return self

    def values(self) -> dict:
        """What :func:`gridgov.operations.cases.report_case` receives; blanks are left out."""
        values = {"category": self.category.data, "severity": self.severity.data, "grid_id": self.grid_id.data,
                  "description": self.description.data, "source": self.source.data,
                  "reporter_kind": self.reporter_kind.data}
        for name in ("place_id", "address", "latitude", "longitude", "source_ref", "reporter_name",
                     "reporter_contact", "note"):
            value = self[name].data
            value = value.strip() if isinstance(value, str) else value
            if value not in (None, ""):
                values[name] = value
        return values


class StepForm(FlaskForm):
    at = LocalDateTimeField(_l("Time (blank: now)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])

    def fill_choices(self, case) -> "StepForm":
        return self


class ReasonForm(StepForm):
    note = None
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=4000)])


class AcceptForm(StepForm):
    category = SelectField(_l("Category"))
    severity = SelectField(_l("Severity"))

    def fill_choices(self, case):
        self.category.choices = category_choices(keep=case.category)
        self.severity.choices = pair_choices(SEVERITIES)
        if not self.is_submitted():
            self.category.data, self.severity.data = case.category, case.severity
        return self


class UnitStepForm(StepForm):
    """Dispatch and escalate: the unit may be left to the grid tree (the operations pick it)."""

    unit_id = IdSelectField(_l("Unit (blank: the unit attached to the grid)"), optional=True)

    def fill_choices(self, case):
        self.unit_id.set_rows(unit_rows(exclude_id=case.unit_id))
        return self


class HandOffForm(StepForm):
    to_unit_id = IdSelectField(_l("Hand off to"))
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=4000)])
    letter_number = StringField(_l("Letter number (交办函编号)"), validators=[Optional(), Length(max=64)])
    letter_text = TextAreaField(_l("Letter text"), validators=[Optional(), Length(max=20000)])
    letter_file = FileField(_l("Scanned letter (PDF or image)"))

    def fill_choices(self, case):
        self.to_unit_id.set_rows(unit_rows(exclude_id=case.unit_id))
        return self


class SpecialCloseForm(StepForm):
    special_reason = TextAreaField(_l("Reason for the special closure"), validators=[InputRequired(), Length(max=4000)])


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])


def _at(form):
    return form.at.data


def _hand_off(case, form):
    """Store the scanned letter first (same transaction), then hand off with its id: if the step
    is refused, the rollback takes the file away again."""
    ids = []
    upload = form.letter_file.data
    if upload is not None and getattr(upload, "filename", ""):
        ids.append(save_attachment("case", case.id, upload.filename, upload, uploaded_by_id=current_user.id).id)
    return cases.hand_off(case, actor=current_user._get_current_object(), to_unit_id=form.to_unit_id.data,
                          reason=_text(form.reason), letter_number=_text(form.letter_number),
                          letter_text=_text(form.letter_text), attachment_ids=ids, note=_text(form.note), at=_at(form))


def _accept(case, form):
    changed = (form.category.data, form.severity.data) != (case.category, case.severity)
    return cases.accept(case, actor=current_user._get_current_object(), note=_text(form.note), at=_at(form),
                        category=form.category.data if changed else None,
                        severity=form.severity.data if changed else None)


def _with_note(function):
    return lambda case, form: function(case, actor=current_user._get_current_object(), note=_text(form.note), at=_at(form))


def _with_reason(function):
    return lambda case, form: function(case, actor=current_user._get_current_object(), reason=_text(form.reason), at=_at(form))


def _to_unit(function):
    return lambda case, form: function(case, actor=current_user._get_current_object(), unit_id=form.unit_id.data,
                                       note=_text(form.note), at=_at(form))


def _close_special(case, form):
    return cases.close(case, actor=current_user._get_current_object(), special_reason=_text(form.special_reason),
                       note=_text(form.note), at=_at(form))


# action → (form class, take the step with the form's data)
STEPS = {
    "accept": (AcceptForm, _accept),
    "reject": (ReasonForm, _with_reason(cases.reject)),
    "dispatch": (UnitStepForm, _to_unit(cases.dispatch)),
    "start": (StepForm, _with_note(cases.start)),
    "wait": (ReasonForm, _with_reason(cases.wait)),
    "resume": (StepForm, _with_note(cases.resume)),
    "escalate": (UnitStepForm, _to_unit(cases.escalate)),
    "hand_off": (HandOffForm, _hand_off),
    "resolve": (StepForm, _with_note(cases.resolve)),
    "verify": (StepForm, _with_note(cases.verify)),
    "reopen": (ReasonForm, _with_reason(cases.reopen)),
    "close": (StepForm, _with_note(cases.close)),
    "close_special": (SpecialCloseForm, _close_special),
}
