"""Simulated practitioners and API clients for bench/workspace/run.py.

A practitioner starts signed in (second factor passed) with their caseload's
families already opened for direct delivery (bench/workspace/setup.py), and
reads: mostly the family view and the chronology of a family on their
caseload, picked at random. An API client (another system) asks for the
chronology of a caseload family with its bearer token. What each page showed
and held back is counted from the pages themselves and written to
``FAMLINK_BENCH_SHOWN`` when the run stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from pathlib import Path

from locust import HttpUser, between, events, tag, task

SETUP = json.loads(Path(os.environ["FAMLINK_BENCH_WORKSPACE"]).read_text())
PRACTITIONERS = [p for p in SETUP["practitioners"] if p["families"]]
TOKENS = list(SETUP["api_tokens"].values())
FAMILIES = [f for p in PRACTITIONERS for f in p["families"]]
NEXT_PRACTITIONER = itertools.count()
NEXT_CLIENT = itertools.count()
#: Seconds between pages: FAMLINK_BENCH_THINK="low,high".
THINK = tuple(float(x) for x in os.environ.get("FAMLINK_BENCH_THINK", "0.5,2").split(","))
SHOWN: Counter[str] = Counter()


class Practitioner(HttpUser):
    """One of the 50: reads the family view and the chronology of families on their own caseload."""

    wait_time = between(*THINK)
    weight = int(os.environ.get("FAMLINK_BENCH_PRACTITIONER_WEIGHT", "5"))

    def on_start(self) -> None:
        me = PRACTITIONERS[next(NEXT_PRACTITIONER) % len(PRACTITIONERS)]
        self.client.cookies.set(me["cookie"]["name"], me["cookie"]["value"])
        self.families = me["families"]

    @tag("pages")
    @task(3)
    def family(self) -> None:
        person = random.choice(self.families)
        with self.client.get(f"/workspace/families/{person}/", name="family view", allow_redirects=False,
                             catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{page.status_code} {page.headers.get('Location', '')}")

    @tag("pages")
    @task(3)
    def chronology(self) -> None:
        person = random.choice(self.families)
        with self.client.get(f"/workspace/families/{person}/chronology/", name="chronology", allow_redirects=False,
                             catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{page.status_code} {page.headers.get('Location', '')}")


class ApiClient(HttpUser):
    """Another system asking for a chronology with its own token (one service account each)."""

    wait_time = between(*THINK)
    weight = int(os.environ.get("FAMLINK_BENCH_API_WEIGHT", "1"))

    def on_start(self) -> None:
        self.token = TOKENS[next(NEXT_CLIENT) % len(TOKENS)]

    @tag("api")
    @task
    def chronology(self) -> None:
        person = random.choice(FAMILIES)
        with self.client.get(f"/api/families/{person}/chronology", name="API chronology",
                             params={"purpose": "service.direct_delivery", "case_reference": "BENCH/API"},
                             headers={"Authorization": f"Bearer {self.token}"}, catch_response=True) as answer:
            if answer.status_code == 200:
                body = answer.json()
                SHOWN["api answers"] += 1
                SHOWN["api lines"] += len(body.get("events", body.get("lines", [])))
                SHOWN["api held back"] += len(body.get("held_back", []))
            elif answer.status_code == 403:
                SHOWN["api refused (403)"] += 1
                answer.success()  # a refusal is the door's answer, measured like any other
            else:
                answer.failure(str(answer.status_code))


@events.quitting.add_listener
def _write_counts(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("FAMLINK_BENCH_SHOWN"):
        Path(os.environ["FAMLINK_BENCH_SHOWN"]).write_text(json.dumps(SHOWN))
