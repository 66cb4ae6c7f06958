"""A family, its chronology and its flags, read for a purpose; an information-sharing decision recorded.

Each operation calls one workspace service (the same ones the workspace
pages call), which asks the door about every member of the family. A member
the door refuses is listed under ``held_back`` with the reasons and the
lawful route; when it refuses every member, the answer is 403 with them.
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from famlink.adapters.storage.governance.actors import actor_for
from famlink.api import answers
from famlink.api.callers import WORKSPACE_ROLES, BearerToken, scoped
from famlink.api.problems import REFUSALS
from famlink.api.reading import Reading, Text, Word, refused_unless_shown
from famlink.core.audit import AuditEvent
from famlink.core.taxonomy import DataCategory, LawfulBasis, Purpose
from famlink.services.accounts.tokens import Scope
from famlink.services.workspace import chronology as chronologies
from famlink.services.workspace import family as families
from famlink.services.workspace import sharing
from famlink.web.marks import personal_data

router = Router(tags=["families"])
PATH = "/families/{name:person_id}"


def _family(request: HttpRequest, person_id: str, reading: Reading) -> dict[str, Any]:
    view = families.family_view(actor_for(request.user), person_id, reading.purpose,
                                break_glass=reading.authorisation(), case_reference=reading.case_reference).as_dict()
    members = view["members"]
    refused_unless_shown(any(m["shown"] for m in members), [h for m in members for h in m["held_back"]])
    return view


@router.get(PATH, response={200: answers.Family, **REFUSALS}, auth=BearerToken(Scope.FAMILIES_READ, WORKSPACE_ROLES),
            openapi_extra=scoped(Scope.FAMILIES_READ, WORKSPACE_ROLES), url_name="api-family", summary="The family")
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
def family(request: HttpRequest, person_id: str, reading: Annotated[Reading, Query()]) -> Any:
    """The family of a person: members, relationships, the professional network, agencies, flags, as the purpose allows."""
    return _family(request, person_id, reading)


class ChronologyQuery(Reading):
    person: Word = Field("", description="Only this member of the family (their person id).")
    agency: Word = Field("", description="Only lines from this organisation.")
    date_from: date | None = Field(None, alias="from", description="Only events on or after this day.")
    date_to: date | None = Field(None, alias="to", description="Only events on or before this day.")


@router.get(f"{PATH}/chronology", response={200: answers.Chronology, **REFUSALS},
            auth=BearerToken(Scope.CHRONOLOGY_READ, WORKSPACE_ROLES), openapi_extra=scoped(Scope.CHRONOLOGY_READ, WORKSPACE_ROLES),
            url_name="api-chronology", summary="The multi-agency chronology")
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
def chronology(request: HttpRequest, person_id: str, query: Annotated[ChronologyQuery, Query()]) -> Any:
    """The multi-agency chronology: newest first, a source organisation on every line, statuses in words, the
    family's statements beside the records they are about; what was held back and why."""
    filters = chronologies.ChronologyFilter(person=query.person, agency=query.agency, date_from=query.date_from,
                                            date_to=query.date_to)
    answer = chronologies.chronology(actor_for(request.user), person_id, query.purpose, filters,
                                     break_glass=query.authorisation(), case_reference=query.case_reference).as_dict()
    refused_unless_shown(bool(answer["lines"]) or not answer["held_back"], answer["held_back"])
    return answer


@router.get(f"{PATH}/flags", response={200: answers.Flags, **REFUSALS}, auth=BearerToken(Scope.FLAGS_READ, WORKSPACE_ROLES),
            openapi_extra=scoped(Scope.FLAGS_READ, WORKSPACE_ROLES), url_name="api-flags", summary="The family's flags, explained")
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
def flags(request: HttpRequest, person_id: str, reading: Annotated[Reading, Query()]) -> Any:
    """The family's flags, each explained: the inputs with the dated, sourced records behind them and the model's
    register entry; never a bare score or a colour."""
    view = _family(request, person_id, reading)
    return {"person_id": view["person_id"], "purpose": view["purpose"], "flags": view["flags"]}


#: One of the statutory guidance's golden rules (``sharing.GOLDEN_RULES``); the service refuses any other.
GoldenRule = Annotated[str, Field(json_schema_extra={"enum": list(sharing.GOLDEN_RULES)})]


class SharingDecisionIn(Schema):
    verdict: Literal["share", "not_share"]
    recipient: Text = Field(description="Who the information was shared with, or asked for by.")
    information: Text = Field(description="What information the decision is about.")
    categories: list[DataCategory] = Field(description="Its kinds of data.")
    reasons: Text = Field(description="Why you decided this.")
    lawful_basis: LawfulBasis
    golden_rules: list[GoldenRule] = Field([], description="The golden rules confirmed: all seven to share.")
    parent_told: bool = True
    not_told_because: Text = ""
    recipient_organisation: Text = Field("", description="The recipient's organisation, if famlink knows it.")
    case_reference: Text = ""
    break_glass: int | None = Field(None, ge=1, le=2_147_483_647, description="A child-protection authorisation.")


class SharingQuery(Schema):
    purpose: Purpose = Field(description="The purpose the decision is made for (required).")


@router.post(f"{PATH}/sharing-decisions", response={201: answers.SharingDecision, **REFUSALS},
             auth=BearerToken(Scope.SHARING_WRITE, WORKSPACE_ROLES), openapi_extra=scoped(Scope.SHARING_WRITE, WORKSPACE_ROLES),
             url_name="api-sharing-decisions", summary="Record an information-sharing decision")
@personal_data(action=AuditEvent.SHARING_DECIDED, subject_kwarg="person_id")
def record_sharing_decision(request: HttpRequest, person_id: str, query: Annotated[SharingQuery, Query()],
                            decision: SharingDecisionIn) -> Any:
    """Record a decision to share or not to share: with whom, what, why, on what lawful basis (statutory guidance's
    golden rules confirmed to share); through the door, with its audit entry in the same transaction."""
    made = sharing.record_sharing_decision(actor_for(request.user), person_id, sharing.SharingDecisionInput(
        verdict=decision.verdict, purpose=query.purpose.value, recipient=decision.recipient,
        information=decision.information, categories=frozenset(c.value for c in decision.categories),
        reasons=decision.reasons, lawful_basis=decision.lawful_basis.value,
        golden_rules=frozenset(decision.golden_rules), parent_told=decision.parent_told,
        not_told_because=decision.not_told_because, recipient_organisation=decision.recipient_organisation,
        case_reference=decision.case_reference, break_glass=decision.break_glass))
    return 201, {"id": made.pk, "person_id": person_id, "verdict": made.verdict, "recipient": made.recipient,
                 "purpose": made.purpose, "lawful_basis": made.lawful_basis, "decided_at": made.decided_at.isoformat()}
