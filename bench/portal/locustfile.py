"""Simulated parents for bench/portal/run.py: sign in once, then read their family's pages.

Weights follow what parents do: mostly the records page, sometimes the access
log, now and then a full download (the subject access export).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

from locust import HttpUser, between, tag, task

ACCOUNTS = json.loads(Path(os.environ["FAMLINK_BENCH_ACCOUNTS"]).read_text())
SESSIONS = json.loads(Path(os.environ["FAMLINK_BENCH_SESSIONS"]).read_text()) \
    if os.environ.get("FAMLINK_BENCH_SESSIONS") else []
NEXT = itertools.count()
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


#: Seconds a parent spends on a page before the next: FAMLINK_BENCH_THINK="low,high".
THINK = tuple(float(x) for x in os.environ.get("FAMLINK_BENCH_THINK", "0.5,2").split(","))


class Parent(HttpUser):
    wait_time = between(*THINK)

    def on_start(self) -> None:
        n = next(NEXT)
        if SESSIONS:  # already signed in: steady-state page figures
            cookie = SESSIONS[n % len(SESSIONS)]
            self.client.cookies.set(cookie["name"], cookie["value"])
            return
        account = ACCOUNTS[n % len(ACCOUNTS)]
        page = self.client.get("/sign-in/", name="sign-in form")
        token = TOKEN.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        signed_in = self.client.post("/sign-in/", name="sign in", data={
            "username": account["username"], "password": account["password"],
            "csrfmiddlewaretoken": token.group(1)}, headers={"Referer": f"{self.host}/sign-in/"})
        assert signed_in.url.endswith("/portal/"), f"sign-in failed: {signed_in.url}"

    @tag("data")
    @task(10)
    def records(self) -> None:
        self.client.get("/portal/records/", name="data page /portal/records/")

    @tag("data")
    @task(3)
    def access_log(self) -> None:
        self.client.get("/portal/access-log/", name="/portal/access-log/")

    @tag("export")
    @task(1)
    def export_json(self) -> None:
        self.client.get("/portal/download/family.json", name="SAR export JSON")

    @tag("export")
    @task(1)
    def export_pdf(self) -> None:
        self.client.get("/portal/download/family.pdf", name="SAR export PDF")
