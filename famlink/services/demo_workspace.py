"""The demo's practitioners at work, so every protection of the workspace shows in the demo's own data.

Run once, after the caseload is in place, through the same services the pages use:

- ``parent1`` agrees that the services working with the family may use its
  records to help it (``service.direct_delivery``, across services; a child
  of 16 or 17 agrees for themselves), and adds
  their side to one of their child's records: a practitioner opening that
  family sees a chronology with the parent's words beside the record;
- the health visitor records a decision to share with the child's school,
  with every golden rule confirmed;
- ``parent2`` never answered, so a practitioner sees nothing of that family
  for direct delivery, only why and the lawful route. The social worker asks
  the designated safeguarding lead for child-protection access to one child,
  the lead approves, ``parent2`` is told in the portal, and the independent
  reviewer has the authorisation in their queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.models import BreakGlassRequest, Consent
from famlink.adapters.storage.linkage.models import RecordAssignment, latest_run
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.consent import ConsentAction, ConsentLevel
from famlink.core.consent.change import decides_alone
from famlink.core.people import adult_born_by, age_on
from famlink.core.rights.requests import RequestKind
from famlink.core.roles import Relation, StaffJob
from famlink.core.taxonomy import DataCategory, LawfulBasis, Purpose
from famlink.services.accounts.provisioning import DEMO_STAFF
from famlink.services.governance.consent import ConsentRequest, change_consent
from famlink.services.rights import requests
from famlink.services.workspace import break_glass
from famlink.services.workspace.sharing import (
    GOLDEN_RULES,
    SharingDecisionInput,
    record_sharing_decision,
)

STATEMENT = ("He was off school that week because he was in hospital. The school knew; "
             "we sent a note from the ward.")
JUSTIFICATION = ("The school reported bruising on the child's arm today and the family has not answered "
                 "about sharing; a strategy discussion needs the health and school history now.")


def _username(job: StaffJob) -> str:
    return next(m.username for m in DEMO_STAFF if m.job is job)


@dataclass
class WorkspaceScenes:
    consented: int = 0
    statement: str = ""
    sharing: str = ""
    break_glass: str = ""

    def lines(self) -> list[str]:
        return [line for line in (
            f"Workspace: parent1's family agreed to direct delivery across services ({self.consented} people)"
            if self.consented else "",
            self.statement, self.sharing, self.break_glass) if line]


def _children(parent: Person) -> list[Person]:
    return list(Person.objects.filter(
        relationships_to__from_person=parent, relationships_to__kind=Relationship.Kind.PARENT_OF,
        relationships_to__parental_responsibility=True, date_of_birth__gt=adult_born_by(timezone.localdate()))
        .distinct().order_by("public_id"))


def act_out(parent1: Person, parent2: Person) -> WorkspaceScenes:
    """The workspace scenes, each once (the demo runs again safely)."""
    scenes = WorkspaceScenes()
    users = get_user_model()
    family = [parent1, *_children(parent1)]
    if not Consent.objects.filter(person=parent1, purpose=Purpose.DIRECT_SERVICE_DELIVERY).exists():
        for person in family:  # a young person of 16 or 17 says yes for themselves, as the law has it
            age = age_on(person.date_of_birth, timezone.localdate())
            alone = person == parent1 or age is None or decides_alone(age)
            change_consent(ConsentRequest(
                person=person, purpose=Purpose.DIRECT_SERVICE_DELIVERY, action=ConsentAction.GIVE,
                decided_by_id="parent1" if person == parent1 or not alone else person.public_id,
                decided_by=Relation.OWN if alone else Relation.CHILD_UNDER_PR,
                level=ConsentLevel.ACROSS_SERVICES, subject_age=30 if age is None else None))
            scenes.consented += 1
    child = next(iter(family[1:]), None)
    if child is None:
        return scenes
    parent1_user = users.objects.get(username="parent1")
    if not RightsRequest.objects.filter(requested_by=parent1_user, kind=RequestKind.CONTEXT).exists():
        record = _a_record_shown_for_direct_delivery(child)
        if record is not None:
            made = requests.report(actor_for(parent1_user), parent1_user, child, record, RequestKind.CONTEXT, STATEMENT)
            scenes.statement = f"parent1 added their side to a record of their child ({made.reference})"
    if not SharingDecision.objects.filter(subject=child).exists():
        visitor = users.objects.get(username=_username(StaffJob.HEALTH_VISITOR))
        record_sharing_decision(actor_for(visitor), child.public_id, SharingDecisionInput(
            verdict="share", purpose=Purpose.DIRECT_SERVICE_DELIVERY.value,
            recipient="The child's class teacher and school nurse", information="Dates of recent hospital stays",
            categories=frozenset({DataCategory.IDENTITY.value, DataCategory.HEALTH.value}),
            reasons="So the school can support him after his stays in hospital; the family agreed.",
            lawful_basis=LawfulBasis.CONSENT.value, golden_rules=frozenset(GOLDEN_RULES), parent_told=True,
            case_reference=f"DEMO-{child.public_id}"))
        scenes.sharing = "The health visitor recorded a decision to share with parent1's child's school"
    other = next(iter(_children(parent2)), None)
    if other is not None and not BreakGlassRequest.objects.exists():
        social_worker = users.objects.get(username=_username(StaffJob.SOCIAL_WORKER))
        lead = users.objects.get(username=_username(StaffJob.DESIGNATED_SAFEGUARDING_LEAD))
        authoriser = next(s for s in break_glass.authorisers(social_worker) if s.user_id == lead.pk)
        asked = break_glass.ask(social_worker, other.public_id, str(authoriser.pk), JUSTIFICATION,
                                f"DEMO-CP-{other.public_id}")
        authorised = break_glass.approve(lead, asked.pk, "Agreed: the strategy discussion is today.")
        scenes.break_glass = (f"Child-protection access for parent2's child: asked by the social worker, approved by "
                              f"the safeguarding lead (authorisation {authorised.pk}); parent2 told; waiting for review")
    return scenes


def _a_record_shown_for_direct_delivery(child: Person) -> int | None:
    """A current record of the child from a source that shares for direct delivery, the newest first."""
    rows = (RecordAssignment.objects.filter(run=latest_run(), person=child, record__superseded_by__isnull=True)
            .select_related("record__source").order_by("-record__event_date", "-record_id"))
    for row in rows:
        if Purpose.DIRECT_SERVICE_DELIVERY.value in row.record.source.purposes and not row.record.sensitive:
            return int(row.record_id)
    return None
