"""The shapes of the workspace answers, for the OpenAPI description (the services build them: ``as_dict``).

Each names the fields a client relies on and allows the rest, so a field a
service adds later reaches clients without a change here.
"""

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class Open(Schema):
    model_config = ConfigDict(extra="allow")


class HeldBack(Open):
    what: str
    categories: list[str]
    reasons: list[str] = Field(description="Why the policy did not show it, in words.")
    reason_codes: list[str]
    lawful_route: str | None = Field(description="The lawful way to ask for it, if there is one (e.g. break-glass).")


class PersonMatch(Open):
    person_id: str
    shown: bool = Field(description="False: someone matched, but this purpose may not show who (reasons say why).")
    name: str | None
    date_of_birth: str | None
    postcodes: list[str]
    reasons: list[str]
    lawful_route: str | None


class Member(Open):
    person_id: str
    shown: bool
    name: str | None
    held_back: list[HeldBack]


class Family(Open):
    person_id: str
    purpose: str
    members: list[Member]
    relationships: list[dict[str, Any]]
    do_not_disclose_address: bool
    do_not_disclose_text: str | None
    professional_network: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    generated_at: str


class Statement(Open):
    statement: str = Field(description="The family's own words, beside the record they are about.")


class Line(Open):
    kind: str = Field(description='"record" or "sharing decision".')
    ref: str
    person_id: str
    person: str
    date: str | None
    date_shown: str
    date_uncertain: str | None = Field(description="How uncertain the date is; null when it is exact.")
    event: str
    organisation: str = Field(description="The source organisation: every line has one.")
    source: str
    status: list[str] = Field(description="In words: substantiated, unsubstantiated, disputed, corrected, expired...")
    note: str
    statements: list[Statement]
    before_correction: list[str]


class HeldBackFrom(HeldBack):
    person: str


class Chronology(Open):
    person_id: str
    purpose: str
    filters: dict[str, Any]
    lines: list[Line]
    held_back: list[HeldBackFrom]
    left_off: int = Field(description="Lines left off beyond the most one answer carries.")
    generated_at: str


class FlagInput(Open):
    label: str
    value: str
    records: list[Line]
    note: str | None


class Flag(Open):
    person: str
    model: str
    register_url: str = Field(description="The model's entry in the public algorithm register.")
    title: str
    raised_on: str
    status: str
    inputs: list[FlagInput] = Field(description="What the model counted, with the dated, sourced records behind it.")
    rests_on_disputed_records: bool


class Flags(Open):
    person_id: str
    purpose: str
    flags: list[Flag]


class SharingDecision(Open):
    id: int
    person_id: str
    verdict: str
    recipient: str
    purpose: str
    lawful_basis: str
    decided_at: str


class Alert(Open):
    id: int
    person_id: str
    kind: str
    summary: str = Field(description="What happened and where from; never what a record says.")
    created_at: str
    acknowledged_at: str | None
    note: str
