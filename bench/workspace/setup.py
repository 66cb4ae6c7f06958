"""Practitioners, caseloads, consents and openings on the loaded portal-bench database, for bench/workspace/run.py.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_workspace_bench FAMLINK_DATA_DIR=/tmp/benchload \\
        .venv/bin/python bench/workspace/setup.py --practitioners 50 --families-each 20 --api-clients 10

Needs a database loaded by ``bench/portal/load.py`` (100,000 families). Makes,
through the real services: ``--practitioners`` staff accounts with a mix of
practitioner jobs and organisations (``provisioning.create_staff``), each with
a caseload of ``--families-each`` families (a child of a household with an
adult, ``caseload.allocate``); direct-delivery consent (across services) for
the members of those households, with a seeded share refusing or never
answering (``consent.change_consent``); an opening per caseload family for
direct delivery under a case reference (``opening.open_family``, so the door
decides and logs it); one signed-in session per practitioner with the second
factor passed (made directly: sign-in and the second factor are not what is
measured); and ``--api-clients`` service accounts with a token each
(``tokens.create_service``), one per simulated API client so none meets the
per-account rate limit. Writes ``$FAMLINK_DATA_DIR/bench-workspace.json``.

Runs again safely: accounts, allocations and answered consents are kept;
openings that ran out (8 hours) are made again; sessions are made afresh;
tokens are kept while the file holds them. Ends with ``ANALYZE`` (see ``analyse``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

#: Share of household members saying yes to direct delivery; SAY_NO say no; the rest never answer.
SAY_YES = 0.8
SAY_NO = 0.1
SEED = 17
#: Practitioner jobs with their organisation (from the registered sources) and the service they work in.
JOBS = [
    ("health_visitor", "Riverside Primary Care Network", "health"),
    ("social_worker", "Riverside Council Children's Services", "childrens_social_care"),
    ("early_help_worker", "Riverside Council Children's Services", "childrens_social_care"),
    ("school_safeguarding_lead", "Riverside Council Education Service", "education"),
    ("early_help_worker", "Riverside Council Housing Service", "housing"),
]
FAMILIES_SQL = """
    SELECT h.id, min(c.person_id) AS child
    FROM family_household h
    JOIN family_householdmembership c ON c.household_id = h.id AND c.role = 'child'
    WHERE EXISTS (SELECT 1 FROM family_householdmembership a WHERE a.household_id = h.id AND a.role = 'adult')
    GROUP BY h.id ORDER BY h.id LIMIT %s
"""


def practitioners(count: int) -> list[str]:
    from famlink.adapters.storage.governance.models import StaffActor
    from famlink.services.accounts.provisioning import create_staff

    names = [f"bench-practitioner-{i}" for i in range(count)]
    have = set(StaffActor.objects.filter(user__username__in=names).values_list("user__username", flat=True))
    for i, name in enumerate(names):
        if name not in have:
            job, organisation, service = JOBS[i % len(JOBS)]
            create_staff(name, job=job, organisation=organisation, service=service)
    return names


def caseloads(names: list[str], each: int) -> dict[str, list[tuple[int, str]]]:
    """Each practitioner's families as (household pk, the child allocated), allocating any not yet allocated."""
    from django.db import connection

    from famlink.adapters.storage.family.models import Person
    from famlink.adapters.storage.workspace.models import CaseAllocation
    from famlink.services.workspace.caseload import allocate_once, end_allocation

    with connection.cursor() as cursor:
        cursor.execute(FAMILIES_SQL, [len(names) * each])
        rows = cursor.fetchall()
    public = dict(Person.objects.filter(pk__in=[child for _, child in rows]).values_list("pk", "public_id"))
    out: dict[str, list[tuple[int, str]]] = {}
    for n, (household, child) in enumerate(rows):
        name = names[n // each]
        for other in (CaseAllocation.objects.filter(person_id=child, to_date__isnull=True,
                                                    staff__user__username__startswith="bench-practitioner-")
                      .exclude(staff__user__username=name).values_list("staff__user__username", flat=True)):
            end_allocation(other, public[child])  # set up before with other numbers: this run's plan wins
        allocate_once(name, public[child], lead=True, case_reference=f"BENCH/{household}")
        out.setdefault(name, []).append((household, public[child]))
    return out


def consents(households: list[int]) -> Counter[str]:
    """Direct-delivery consent for every member of these households: seeded yes / no / no answer per person."""
    from django.utils import timezone

    from famlink.adapters.storage.family.models import HouseholdMembership
    from famlink.adapters.storage.governance.models import Consent
    from famlink.core.consent import ConsentAction, ConsentLevel
    from famlink.core.consent.change import decides_alone
    from famlink.core.people import age_on
    from famlink.core.roles import Relation
    from famlink.core.taxonomy import Purpose
    from famlink.services.governance.consent import ConsentRequest, change_consent

    members = list(HouseholdMembership.objects.filter(household_id__in=households)
                   .select_related("person").order_by("person_id").distinct())
    answered = set(Consent.objects.filter(purpose=Purpose.DIRECT_SERVICE_DELIVERY, organisation__isnull=True,
                                          person__in=[m.person for m in members]).values_list("person_id", flat=True))
    today = timezone.localdate()
    counts: Counter[str] = Counter()
    seen: set[int] = set()
    for member in members:
        person = member.person
        roll = random.Random(f"{SEED}-{person.pk}").random()  # the same answer however many families are set up
        if person.pk in seen:
            continue
        seen.add(person.pk)
        action = ConsentAction.GIVE if roll < SAY_YES else ConsentAction.REFUSE if roll < SAY_YES + SAY_NO else None
        counts["yes" if action is ConsentAction.GIVE else "no" if action else "no answer"] += 1
        if action is None or person.pk in answered:
            continue
        age = age_on(person.date_of_birth, today)
        change_consent(ConsentRequest(
            person=person, purpose=Purpose.DIRECT_SERVICE_DELIVERY, action=action, decided_by_id="bench-workspace",
            decided_by=Relation.OWN if age is None or decides_alone(age) else Relation.CHILD_UNDER_PR,
            level=ConsentLevel.ACROSS_SERVICES, subject_age=30 if age is None else None))
    return counts


def openings(loads: dict[str, list[tuple[int, str]]]) -> tuple[dict[str, list[str]], Counter[str]]:
    """Open each caseload family for direct delivery (the door decides); the families each practitioner opened."""
    from django.contrib.auth import get_user_model

    from famlink.adapters.storage.governance.actors import actor_for
    from famlink.core.errors import AccessDenied
    from famlink.core.taxonomy import Purpose
    from famlink.services.workspace.opening import current_opening, open_family

    opened: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=list(loads))}
    for name, families in loads.items():
        actor = actor_for(users[name])
        for household, child in families:
            if current_opening(actor, child) is None:
                try:
                    open_family(actor, child, Purpose.DIRECT_SERVICE_DELIVERY, f"BENCH/{household}")
                except AccessDenied:
                    counts["refused"] += 1
                    continue
            counts["opened"] += 1
            opened.setdefault(name, []).append(child)
    return opened, counts


