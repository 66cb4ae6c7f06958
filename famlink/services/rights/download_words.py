"""The English words of the downloads: the family's JSON, CSV and PDF, and the consent receipts.

The downloads are documented as English (docs/portal.md), so an adviser or
an app reads the same words whatever language the parent's pages were in.
The pages take their words from ``famlink.web.words`` (translatable); a test
there keeps the English of both the same, so a page and a download never
word one thing two ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from famlink.core.audit import AuditEvent
from famlink.core.audit.runs import KeptApartBecause
from famlink.core.consent import ConsentLevel, ConsentState
from famlink.core.policy import Relation, Role
from famlink.core.taxonomy import PURPOSE_LABELS, Purpose, RecordCategory, RecordStatus

if TYPE_CHECKING:
    from famlink.services.rights.disclosure import RunLine

CATEGORY_WORDS: dict[RecordCategory, str] = {
    RecordCategory.HEALTH_REGISTRATION: "Registered with a doctor", RecordCategory.HEALTH_APPOINTMENT: "Health appointment",
    RecordCategory.HEALTH_AE_ATTENDANCE: "Visit to A&E", RecordCategory.EDUCATION_ENROLMENT: "School place",
    RecordCategory.EDUCATION_ATTENDANCE: "School attendance", RecordCategory.EDUCATION_EXCLUSION: "School exclusion",
    RecordCategory.SOCIAL_CARE_REFERRAL: "Referral to children's services",
    RecordCategory.SOCIAL_CARE_ASSESSMENT: "Children's services assessment",
    RecordCategory.SOCIAL_CARE_OUTCOME: "Children's services outcome", RecordCategory.POLICE_INCIDENT: "Police incident",
    RecordCategory.HOUSING_TENANCY: "Housing tenancy", RecordCategory.HOUSING_ARREARS: "Rent arrears",
    RecordCategory.WELFARE_BENEFIT: "Benefit", RecordCategory.OTHER: "Other record",
}
STATUS_WORDS: dict[RecordStatus, str] = {
    RecordStatus.ATTENDED: "Attended", RecordStatus.DID_NOT_ATTEND: "Did not attend",
    RecordStatus.CANCELLED_BY_PROVIDER: "Cancelled by the service", RecordStatus.SUBSTANTIATED: "Concerns confirmed",
    RecordStatus.UNSUBSTANTIATED: "Concerns not confirmed (unsubstantiated)",
    RecordStatus.NO_FURTHER_ACTION: "No further action", RecordStatus.OPEN: "Open", RecordStatus.CLOSED: "Closed",
    RecordStatus.ONGOING: "Ongoing",
}
PURPOSE_WORDS: dict[Purpose, str] = PURPOSE_LABELS
RELATION_WORDS: dict[Relation, str] = {Relation.OWN: "you", Relation.CHILD_UNDER_PR: "your child"}
STATE_WORDS: dict[ConsentState, str] = {
    ConsentState.GIVEN: "Yes", ConsentState.RENEWED: "Yes (renewed)", ConsentState.REFUSED: "No",
    ConsentState.WITHDRAWN: "No (stopped)", ConsentState.EXPIRED: "Ran out: no longer counts",
}
LEVEL_WORDS: dict[ConsentLevel, str] = {
    ConsentLevel.WITHIN_SERVICE: "only the service that holds each record",
    ConsentLevel.ACROSS_SERVICES: "services can share records with each other",
    ConsentLevel.NO_LINKING: "nobody",
}
#: What someone did, for the PDF's access log; any other action is worded from its name.
ACTION_WORDS: dict[AuditEvent, str] = {
    AuditEvent.RECORD_VIEWED: "Looked at records", AuditEvent.RECORD_EXPORTED: "Copied records out",
    AuditEvent.LINK_VIEWED: "Looked at how records were matched", AuditEvent.DATA_DOWNLOADED: "Downloaded records",
    AuditEvent.MODEL_SCORED: "A computer model used records", AuditEvent.LINKAGE_RUN: "Matched records",
    AuditEvent.RECTIFICATION_DECIDED: "Decided on a request to correct a record",
    AuditEvent.BREAK_GLASS_USED: "Looked in an emergency (child protection)",
    AuditEvent.FAMILY_OPENED: "Opened the family's records for a stated purpose and case",
    AuditEvent.SHARING_DECIDED: "Decided whether to share information", AuditEvent.NOTIFICATION_SENT: "Told the family",
}


def status_words(status: RecordStatus | None) -> str:
    return STATUS_WORDS[status] if status else ""


def action_words(action: AuditEvent) -> str:
    return ACTION_WORDS.get(action, action.value.replace("_", " ").replace(":", ": "))


def role_words(role: Role | None) -> str:
    return role.value.replace("_", " ") if role else ""


def not_shown_words(name: str) -> str:
    """Why a child is missing from the family's records (the door no longer lets the parent see them)."""
    return f"{name or 'One of your children'} is not shown. If they are 18 or over, they can ask for their own records."


#: Why records were kept apart, finishing "records from 2 services kept apart ...".
KEPT_APART_WORDS: dict[KeptApartBecause, str] = {
    KeptApartBecause.SAID_NO: "because you said no",
    KeptApartBecause.NOT_YES: "because you have not said yes",
    KeptApartBecause.RULES: "because the rules on sharing do not allow it",
}


def run_words(line: RunLine, name: str) -> str:
    """A linkage run's line in the access log, in English: what it did with one person's records."""
    whose = "Your records" if line.own else f"{name}'s records"
    day = f"{line.matched_on.day} {line.matched_on.strftime('%B')} {line.matched_on.year}"
    if line.counts_hidden:
        return f"{whose} were matched on {day}"
    said = (f"{whose} were matched on {day}: {line.records_joined} "
            f"record{'' if line.records_joined == 1 else 's'} joined")
    if line.services_kept_apart and line.because is not None:
        n = line.services_kept_apart
        said += f"; records from {n} service{'' if n == 1 else 's'} kept apart {KEPT_APART_WORDS[line.because]}"
    if line.break_glass:
        said += "; a child protection check allowed the matching"
    return said
