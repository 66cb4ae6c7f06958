"""The facts a policy decision needs, as small frozen values built by storage.

``decide()`` does no I/O, so the caller gathers everything first: who is
asking (``Actor``), about whom (``Subject``), and the circumstances of this
one request (``Context``: the time, where the data came from, any
break-glass). All fields are plain values so a Django view can build them
from a couple of rows without touching the ORM inside the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from famlink.core.consent.states import ConsentGrant
from famlink.core.roles import Relation, Role
from famlink.core.taxonomy import Purpose, Sector


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone asking to use personal data.

    ``person_id`` links a parent's account to their verified ``Person``
    (None for staff); ``sector`` is the service a member of staff works in,
    which decides whether data is "within service" or "across services".
    """

    id: str
    role: Role
    organisation: str = ""
    purposes: frozenset[Purpose] = frozenset()
    person_id: str | None = None
    sector: Sector | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """The person the requested data is about, and what they have said.

    ``safeguarding_sensitive`` describes the data being requested (a record
    or an address), so storage calls ``decide()`` separately for sensitive
    items. ``sensitive_protects`` names the person(s) the marker protects
    (e.g. the mother whose refuge address sits on the child's record).
    """

    person_id: str
    is_adult: bool
    relation: Relation = Relation.UNRELATED
    opted_out_of_linkage: bool = False
    opted_out_of_sharing: bool = False
    consents: Mapping[Purpose, ConsentGrant] = field(default_factory=dict)
    safeguarding_sensitive: bool = False
    sensitive_protects: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class BreakGlass:
    """A recorded decision to override an opt-out or missing consent for child protection."""

    justification: str
    practitioner_id: str
    authoriser_id: str
    authoriser_valid_until: datetime
    granted_at: datetime
    review_due: date | None = None


@dataclass(frozen=True, slots=True)
class NotificationWithholding:
    """A designated safeguarding lead's time-limited decision not to tell the parent yet."""

    decided_by_id: str
    decided_by_role: Role
    reason: str
    decided_at: datetime
    until: datetime


class ConsentModel(StrEnum):
    """How a purpose rests on what the person says, as the council chose it (docs/governance.md).

    ``consent``: only with a yes (opt-in). ``opt_out``: unless the person
    says no or opts out. ``statutory``: a law named by the council requires
    it, so the person is not asked and cannot opt out.
    """

    CONSENT = "consent"
    OPT_OUT = "opt_out"
    STATUTORY = "statutory"


@dataclass(frozen=True, slots=True)
class ConsentBasis:
    """The consent model one purpose runs under, and the law it rests on when statutory."""

    model: ConsentModel
    lawful_basis: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """This request's circumstances.

    ``source_sectors``: the services the requested data came from (empty
    means unknown, treated as across services). ``source_purposes``: the
    purposes every one of those sources' sharing agreements allows.
    ``consent_basis``: the consent model the council configured for the
    purpose asked about (None: the purpose's own default, ``default_basis``).
    """

    now: datetime
    source_sectors: frozenset[Sector] = frozenset()
    source_purposes: frozenset[Purpose] = frozenset()
    break_glass: BreakGlass | None = None
    withholding: NotificationWithholding | None = None
    consent_basis: ConsentBasis | None = None


@dataclass(frozen=True, slots=True)
class LoggedAccess:
    """One audit-log entry about someone in a parent's family, as the access-log rule sees it.

    ``actor_in_family``: the actor is one of the family, or tied to them (the
    children's other parent, a partner, a child with their own account).
    ``withheld``: a safeguarding lead is, for now, withholding notification
    about the entry's subject. ``break_glass``: a child-protection
    break-glass was put to the policy for this entry, accepted or not and
    whatever the purpose (the entry carries its justification): a linkage
    run deciding an opted-out child under one is such an entry.
    """

    actor_id: str
    actor_role: Role
    allowed: bool
    purpose: Purpose | None = None
    actor_in_family: bool = False
    withheld: bool = False
    break_glass: bool = False


class LogShowing(StrEnum):
    """How an entry appears in a parent's access log."""

    IN_FULL = "in_full"  # who, their role and organisation, why, what
    REFUSAL_ONLY = "refusal_only"  # "a request we refused": when, what and about whom, never who
    NOT_SHOWN = "not_shown"


class ObligationKind(StrEnum):
    AUDIT = "audit"
    SHOW_DISPUTES = "show_disputes"
    NOTIFY_SUBJECT = "notify_subject"
    INDEPENDENT_REVIEW_BY = "independent_review_by"
    WITHHOLD_NOTIFICATION_UNTIL = "withhold_notification_until"
    PSEUDONYMISE = "pseudonymise"
    AGGREGATE_ONLY = "aggregate_only"
    KEEP_FROM_HOUSEHOLD = "keep_from_household"


