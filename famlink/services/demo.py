"""The demo the README's first command runs: generate, ingest, link, answers, link again, accounts.

Every step is idempotent, so running the demo again changes nothing: the data
is generated once from a fixed seed, an extract already held is not ingested
again, linkage runs only when an extract arrived after the last run, parents'
simulated answers about matching are recorded once (``demo_answers``: the
first run matches within each service only, since nobody has said yes yet;
the second joins the records of those who said yes across services), and
the demo accounts keep their people and passwords.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.linkage.models import RecordAssignment
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.adapters.storage.sources.models import Extract
from famlink.adapters.storage.sources.store import holdings
from famlink.core.errors import FamlinkError
from famlink.core.people import adult_born_by
from famlink.core.private_files import private_folder, write_private
from famlink.core.registers.algorithms import find_algorithm
from famlink.core.rights.requests import Outcome, RequestKind
from famlink.core.roles import Role, StaffJob
from famlink.core.taxonomy import RecordStatus
from famlink.services.accounts.provisioning import (
    DEMO_STAFF,
    demo_accounts,
    demo_parent_candidates,
    demo_refuge_parents,
)
from famlink.services.demo_answers import (
    answered,
    held_apart,
    said_yes,
    simulate_answers,
    spans_services,
)
from famlink.services.demo_workspace import act_out
from famlink.services.governance.audit.publication import publish
from famlink.services.linkage.run import latest_run, link_records
from famlink.services.registers.early_help import run_early_help
from famlink.services.registers.record_linkage import LINKAGE_MODEL_ID, assess_record_linkage
from famlink.services.rights import requests
from famlink.services.sources.ingest import ingest_extract
from famlink.services.workspace.caseload import allocate_once
from famlink.synth import generate

DEMO_SEED = 2026
DEMO_PARENTS = ("parent1", "parent2")
#: parent1 said yes to matching across services; parent2 never answered, so their records stay apart
ANSWERS = {"parent1": "said yes to matching across services: sees records from several services, matched",
           "parent2": "never answered about matching: records from different services not matched"}
#: A mother who stayed in a refuge with her children, and their father, who must never see where.
REFUGE_PARENTS = ("parent3", "parent4")
WHO = {**ANSWERS, "parent3": "stayed in a refuge with her child: sees its address",
       "parent4": "the father they left: sees the child's records, never the refuge"}


@dataclass
class DemoSummary:
    data_dir: Path
    ingested: dict[str, int] = field(default_factory=dict)
    linked: bool = False
    totals: dict[str, int] = field(default_factory=dict)
    accounts: list[dict[str, str | None]] = field(default_factory=list)
    accounts_file: Path | None = None
    early_help: str = ""
    linkage_quality: str = ""
    correction: str = ""
    answers: dict[str, int] = field(default_factory=dict)
    caseload: int = 0
    workspace: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Demo data in {self.data_dir}"]
        out += [f"  {name}: {value:,}" for name, value in self.totals.items()]
        if self.answers:
            out.append("Simulated answers to matching across services: "
                       + ", ".join(f"{said} {n:,}" for said, n in self.answers.items()))
        if self.linkage_quality:
            out.append(f"Record-linkage model, assessed against the synthetic truth: {self.linkage_quality}")
        out.append(f"Early-help model: {self.early_help}")
        if self.correction:
            out.append(f"Correction: {self.correction}")
        out += self.workspace
        if self.caseload:
            out.append(f"Caseload: {self.caseload} children of parent1 and parent2 allocated to each practitioner "
                       f"({', '.join(PRACTITIONERS)}; {LEAD} leads)")
        if self.accounts:
            out.append("Demo sign-ins (also in " + str(self.accounts_file) + "):")
            out += [f"  {a['role']:<28} {a['username']:<13} password {a['password']}"
                    + (f"  ({WHO[str(a['username'])]})" if a["username"] in WHO else "") for a in self.accounts]
            out.append("  Staff also enter a security code: set up an authenticator app with their totp_secret from "
                       "that file (already confirmed).")
        return out


def prepare_demo(out_dir: Path, *, families: int, progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    if not (out_dir / "truth.csv").exists():
        private_folder(out_dir)  # synthetic, but shaped like families' records
        generate(families, DEMO_SEED, out_dir, progress=progress)
    summary = DemoSummary(out_dir)
    for definition in sorted((out_dir / "sources").glob("*.toml")):
        extract = out_dir / "extracts" / f"{definition.stem}.csv"
        report = ingest_extract(definition, extract, progress=progress)
        summary.ingested[definition.stem] = report.accepted
    run = latest_run()
    newest = Extract.objects.filter(status=Extract.Status.COMPLETE).order_by("-completed_at").first()
    if run is None or (newest and newest.completed_at and newest.completed_at > run.started_at):
        link_records(linkage_engine())  # the default engine: DuckDB, in-process
        summary.linked = True
    if not answered():  # answers are recorded against persons, so after a first run
        summary.answers = simulate_answers(out_dir, DEMO_SEED)
        link_records(linkage_engine())  # those who said yes: their records joined across services
        summary.linked = True
    if summary.linked:
        summary.linkage_quality = _record_linkage(out_dir)
    summary.early_help = _early_help(out_dir)
    parents = _demo_parents(out_dir)
    summary.accounts = demo_accounts([person for _, person in parents], [name for name, _ in parents])
    summary.caseload = _demo_caseload([person for name, person in parents if name in DEMO_PARENTS])
    summary.correction = _demo_correction((*DEMO_PARENTS[1:], *REFUGE_PARENTS, DEMO_PARENTS[0]))  # parent1 last: the README walk-through
    ordinary = dict(parents)
    if all(name in ordinary for name in DEMO_PARENTS):
        summary.workspace = act_out(ordinary[DEMO_PARENTS[0]], ordinary[DEMO_PARENTS[1]]).lines()
    summary.accounts_file = out_dir.parent / "demo-accounts.json"
    write_private(summary.accounts_file, json.dumps(summary.accounts, indent=2).encode(), replace=True)
    summary.totals = holdings()
    publish()  # so every access so far has an inclusion proof parents can download
    return summary


def _record_linkage(out_dir: Path) -> str:
    """Assess the matching model against the synthetic truth, so the algorithm register shows its quality."""
    figures = assess_record_linkage(find_algorithm(LINKAGE_MODEL_ID), out_dir / "truth.csv")
    h = figures["headline"]
    return (f"{'passed' if figures['passed'] else 'failed'} (precision {h['pairwise_precision']:.4f}, "
            f"recall {h['pairwise_recall']:.4f})")


def _early_help(out_dir: Path) -> str:
    """Assess the example model and score with it if it may run; say what happened either way."""
    try:
        result = run_early_help(out_dir, n_boot=200)
    except FamlinkError as error:
        return f"not assessed: {error.text}"
    verdict = "passed" if result["assessment_passed"] else "failed, so it is suspended"
    return f"assessment {verdict} (AUROC {result['auroc']:.3f}); scoring run: {result['run']}"


#: The demo's practitioners, who hold parent1's and parent2's children on their caseload; the social worker leads.
PRACTITIONERS = tuple(m.username for m in DEMO_STAFF if m.job.role is Role.PRACTITIONER)
LEAD = next(m.username for m in DEMO_STAFF if m.job is StaffJob.SOCIAL_WORKER)
LEAD_CONTACT = "Riverside children's services duty desk, 01632 960000 (fictional)"


def _demo_caseload(parents: list[Person]) -> int:
    """Each practitioner works with the demo parents' children, so the workspace has families and alerts. Once."""
    children = list(Person.objects.filter(relationships_to__from_person__in=parents,
                                          relationships_to__kind=Relationship.Kind.PARENT_OF,
                                          relationships_to__parental_responsibility=True)
                    .distinct().order_by("public_id"))
    for child in children:
        for username in PRACTITIONERS:
            lead = username == LEAD
            allocate_once(username, child.public_id, lead=lead, contact=LEAD_CONTACT if lead else "",
                          case_reference=f"DEMO-{child.public_id}")
    return len(children)


