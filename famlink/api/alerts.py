"""``GET /api/alerts``: the caller's own alerts about families on their caseload.

Like the workspace's alerts page, an alert names a person by public id and
says what happened and where from, never what a record says: no personal
data, so no purpose; names are read through the family operations.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from famlink.adapters.storage.governance.actors import actor_for
from famlink.api import answers
from famlink.api.callers import WORKSPACE_ROLES, BearerToken, scoped
from famlink.api.problems import REFUSALS
from famlink.services.accounts.tokens import Scope
from famlink.services.workspace.alerts import alerts_for
from famlink.web.marks import public

router = Router(tags=["alerts"])


@router.get("/alerts", response={200: list[answers.Alert], **REFUSALS}, auth=BearerToken(Scope.ALERTS_READ, WORKSPACE_ROLES),
            openapi_extra=scoped(Scope.ALERTS_READ, WORKSPACE_ROLES), url_name="api-alerts", summary="Your alerts")
@public
def alerts(request: HttpRequest) -> Any:
    """The caller's alerts: not yet acknowledged first, newest first within each."""
    return [{"id": a.id, "person_id": a.person_id, "kind": a.kind, "summary": a.summary,
             "created_at": a.created_at.isoformat(),
             "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None, "note": a.note}
            for a in alerts_for(actor_for(request.user))]