@dataclass(frozen=True, slots=True)
class Obligation:
    """Something the caller must do if it acts on the decision."""

    kind: ObligationKind
    due: date | None = None

    def __str__(self) -> str:
        return self.kind.value if self.due is None else f"{self.kind.value}:{self.due.isoformat()}"


class ReasonCode(StrEnum):
    # why something was allowed
    OWN_RECORD = "own_record"
    CHILD_UNDER_PR = "child_under_parental_responsibility"
    SENSITIVE_PROTECTS_ACTOR = "sensitive_protects_actor"
    CONSENT_SUFFICIENT = "consent_sufficient"
    NO_CONSENT_NEEDED = "lawful_basis_without_consent"
    STATUTORY_DUTY = "statutory_duty"
    WITHIN_ONE_SERVICE = "within_one_service"
    BREAK_GLASS_ACCEPTED = "break_glass_accepted"
    NOTIFICATION_WITHHELD = "notification_withheld"
    WITHHOLDING_NOT_VALID = "withholding_not_valid"
    # why something was refused
    DENY_BY_DEFAULT = "deny_by_default"
    NO_DATA_CATEGORIES = "no_data_categories"
    PUBLIC_NO_PERSONAL_DATA = "public_no_personal_data"
    AUDITOR_NO_PERSONAL_DATA = "auditor_no_personal_data"
    REVIEWER_NO_PERSONAL_DATA = "reviewer_no_personal_data"
    PARENT_SUBJECT_ACCESS_ONLY = "parent_subject_access_only"
    OTHER_ADULTS_RECORD = "other_adults_record"
    UNRELATED_PERSON = "unrelated_person"
    CHILD_NOW_ADULT = "child_now_adult"
    SAFEGUARDING_SENSITIVE = "safeguarding_sensitive"
    ROLE_NOT_ALLOWED_FOR_PURPOSE = "role_not_allowed_for_purpose"
    NOT_AUTHORISED_FOR_PURPOSE = "not_authorised_for_purpose"
    SOURCE_PURPOSE_MISMATCH = "source_purpose_mismatch"
    CATEGORY_NOT_ALLOWED = "category_not_allowed_for_purpose"
    ACROSS_SERVICES_NOT_ALLOWED = "across_services_not_allowed"
    OPTED_OUT_OF_SHARING = "opted_out_of_sharing"
    OPTED_OUT_OF_LINKAGE = "opted_out_of_linkage"
    CONSENT_MISSING = "consent_missing"
    CONSENT_REFUSED = "consent_refused"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_LEVEL_TOO_LOW = "consent_level_too_low"
    BREAK_GLASS_REQUIRED = "break_glass_required"
    BREAK_GLASS_ONLY_FOR_CHILD_PROTECTION = "break_glass_only_for_child_protection"
    BREAK_GLASS_NOT_YOURS = "break_glass_not_yours"
    BREAK_GLASS_JUSTIFICATION_MISSING = "break_glass_justification_missing"
    BREAK_GLASS_JUSTIFICATION_TOO_SHORT = "break_glass_justification_too_short"
    BREAK_GLASS_NO_AUTHORISER = "break_glass_no_authoriser"
    BREAK_GLASS_SAME_PERSON = "break_glass_same_person"
    BREAK_GLASS_AUTHORITY_EXPIRED = "break_glass_authority_expired"

    @property
    def text(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT: dict[ReasonCode, str] = {
    ReasonCode.OWN_RECORD: "This is your own record.",
    ReasonCode.CHILD_UNDER_PR: "This is the record of a child you have parental responsibility for.",
    ReasonCode.SENSITIVE_PROTECTS_ACTOR: "This information is marked sensitive to protect you.",
    ReasonCode.CONSENT_SUFFICIENT: "The person has given consent, at a high enough level, for this purpose.",
    ReasonCode.NO_CONSENT_NEEDED: "The law allows this use without consent, and the person has not opted out.",
    ReasonCode.STATUTORY_DUTY: "The law requires this use, so the person is not asked and cannot opt out.",
    ReasonCode.WITHIN_ONE_SERVICE: (
        "Matching records within one service is that service's own record keeping: it needs no consent."
    ),
    ReasonCode.BREAK_GLASS_ACCEPTED: (
        "Child protection override: justified in writing, authorised by a second person, "
        "and sent for independent review."
    ),
    ReasonCode.NOTIFICATION_WITHHELD: (
        "A designated safeguarding lead has decided, for a limited time, not to tell the parent yet."
    ),
    ReasonCode.WITHHOLDING_NOT_VALID: (
        "The decision to withhold notification is not valid (expired, too long, or not made by "
        "a different designated safeguarding lead), so the parent will be told."
    ),
    ReasonCode.DENY_BY_DEFAULT: "No rule allows this, so it is refused.",
    ReasonCode.NO_DATA_CATEGORIES: "The request does not say which kinds of data it needs.",
    ReasonCode.PUBLIC_NO_PERSONAL_DATA: "Members of the public can see the registers, never personal data.",
    ReasonCode.AUDITOR_NO_PERSONAL_DATA: "Auditors check the audit log and registers, not personal records.",
    ReasonCode.REVIEWER_NO_PERSONAL_DATA: (
        "Independent reviewers judge whether a child-protection override was justified from its written "
        "reasons, not from the family's records."
    ),
    ReasonCode.PARENT_SUBJECT_ACCESS_ONLY: "Parents see records to see what is held about their family, nothing else.",
    ReasonCode.OTHER_ADULTS_RECORD: "Another adult's own records are never shown, even in the same household.",
    ReasonCode.UNRELATED_PERSON: "This person is not you or a child you have parental responsibility for.",
    ReasonCode.CHILD_NOW_ADULT: "This person is now an adult, so their records are theirs alone.",
    ReasonCode.SAFEGUARDING_SENSITIVE: (
        "This information is marked sensitive to keep someone safe and cannot be shown here."
    ),
    ReasonCode.ROLE_NOT_ALLOWED_FOR_PURPOSE: "Your role cannot use personal data for this purpose.",
    ReasonCode.NOT_AUTHORISED_FOR_PURPOSE: "You are not authorised to act for this purpose.",
    ReasonCode.SOURCE_PURPOSE_MISMATCH: "The organisation that supplied this data has not agreed to this purpose.",
    ReasonCode.CATEGORY_NOT_ALLOWED: "This kind of data cannot be used for this purpose.",
    ReasonCode.ACROSS_SERVICES_NOT_ALLOWED: "This purpose may only use data from your own service.",
    ReasonCode.OPTED_OUT_OF_SHARING: "The person has opted out of sharing their data between services.",
    ReasonCode.OPTED_OUT_OF_LINKAGE: "The person has opted out of having their records linked.",
    ReasonCode.CONSENT_MISSING: "The person has not been asked for, or has not given, consent for this purpose.",
    ReasonCode.CONSENT_REFUSED: "The person refused consent for this purpose.",
    ReasonCode.CONSENT_WITHDRAWN: "The person withdrew consent for this purpose.",
    ReasonCode.CONSENT_EXPIRED: "The person's consent for this purpose has expired and was not renewed.",
    ReasonCode.CONSENT_LEVEL_TOO_LOW: (
        "The person consented only to use within a service, not to sharing across services."
    ),
    ReasonCode.BREAK_GLASS_REQUIRED: (
        "Overriding a refusal or opt-out for child protection needs an authorised break-glass record."
    ),
    ReasonCode.BREAK_GLASS_ONLY_FOR_CHILD_PROTECTION: "Break-glass can only be used for child protection.",
    ReasonCode.BREAK_GLASS_NOT_YOURS: "This break-glass record names a different practitioner.",
    ReasonCode.BREAK_GLASS_JUSTIFICATION_MISSING: "Break-glass needs a written justification.",
    ReasonCode.BREAK_GLASS_JUSTIFICATION_TOO_SHORT: (
        "The break-glass justification is too short to explain the decision."
    ),
    ReasonCode.BREAK_GLASS_NO_AUTHORISER: "Break-glass needs a named authoriser.",
    ReasonCode.BREAK_GLASS_SAME_PERSON: (
        "The authoriser must be a different person from the practitioner using break-glass."
    ),
    ReasonCode.BREAK_GLASS_AUTHORITY_EXPIRED: "The authoriser's authority to approve break-glass has expired.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allow or not, why (words and codes), and what must follow."""

    allow: bool
    codes: tuple[ReasonCode, ...]
    obligations: tuple[Obligation, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(REASON_TEXT[code] for code in self.codes)

    def has(self, kind: ObligationKind) -> bool:
        return any(o.kind is kind for o in self.obligations)

    def due(self, kind: ObligationKind) -> date | None:
        return next((o.due for o in self.obligations if o.kind is kind), None)
