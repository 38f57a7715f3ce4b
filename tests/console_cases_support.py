"""Helpers for the console's case and calendar tests: a browser signed in as any login of a
:class:`cases_support.World`, and a case of every record kind for the isolation walk."""
from __future__ import annotations

import io
import re

from conftest import in_tenant
from console_support import Console
from sqlalchemy import select

from gridgov.attachments import save_attachment
from gridgov.extensions import db
from gridgov.models import Case, CaseTransition, Grid, HandOff, Unit, User
from gridgov.models.attachments import Attachment
from gridgov.operations import cases, registers

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACTION_RE = re.compile(r'data-action="([a-z_]+)"')


class Browser(Console):
    """A console client signed in as a login through its session (the World's logins have no
    password; the login form itself is tested in test_console_auth.py)."""

    def __init__(self, app, user_id: int):
        super().__init__(app.test_client())
        with self.client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True

    def text(self, url: str, **kw) -> str:
        response = self.get(url, **kw)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def follow(self, url: str, data: dict | None = None, **kw) -> str:
        """POST with the CSRF token and follow the redirect; the final page's text."""
        response = self.post(url, data, follow_redirects=True, **kw)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


def buttons(html: str) -> list[str]:
    """The step buttons on a case page, in order."""
    return ACTION_RE.findall(html)


def populate_cases(app, tenant, marker: str, ids: dict, username: str) -> dict:
    """A case handed off with a letter and an attachment, each carrying ``marker``; adds the ids
    of Case, CaseTransition, HandOff and Attachment to ``ids`` (the walk opens them by id)."""
    with in_tenant(app, tenant):
        actor = db.session.scalar(select(User).where(User.username == username))
        brigade = registers.create(Unit, {"code": f"{marker}-B", "name": f"{marker} brigade"})
        case = cases.report_case({"category": "core.general", "grid_id": ids[Grid][1],
                                  "description": f"{marker} blocked fire exit", "address": f"{marker} road 1"}, actor=actor)
        cases.accept(case, actor=actor, note=f"{marker} accepted")
        cases.dispatch(case, actor=actor, unit_id=ids[Unit][0])
        letter = save_attachment("case", case.id, f"{marker}-letter.png", io.BytesIO(PNG), uploaded_by_id=actor.id)
        record = cases.hand_off(case, actor=actor, to_unit_id=brigade.id, reason=f"{marker} reason",
                                letter_number=f"{marker}-001", letter_text=f"{marker} letter", attachment_ids=[letter.id])
        steps = list(db.session.scalars(select(CaseTransition.id).where(CaseTransition.case_id == case.id)))
        ids[Unit].append(brigade.id)
        ids.update({Case: [case.id], CaseTransition: steps, HandOff: [record.id], Attachment: [letter.id]})
    return ids

