"""What consent costs a linkage run at scale: deciding every person, and clustering under consent.

    PYTHONPATH=. .venv/bin/python bench/linkage/consent_bench.py --persons 300000 --records 1000000 [--postgres URL]

A fresh database (SQLite in --work, or the PostgreSQL database named) with
``--persons`` persons, seven sources in five services, a linkage consent for
half of them (yes), a no for a quarter, and an opt-out of linkage for 1%;
then, timed separately:

- ``gate``: ``LinkageGate.excluded()`` over every person (the bulk reads and
  one ``decide()`` per person), as ``famlink link`` calls it;
- ``standings``: each record's and identity's standing (``across_services``);
- ``cluster``: ``consented_clusters`` over the identities and links, with
  consent and without it (the difference is what consent adds);
- ``outcomes``: each person's ``PersonLinkageOutcome`` (``person_outcomes``).

Records: ``--records`` rows, each its own identity, spread over the persons
(3 to 4 a person) and the sources; links: each person's records chained,
plus one link in fifty to a random other record, probability random.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SOURCES = [("gp", "health"), ("hospital", "health"), ("school", "education"), ("police", "police"),
           ("housing", "housing"), ("welfare", "welfare"), ("care", "childrens_social_care")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/famlink-bench-consent"))
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / "famlink.sqlite3"
    db.unlink(missing_ok=True)
    os.environ["FAMLINK_DATA_DIR"] = str(args.work)
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{db}"
    os.environ.pop("FAMLINK_CONSENT_MODELS", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from famlink.adapters.storage.bulk import insert_rows
    from famlink.adapters.storage.family.models import Person, new_person_id
    from famlink.adapters.storage.governance.models import Consent, OptOut
    from famlink.adapters.storage.sources.models import Organisation, Source
    from famlink.core.linkage.consent import Exclusions
    from famlink.core.linkage.constraints import consented_clusters
    from famlink.core.taxonomy import Purpose
    from famlink.services.linkage.consented import across_services, grouped, person_outcomes
    from famlink.services.linkage.gate import LinkageGate

    if args.postgres:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    draw = random.Random(11)
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        for name, sector in SOURCES:
            org = Organisation.objects.create(name=f"{name} org", sector=sector, organisation_type="public")
            Source.objects.create(name=name, title=name, organisation=org, lawful_basis="public_task",
                                  purposes=[p.value for p in Purpose], retention_years=10, refresh="monthly",
                                  definition_sha256="0" * 64)
        ids = [new_person_id() for _ in range(args.persons)]
        insert_rows(Person, ("public_id", "status", "display_name", "created_at"),
                    [(p, "active", "", at) for p in ids])
        pk_of = dict(Person.objects.values_list("public_id", "pk"))
        consents, opt_outs = [], []
        for p in ids:
            roll = draw.random()
            if roll < 0.5 or 0.5 <= roll < 0.75:
                consents.append((pk_of[p], Purpose.RECORD_LINKAGE.value, "across_services",
                                 "given" if roll < 0.5 else "refused", at,
                                 connection.ops.adapt_datetimefield_value(now + pd.Timedelta(days=300)), 1))
            elif roll > 0.99:
                opt_outs.append((pk_of[p], "linkage", True, 1, at))
        insert_rows(Consent, ("person", "purpose", "level", "state", "recorded_at", "expires_at", "version"),
                    consents)
        insert_rows(OptOut, ("person", "kind", "active", "version", "changed_at"), opt_outs)
    owner = [ids[i % args.persons] for i in range(args.records)]
    records = pd.DataFrame({"id": range(1, args.records + 1),
                            "source": [SOURCES[draw.randrange(len(SOURCES))][0] for _ in range(args.records)]})
    group = pd.Series(owner, index=records.index, dtype=object)
    sectors = dict(SOURCES)
    figures: dict[str, float | int] = {"persons": args.persons, "records": args.records}

    clock = time.perf_counter()
    by_person, sources_by_person = grouped(records, group)
    figures["group_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    exclusions: Exclusions = LinkageGate(now=now).excluded(by_person, sources_by_person)
    figures["gate_s"] = time.perf_counter() - clock
    identity = pd.Series(records["id"].astype(str).to_numpy(), index=records["id"].to_numpy())
    kept = ~records["id"].isin(exclusions.record_ids)
    clock = time.perf_counter()
    across = across_services(records[kept], group[kept], identity, exclusions, sectors)
    figures["standings_s"] = time.perf_counter() - clock
    last: dict[str, str] = {}
    links = []
    for rid, person in zip(records["id"].astype(str), owner, strict=True):
        if person in last:
            links.append((last[person], rid, draw.random()))
        last[person] = rid
    links += [(str(draw.randrange(1, args.records + 1)), str(draw.randrange(1, args.records + 1)), draw.random())
              for _ in range(args.records // 50)]
    kept_ids = records.loc[kept, "id"].astype(str)
    links = [(a, b, p) for a, b, p in links if a in across.service and b in across.service]
    figures["links"] = len(links)
    for label, rule in (("cluster_without_consent_s", None), ("cluster_with_consent_s", across)):
        clock = time.perf_counter()
        clusters, _skipped, apart = consented_clusters(kept_ids, links, (), rule)
        figures[label] = time.perf_counter() - clock
    figures["links_kept_apart"] = len(apart)
    person_of = {int(r): f"c{c}" for r, c in clusters.items()}
    clock = time.perf_counter()
    outcomes = person_outcomes(records[kept], group[kept], person_of, exclusions, sectors, apart)
    figures["outcomes_s"] = time.perf_counter() - clock
    figures["outcomes"] = len(outcomes)
    figures["database"] = connection.vendor
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