#: what the demo parent says, and what the data team finds: the research's cancelled appointment
DISPUTE = "The hospital cancelled this appointment. We did not miss it."
FINDING = "The hospital's letter shows it cancelled the appointment itself."


def _demo_correction(usernames: tuple[str, ...]) -> str:
    """A demo parent reports a "did not attend" in their family that the hospital had in fact cancelled,
    and the data team corrects it, both through the same services the pages use: so the demo shows a
    corrected record (its new version in every view, the old one kept as superseded). Once only.

    The first parent in ``usernames`` whose family has such a record (``parent1`` last: the README asks
    you to make a correction yourself as ``parent1``).
    """
    users = get_user_model()
    team = users.objects.get(username="datateam")
    if RightsRequest.objects.filter(requested_by__username__in=usernames, kind=RequestKind.RECTIFICATION).exists():
        return ""
    for username in usernames:
        parent = users.objects.get(username=username)
        missed = _missed_appointments(Account.objects.get(user=parent).person)
        if not missed:
            continue
        made = requests.report(actor_for(parent), parent, missed[0].person, missed[0].record_id,
                               RequestKind.RECTIFICATION, DISPUTE)
        requests.decide(actor_for(team), team, made.reference, Outcome.CORRECT, FINDING,
                        correction=requests.Correction(status=RecordStatus.CANCELLED_BY_PROVIDER.value))
        return (f"{username} reported a missed appointment the hospital had cancelled ({made.reference}); "
                "the data team corrected it")
    return "none: no demo family has a missed appointment to dispute"


