"""All models; importing this module registers every table on the metadata."""
from .audit import AuditEntry
from .events import Event
from .grids import Grid, Unit
from .people import Assignment, Person
from .places import Place
from .tenants import TENANT_ROLES, ApiToken, LoginAttempt, Membership, Tenant, User

__all__ = [
    "ApiToken", "Assignment", "AuditEntry", "Event", "Grid", "LoginAttempt", "Membership",
    "Person", "Place", "TENANT_ROLES", "Tenant", "Unit", "User",
]

from .calendar import CalendarDay, CalendarYear  # noqa: E402  (platform-level working-day calendar)

__all__ += ["CalendarDay", "CalendarYear"]

from .cases import Case, CaseCounter, CaseReminder, CaseTransition, HandOff  # noqa: E402  (issue 3: cases)

__all__ += ["Case", "CaseCounter", "CaseReminder", "CaseTransition", "HandOff"]

from .jobs import JobRecord  # noqa: E402  (issue 3: background jobs)

__all__ += ["JobRecord"]

from .attachments import Attachment  # noqa: E402  (issue 3: attachments)

__all__ += ["Attachment"]

from .open311 import Open311Key, Open311Request  # noqa: E402  (issue 3: Open311 GeoReport v2)

__all__ += ["Open311Key", "Open311Request"]

from .surveys import Survey, SurveyToken  # noqa: E402  (issue 3: satisfaction surveys)

__all__ += ["Survey", "SurveyToken"]

from .assessment import AssessmentResult, AssessmentRun, Judgement  # noqa: E402  (issue 4: assessment engine)

__all__ += ["AssessmentResult", "AssessmentRun", "Judgement"]
