"""The public registers, without signing in, on a phone: axe-core, CSP and layout checks."""

from __future__ import annotations

from typing import Any

import pytest

from famlink.services.governance.audit.publication import publish
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("path", "heading"), [
    ("/registers/algorithms", "Algorithm register"),
    ("/registers/contractors", "Contractor register"),
    ("/transparency/audit-log", "Audit log"),
])
def test_register_pages_are_accessible_without_signing_in(live_server: Any, phone_page: Any, path: str,
                                                          heading: str) -> None:
    publish()  # a published tree head, so the audit-log page has a table to check
    phone_page.goto(f"{live_server.url}{path}")
    assert heading.lower() in phone_page.get_by_role("heading", level=1).inner_text().lower()
    check_page(phone_page, "register-" + path.strip("/").replace("/", "-"))


def test_an_assessment_report_keeps_its_styles_under_the_content_security_policy(live_server: Any, phone_page: Any) -> None:
    import dataclasses
    import json

    import numpy as np
    import pandas as pd

    from famlink.adapters.storage.registers import store
    from famlink.core.assessment import AssessmentInput, assess
    from famlink.core.registers import load_algorithms

    entry = dataclasses.replace(next(e for e in load_algorithms() if e.id == "early-help-v1"), operating_threshold=0.5)
    rng = np.random.default_rng(3)
    p = rng.random(60)
    y = (rng.random(60) < p).astype(int)
    figures = assess(entry, AssessmentInput(y, p, p * 0.8, np.repeat(np.arange(30), 2),
                                            pd.DataFrame({"sex": np.where(np.arange(60) % 2, "F", "M")})),
                     n_boot=50, group_boot=50, min_cell=5, seed=1)
    row = store.record_assessment(json.loads(json.dumps(figures, default=str)))
    phone_page.goto(f"{live_server.url}/registers/algorithms/early-help-v1/assessments/{row.pk}.html")
    assert not phone_page.famlink_problems, phone_page.famlink_problems  # no CSP violation for the stylesheet
    font = phone_page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Times" not in font, f"the report's own stylesheet did not apply ({font})"
