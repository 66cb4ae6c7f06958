"""decide() latency over a million synthetic subjects (target: p99 < 1 ms).

Run: .venv/bin/python bench/governance/policy_bench.py [--subjects 1000000]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from famlink.core.consent import ConsentGrant, ConsentLevel, ConsentState
from famlink.core.policy import (
    Actor,
    BreakGlass,
    Context,
    Relation,
    Role,
    Subject,
    decide,
)
from famlink.core.taxonomy import DataCategory, Purpose, Sector

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def consent_pool() -> list[dict[Purpose, ConsentGrant]]:
    """A few shared consent maps: storage would build one per person, cheaply."""
    pool: list[dict[Purpose, ConsentGrant]] = [{}]
    for state in ConsentState:
        for level in ConsentLevel:
            pool.append(
                {
                    p: ConsentGrant(
                        p, level, state, NOW - timedelta(days=40), NOW + timedelta(days=300)
                    )
                    for p in Purpose
                }
            )
    return pool


def subjects(n: int, rng: random.Random) -> list[Subject]:
    pool = consent_pool()
    relations = list(Relation)
    out = []
    for i in range(n):
        r = rng.random()
        out.append(
            Subject(
                person_id=f"person-{i}",
                is_adult=r < 0.4,
                relation=relations[i % 4],
                opted_out_of_linkage=r < 0.05,
                opted_out_of_sharing=0.05 <= r < 0.12,
                consents=pool[i % len(pool)],
                safeguarding_sensitive=r > 0.98,
                sensitive_protects=frozenset({"person-x"}) if r > 0.99 else frozenset(),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1_000_000)
    n = parser.parse_args().subjects
    rng = random.Random(11)
    t0 = time.perf_counter()
    people = subjects(n, rng)
    print(f"built {n:,} subjects in {time.perf_counter() - t0:.1f} s")
    # A server builds a few subjects per request, not a million live ones:
    # freeze them so cyclic-GC sweeps of the fixture don't pollute the timings.
    gc.collect()
    gc.freeze()

    actors = [
        Actor("p-1", Role.PARENT, person_id="person-1"),
        Actor("s-1", Role.PRACTITIONER, "Trust", frozenset(Purpose), sector=Sector.HEALTH),
        Actor(
            "s-2",
            Role.SAFEGUARDING_LEAD,
            "Council",
            frozenset(Purpose),
            sector=Sector.CHILDRENS_SOCIAL_CARE,
        ),
        Actor("d-1", Role.DATA_TEAM, "Council", frozenset(Purpose)),
        Actor("pub", Role.PUBLIC),
    ]
    glass = BreakGlass(
        "Child disclosed injury at school; parent refuses sharing.",
        "s-2",
        "lead-9",
        NOW + timedelta(days=30),
        NOW - timedelta(hours=2),
    )
    contexts = [
        Context(NOW, frozenset({Sector.HEALTH}), frozenset(Purpose)),
        Context(NOW, frozenset({Sector.HEALTH, Sector.EDUCATION}), frozenset(Purpose)),
        Context(NOW, frozenset({Sector.POLICE}), frozenset(Purpose), break_glass=glass),
    ]
    purposes = list(Purpose)
    categories = [
        frozenset({DataCategory.HEALTH}),
        frozenset({DataCategory.IDENTITY, DataCategory.CONTACT}),
    ]

    timings = [0] * n
    allowed = 0
    clock = time.perf_counter_ns
    for i, subject in enumerate(people):
        actor = actors[i % 5]
        purpose = purposes[(i // 5) % 8]
        ctx = contexts[i % 3]
        cats = categories[i & 1]
        t = clock()
        d = decide(actor, purpose, subject, cats, ctx)
        timings[i] = clock() - t
        allowed += d.allow
    timings.sort()
    pct = lambda q: timings[min(n - 1, int(n * q))] / 1000  # noqa: E731
    print(
        f"decide() over {n:,} subjects: p50 {pct(0.50):.1f} us, p90 {pct(0.90):.1f} us, "
        f"p99 {pct(0.99):.1f} us, p99.9 {pct(0.999):.1f} us, max {timings[-1] / 1000:.0f} us; "
        f"{allowed:,} allowed"
    )


if __name__ == "__main__":
    main()
