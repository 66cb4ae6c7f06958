"""``GET /api/people``: find a person for a purpose; each match is one door decision, logged.

A match the purpose may not show comes back with no details, only the
door's reasons and the lawful route (``famlink.services.workspace.search``).
"""

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from famlink.adapters.storage.governance.actors import actor_for
from famlink.api import answers
from famlink.api.callers import WORKSPACE_ROLES, BearerToken, scoped
from famlink.api.problems import REFUSALS
from famlink.api.reading import Word
from famlink.core.audit import AuditEvent
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.tokens import Scope
from famlink.services.workspace.search import PersonQuery, find_people
from famlink.web.marks import personal_data

router = Router(tags=["people"])


class Search(Schema):
    purpose: Purpose = Field(description="Why you are looking: the policy decides for this purpose (required).")
    name: Word = Field("", description="At least 2 letters of the name.")
    date_of_birth: date | None = None
    postcode: Word = ""
    nhs_number: Word = Field("", description="10 digits, the last a check digit.")
    upn: Word = Field("", description="A 13-character unique pupil number.")


@router.get("/people", response={200: list[answers.PersonMatch], **REFUSALS}, auth=BearerToken(Scope.PEOPLE_SEARCH, WORKSPACE_ROLES),
            openapi_extra=scoped(Scope.PEOPLE_SEARCH, WORKSPACE_ROLES), url_name="api-people", summary="Find a person")
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="")
def people(request: HttpRequest, search: Annotated[Search, Query()]) -> Any:
    """People matching a name, date of birth, postcode, NHS number or UPN (at least one), as the purpose allows."""
    query = PersonQuery(name=search.name, date_of_birth=search.date_of_birth, postcode=search.postcode,
                        nhs_number=search.nhs_number, upn=search.upn)
    return [match.as_dict() for match in find_people(actor_for(request.user), search.purpose, query)]
