"""The words the pages put to famlink's values, in the reader's language.

Services hand the pages values (enums, dates), not words; this module is the
one place a page turns a value into words, each marked for translation (the
Welsh catalogue is ``famlink/locale/cy``). Templates use the ``words``
filter: ``{% load words %}{{ record.category|words }}``; a value read
straight from the database as a string names its kind:
``{{ request.status|words:"RequestStatus" }}``.

The downloads are in English and keep their own words
(``famlink.services.rights.download_words``); ``tests/web/test_words.py``
checks the English here is the same, so a page and a download never word
one thing two ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from famlink import config
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.core.audit import AuditEvent
from famlink.core.audit.runs import KeptApartBecause
from famlink.core.consent import ConsentState
from famlink.core.policy import PURPOSE_RULES, ConsentModel, Role
from famlink.core.rights import Clock, RequestKind, RequestStatus
from famlink.core.roles import StaffJob
from famlink.core.taxonomy import Purpose, RecordCategory, RecordStatus

if TYPE_CHECKING:
    from famlink.services.rights.disclosure import RunLine

RECORD_CATEGORY: Mapping[RecordCategory, Promise] = {
    RecordCategory.HEALTH_REGISTRATION: _("Registered with a doctor"),
    RecordCategory.HEALTH_APPOINTMENT: _("Health appointment"),
    RecordCategory.HEALTH_AE_ATTENDANCE: _("Visit to A&E"),
    RecordCategory.EDUCATION_ENROLMENT: _("School place"),
    RecordCategory.EDUCATION_ATTENDANCE: _("School attendance"),
    RecordCategory.EDUCATION_EXCLUSION: _("School exclusion"),
    RecordCategory.SOCIAL_CARE_REFERRAL: _("Referral to children's services"),
    RecordCategory.SOCIAL_CARE_ASSESSMENT: _("Children's services assessment"),
    RecordCategory.SOCIAL_CARE_OUTCOME: _("Children's services outcome"),
    RecordCategory.POLICE_INCIDENT: _("Police incident"),
    RecordCategory.HOUSING_TENANCY: _("Housing tenancy"),
    RecordCategory.HOUSING_ARREARS: _("Rent arrears"),
    RecordCategory.WELFARE_BENEFIT: _("Benefit"),
    RecordCategory.OTHER: _("Other record"),
}
RECORD_STATUS: Mapping[RecordStatus, Promise] = {
    RecordStatus.ATTENDED: _("Attended"),
    RecordStatus.DID_NOT_ATTEND: _("Did not attend"),
    RecordStatus.CANCELLED_BY_PROVIDER: _("Cancelled by the service"),
    RecordStatus.SUBSTANTIATED: _("Concerns confirmed"),
    RecordStatus.UNSUBSTANTIATED: _("Concerns not confirmed (unsubstantiated)"),
    RecordStatus.NO_FURTHER_ACTION: _("No further action"),
    RecordStatus.OPEN: _("Open"),
    RecordStatus.CLOSED: _("Closed"),
    RecordStatus.ONGOING: _("Ongoing"),
}
PURPOSE: Mapping[Purpose, Promise] = {
    Purpose.DIRECT_SERVICE_DELIVERY: _("Giving you a service you use"),
    Purpose.EARLY_HELP_IDENTIFICATION: _("Finding families who might want early help"),
    Purpose.SAFEGUARDING_CHILD_PROTECTION: _("Keeping a child safe from harm (child protection)"),
    Purpose.SERVICE_PLANNING: _("Planning services, using totals only"),
    Purpose.RESEARCH_STATISTICS: _("Research and statistics, with names removed"),
    Purpose.FRAUD_DEBT: _("Checking for fraud or collecting debts"),
    Purpose.SUBJECT_ACCESS: _("Showing you your own information"),
    Purpose.RECORD_LINKAGE: _("Matching records that are about the same person"),
}
#: A consent's answer in a word or two (for one organisation only; the full sentence is on the page).
CONSENT_STATE: Mapping[ConsentState, Promise] = {
    ConsentState.GIVEN: _("Yes"),
    ConsentState.RENEWED: _("Yes (renewed)"),
    ConsentState.REFUSED: _("No"),
    ConsentState.WITHDRAWN: _("No (stopped)"),
    ConsentState.EXPIRED: _("Ran out: no longer counts"),
}
ROLE: Mapping[Role, Promise] = {
    Role.PARENT: _("parent"),
    Role.PRACTITIONER: _("practitioner"),
    Role.SAFEGUARDING_LEAD: _("safeguarding lead"),
    Role.DATA_TEAM: _("data team"),
    Role.DPO: _("dpo"),
    Role.AUDITOR: _("auditor"),
    Role.INDEPENDENT_REVIEWER: _("independent reviewer"),
    Role.PUBLIC: _("public"),
    Role.SYSTEM: _("system"),
}
#: What a member of staff does, as the staff pages' header says it.
STAFF_JOB: Mapping[StaffJob, Promise] = {
    StaffJob.EARLY_HELP_WORKER: _("Early help worker"),
    StaffJob.SOCIAL_WORKER: _("Social worker"),
    StaffJob.HEALTH_VISITOR: _("Health visitor"),
    StaffJob.SCHOOL_SAFEGUARDING_LEAD: _("School safeguarding lead"),
    StaffJob.DESIGNATED_SAFEGUARDING_LEAD: _("Designated safeguarding lead"),
    StaffJob.DATA_TEAM: _("Data team"),
    StaffJob.DPO: _("Data protection officer"),
    StaffJob.INDEPENDENT_REVIEWER: _("Independent reviewer"),
    StaffJob.AUDITOR: _("Auditor"),
}
#: What someone did, in the access log (shown when the entry has no purpose to say why).
AUDIT_EVENT: Mapping[AuditEvent, Promise] = {
    AuditEvent.RECORD_VIEWED: _("Looked at records"),
    AuditEvent.RECORD_EXPORTED: _("Copied records out"),
    AuditEvent.LINK_VIEWED: _("Looked at how records were matched"),
    AuditEvent.DATA_DOWNLOADED: _("Downloaded records"),
    AuditEvent.MODEL_SCORED: _("A computer model used records"),
    AuditEvent.LINKAGE_RUN: _("Matched records"),
    AuditEvent.RECTIFICATION_DECIDED: _("Decided on a request to correct a record"),
    AuditEvent.BREAK_GLASS_USED: _("Looked in an emergency (child protection)"),
    AuditEvent.FAMILY_OPENED: _("Opened the family's records for a stated purpose and case"),
    AuditEvent.SHARING_DECIDED: _("Decided whether to share information"),
    AuditEvent.NOTIFICATION_SENT: _("Told the family"),
}
REQUEST_KIND: Mapping[RequestKind, Promise] = {
    RequestKind.RECTIFICATION: _("Something is wrong"),
    RequestKind.CONTEXT: _("Add your side"),
    RequestKind.NOT_ME: _("This is not me or my child"),
    RequestKind.SUBJECT_ACCESS: _("A copy of everything we hold"),
}
REQUEST_STATUS: Mapping[RequestStatus, Promise] = {
    RequestStatus.RECEIVED: _("We have your request"),
    RequestStatus.IN_PROGRESS: _("Someone is looking at it"),
    RequestStatus.CORRECTED: _("Corrected"),
    RequestStatus.ANNOTATED: _("Your statement was added"),
    RequestStatus.UNLINKED: _("Unlinked"),
    RequestStatus.DECLINED: _("Not changed"),
    RequestStatus.FULFILLED: _("Done"),
}
CLOCK: Mapping[Clock, Promise] = {
    Clock.ON_TIME: _("On time"),
    Clock.DUE_SOON: _("Due soon"),
    Clock.OVERDUE: _("Overdue"),
    Clock.CLOSED: _("Closed"),
}
FLAG_STATUS: Mapping[str, Promise] = {
    FlagNotice.Status.ACTIVE: _("Active"),
    FlagNotice.Status.OBJECTED: _("You objected"),
    FlagNotice.Status.WITHDRAWN: _("Withdrawn"),
}
#: Why records were kept apart, finishing "records from 2 services kept apart ...".
KEPT_APART: Mapping[KeptApartBecause, Promise] = {
    KeptApartBecause.SAID_NO: _("because you said no"),
    KeptApartBecause.NOT_YES: _("because you have not said yes"),
    KeptApartBecause.RULES: _("because the rules on sharing do not allow it"),
}

#: The consent model a purpose runs under, in a few words.
CONSENT_MODEL: Mapping[ConsentModel, Promise] = {
    ConsentModel.CONSENT: _("Only if you say yes"),
    ConsentModel.OPT_OUT: _("Unless you say no"),
    ConsentModel.STATUTORY: _("The law says we must"),
}
_WITHIN_ONE_SERVICE = _("Records from the same service are always matched with each other. That is how the service "
                        "keeps its own records right.")
_CHILD_PROTECTION = _("If a child might be harmed, staff can still go ahead, even if you said no. A senior person "
                      "must agree and write down why.")
_MODEL_SENTENCE: Mapping[ConsentModel, Promise] = {
    ConsentModel.CONSENT: _("We do this only if you say yes."),
    ConsentModel.OPT_OUT: _("We do this unless you say no or opt out."),
    ConsentModel.STATUTORY: _("The law says we must do this, so we do not ask you and you cannot opt out. "
                              "The law is: %(law)s."),
}
_LINKAGE_SENTENCE: Mapping[ConsentModel, Promise] = {
    ConsentModel.CONSENT: _("Records from different services are matched only if you say yes."),
    ConsentModel.OPT_OUT: _("Records from different services are matched unless you say no or opt out."),
    ConsentModel.STATUTORY: _("Records from different services are matched because the law says we must, so we do "
                              "not ask you and you cannot opt out. The law is: %(law)s."),
}


def consent_model_words(purpose: Purpose) -> str:
    """What the council's configuration (``FAMLINK_CONSENT_MODELS``) says about ``purpose``, in plain English.

    The one wording of the consent model: the consent page, the organisations
    page and the algorithm register all show this, from the configuration
    the system runs on (invariant 8).
    """
    basis = config.consent_models()[purpose]
    law = {"law": basis.lawful_basis}
    said = (f"{_WITHIN_ONE_SERVICE} {_LINKAGE_SENTENCE[basis.model] % law}" if purpose is Purpose.RECORD_LINKAGE
            else str(_MODEL_SENTENCE[basis.model]) % law)
    if PURPOSE_RULES[purpose].break_glass and basis.model is not ConsentModel.STATUTORY:
        said = f"{said} {_CHILD_PROTECTION}"
    return said


#: Each kind of value the pages word, by its type (and by name, for a string read from the database).
VOCABULARIES: Mapping[type, Mapping[Any, Promise]] = {
    RecordCategory: RECORD_CATEGORY, RecordStatus: RECORD_STATUS, Purpose: PURPOSE, ConsentState: CONSENT_STATE,
    Role: ROLE, AuditEvent: AUDIT_EVENT, ConsentModel: CONSENT_MODEL, RequestKind: REQUEST_KIND, RequestStatus: REQUEST_STATUS, Clock: CLOCK,
    FlagNotice.Status: FLAG_STATUS, StaffJob: STAFF_JOB,
}
_BY_NAME = {kind.__name__: kind for kind in VOCABULARIES}


def words(value: object, kind: str = "") -> str | Promise:
    """``value`` in words; ``kind`` names its type when ``value`` is a plain string. None or "" is ""."""
    if value is None or value == "":
        return ""
    vocabulary_type = _BY_NAME[kind] if kind else type(value)
    if vocabulary_type not in VOCABULARIES:
        raise TypeError(f"famlink.web.words has no words for {vocabulary_type.__name__} values")
    member = vocabulary_type(value) if kind else value
    found = VOCABULARIES[vocabulary_type].get(member)
    if found is not None:
        return found
    assert isinstance(member, Enum)  # an event with no words of its own yet is worded from its name
    return str(member.value).replace("_", " ").replace(":", ": ")


def run_line(line: RunLine, name: str) -> str:
    """A linkage run's line in the access log: what it did with one person's records (English as ``run_words``)."""
    day = date_format(line.matched_on, "j F Y")
    if line.counts_hidden:
        if line.own:
            return gettext("Your records were matched on %(day)s") % {"day": day}
        return gettext("%(name)s's records were matched on %(day)s") % {"name": name, "day": day}
    joined = ngettext("%(count)d record joined", "%(count)d records joined", line.records_joined) % {
        "count": line.records_joined}
    if line.own:
        said = gettext("Your records were matched on %(day)s: %(joined)s") % {"day": day, "joined": joined}
    else:
        said = gettext("%(name)s's records were matched on %(day)s: %(joined)s") % {
            "name": name, "day": day, "joined": joined}
    if line.services_kept_apart and line.because is not None:
        said += ngettext("; records from %(count)d service kept apart %(because)s",
                         "; records from %(count)d services kept apart %(because)s", line.services_kept_apart) % {
            "count": line.services_kept_apart, "because": KEPT_APART[line.because]}
    if line.break_glass:
        said += gettext("; a child protection check allowed the matching")
    return said
