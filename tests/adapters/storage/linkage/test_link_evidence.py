"""Stored links explain themselves in the same words whether their evidence is packed or JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import LinkageRun, PairLink
from famlink.adapters.storage.linkage.run import _store_links, latest_run
from famlink.adapters.storage.linkage.store import person_links
from famlink.core.linkage.engine import LinkageResult
from famlink.core.linkage.evidence import IDENTICAL_LABEL
from famlink.core.linkage.explain import explain
from tests.adapters.storage.governance import builders

pytestmark = pytest.mark.django_db

LABELS = {"first_name": {-1: "first name missing", 1: "same first name", 0: "different first names"},
          "date_of_birth": {-1: "date of birth missing", 1: "same date of birth", 0: "different dates of birth"}}


def test_packed_legacy_and_identical_links_read_back_in_words() -> None:
    person = Person.objects.create(display_name="Amy Smith")
    src = builders.source()
    a, b, c, d = (builders.record(src, person) for _ in range(4))
    run = latest_run()
    assert run is not None
    pairs = pd.DataFrame({
        "record_id_l": [str(a.pk)], "record_id_r": [str(b.pk)], "match_probability": [0.9991],
        "match_weight": [10.2], "gamma_first_name": np.array([1], dtype="int8"),
        "w_first_name": np.array([4.1234], dtype="float32"),
        "gamma_date_of_birth": np.array([0], dtype="int8"), "w_date_of_birth": np.array([-2.5], dtype="float32")})
    result = LinkageResult(pairs=pairs, clusters={}, model={}, threshold=0.9, threshold_reason="given",
                           level_labels=LABELS)
    identity = pd.Series([str(a.pk), str(a.pk)], index=[a.pk, c.pk])  # c: identical to a
    _store_links(run, result, pairs, identity)
    legacy = [{"comparison": "dob", "level": 3, "label": "same date of birth", "weight": 6.2}]
    PairLink.objects.create(run=run, record_l=a, record_r=d, match_probability=0.95, match_weight=4.0, levels=legacy)

    links = {link["other_record_id"]: link for link in person_links(person.public_id)}
    assert links[b.pk]["explanation"] == "same first name. against: different dates of birth"
    assert links[b.pk]["evidence"] == [
        {"comparison": "first_name", "level": 1, "label": "same first name", "weight": 4.123},
        {"comparison": "date_of_birth", "level": 0, "label": "different dates of birth", "weight": -2.5}]
    assert links[b.pk]["explanation"] == explain(result.levels(pairs)[0])
    assert links[c.pk]["explanation"] == IDENTICAL_LABEL
    assert links[d.pk]["explanation"] == "same date of birth" and links[d.pk]["evidence"] == legacy
    stored = LinkageRun.objects.get(pk=run.pk)
    assert stored.comparisons == [["first_name", {"-1": "first name missing", "1": "same first name",
                                                  "0": "different first names"}],
                                  ["date_of_birth", {"-1": "date of birth missing", "1": "same date of birth",
                                                     "0": "different dates of birth"}]]