def _missed_appointments(person: Person | None) -> list[RecordAssignment]:
    """Current "did not attend" records of a person and their children under 18 (whose records a parent
    may see and dispute), oldest record first."""
    if person is None:
        return []
    children = Relationship.objects.filter(from_person=person, kind=Relationship.Kind.PARENT_OF,
                                           to_person__date_of_birth__gt=adult_born_by(timezone.localdate()))
    family = {person.pk, *children.values_list("to_person", flat=True)}
    return list(RecordAssignment.objects
                .filter(run=latest_run(), person__in=family, record__status=RecordStatus.DID_NOT_ATTEND,
                        record__superseded_by__isnull=True)
                .select_related("person").order_by("record_id"))


def _held(names: tuple[str, ...]) -> list[Person] | None:
    """The people these demo sign-ins belong to, if every one was made before."""
    held = [Account.objects.filter(user__username=name).select_related("person").first() for name in names]
    people = [account.person for account in held if account is not None and account.person is not None]
    return people if len(people) == len(names) else None


def _demo_parents(out_dir: Path) -> list[tuple[str, Person]]:
    """The demo parent sign-ins and the people they belong to: kept once chosen.

    Two parents whose records show the problems parents told us about (the
    first said yes to matching across services, the second never answered),
    then, where linkage found one, a refuge family's mother and father.
    """
    refuge = _held(REFUGE_PARENTS) or list(demo_refuge_parents() or ())
    ordinary = _held(DEMO_PARENTS)
    if ordinary is None:
        run = latest_run()
        missed = set(RecordAssignment.objects.filter(run=run, record__status=RecordStatus.DID_NOT_ATTEND)
                     .values_list("person_id", flat=True)) if run else set()
        candidates = demo_parent_candidates(50, prefer_children=missed, taken=refuge)
        yes = [p for p in candidates if said_yes(p) and spans_services(p)]
        unanswered = [p for p in candidates if said_yes(p) is None and held_apart(p, out_dir)]
        ordinary = [*yes[:1], *unanswered[:1]] if yes and unanswered else candidates[:len(DEMO_PARENTS)]
    return [*zip(DEMO_PARENTS, ordinary, strict=False), *zip(REFUGE_PARENTS, refuge, strict=False)]