def sessions(names: list[str]) -> dict[str, dict[str, str]]:
    """A signed-in session per practitioner, second factor passed (sign-in is not what this bench measures)."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY

    out = {}
    for user in get_user_model().objects.filter(username__in=names):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SECOND_FACTOR_KEY] = True
        session.save()
        out[user.username] = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key or ""}
    return out


def api_clients(count: int, previous: dict[str, Any]) -> dict[str, str]:
    """One service account and token per API client (kept from the last run while the file has them)."""
    from famlink.services.accounts.tokens import Scope, create_service

    kept = previous.get("api_tokens", {})
    tokens = {}
    for i in range(count):
        name = f"bench-api-{i}"
        tokens[name] = kept.get(name) or create_service(
            name, "practitioner", organisation=JOBS[i % len(JOBS)][1],
            scopes=[Scope.CHRONOLOGY_READ.value, Scope.FAMILIES_READ.value]).token
    return tokens


def analyse() -> None:
    """Planner statistics for the bulk-loaded tables: without them PostgreSQL guesses, and guesses badly.

    bench/portal/load.py loads millions of rows at once; on a server with
    autovacuum off (as on the bench machine) no ANALYZE ever follows, and the
    family query scanned every household membership (40 ms) instead of using
    the household index. A council's server analyses on its own
    (autovacuum); a bulk load should be followed by ANALYZE either way.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practitioners", type=int, default=50)
    parser.add_argument("--families-each", type=int, default=20)
    parser.add_argument("--api-clients", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database bench/portal/load.py loaded")
    import django

    django.setup()
    from famlink import config

    path = config.data_dir() / "bench-workspace.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    started = time.perf_counter()
    names = practitioners(args.practitioners)
    loads = caseloads(names, args.families_each)
    print(f"practitioners and caseloads: {time.perf_counter() - started:,.0f} s", flush=True)
    answers = consents([h for families in loads.values() for h, _ in families])
    print(f"consents: {dict(answers)} ({time.perf_counter() - started:,.0f} s)", flush=True)
    opened, counts = openings(loads)
    print(f"openings: {dict(counts)} ({time.perf_counter() - started:,.0f} s)", flush=True)
    analyse()
    print(f"analysed ({time.perf_counter() - started:,.0f} s)", flush=True)
    made = sessions(names)
    result = {
        "practitioners": [{"username": n, "cookie": made[n], "families": opened.get(n, [])} for n in names],
        "api_tokens": api_clients(args.api_clients, previous),
        "consents": dict(answers), "openings": dict(counts),
    }
    path.write_text(json.dumps(result, indent=1))
    print(f"written {path} ({time.perf_counter() - started:,.0f} s)")


if __name__ == "__main__":
    main()
