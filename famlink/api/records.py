"""``GET /api/persons/{public_id}/records``: one person's records, with disputes, statements and versions.

The API's first operation, kept at its first address. What changed when it
moved into the described API (docs/api.md): ``purpose`` is now required (it
was ``service.direct_delivery`` when left out), and errors are problem
details. A parent's purpose is always subject access, whatever is sent.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from famlink.adapters.storage.governance.actors import actor_for
from famlink.api.callers import BearerToken, scoped
from famlink.api.problems import REFUSALS
from famlink.core.audit import AuditEvent
from famlink.core.digits import whole_number
from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.accounts.tokens import Scope
from famlink.services.workspace import records
from famlink.web.marks import personal_data

router = Router(tags=["records"])


class Statement(Schema):
    reference: str
    kind: str
    status: str
    statement: str = Field(description="The family's own words about the record.")
    disputed: bool


class EarlierVersion(Schema):
    version: int
    status: str
    event_date: str | None
    note: str
    received_at: str
    replaced_because: str | None


class Record(Schema):
    disputed: bool = Field(description="The family says the record is wrong and the data team has not answered yet.")
    statements: list[Statement]
    source: str
    local_id: str
    version: int
    category: str
    event_date: str | None
    status: str
    note: str
    received_at: str
    history: list[EarlierVersion] = Field(description="What the record said before each correction, newest first.")


class Identity(Schema):
    name: str
    date_of_birth: str | None


class Address(Schema):
    address: str
    postcode: str
    household: str


class PersonRecords(Schema):
    person: str
    purpose: str
    obligations: list[str] = Field(description="What the policy requires of whoever reads this.")
    identity: Identity | None = None
    addresses: list[Address] | None = None
    records: list[Record]


class RecordsQuery(Schema):
    purpose: Purpose = Field(description="Why you are reading: the policy decides for this purpose.")
    categories: str | None = Field(None, description="Data categories, separated by commas; default: identity, "
                                   "contact and every category the person's records hold.")
    break_glass: str | None = Field(None, description="For child protection: the number of an authorisation.")


def _purpose(asked: Purpose, role: Role) -> Purpose:
    return Purpose.SUBJECT_ACCESS if role is Role.PARENT else asked  # parents see records only to see what is held


def _categories(raw: str | None, public_id: str) -> set[DataCategory]:
    if not raw:
        return {DataCategory.IDENTITY, DataCategory.CONTACT, *records.categories_held(public_id)}
    try:
        return {DataCategory(c.strip()) for c in raw.split(",") if c.strip()}
    except ValueError as error:
        raise InvalidInput(f"unknown data category: {error}", where="categories") from None


def _break_glass(raw: str | None) -> int | None:
    return whole_number(raw, where="break_glass", what="the number of an authorisation") if raw else None


@router.get("/persons/{name:public_id}/records", response={200: PersonRecords, **REFUSALS},
            auth=BearerToken(Scope.RECORDS_READ), openapi_extra=scoped(Scope.RECORDS_READ),
            url_name="api-person-records", summary="One person's records", exclude_unset=True)
@personal_data(action=AuditEvent.RECORD_VIEWED)
def person_records(request: HttpRequest, public_id: str, query: Annotated[RecordsQuery, Query()]) -> Any:
    """One person's records in the categories asked for, as the policy allows, with the family's statements beside them."""
    actor = actor_for(request.user)
    return records.person_records(actor, public_id, _purpose(query.purpose, actor.role),
                                  _categories(query.categories, public_id), _break_glass(query.break_glass))
