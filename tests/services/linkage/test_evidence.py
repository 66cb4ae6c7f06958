"""Stored links explain themselves in the same words whether packed per person, a row each, or JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import LinkageRun, PairLink, PersonLinks
from famlink.adapters.storage.linkage.store import link_count, person_links, run_links
from famlink.core.linkage.engine import LinkageResult
from famlink.core.linkage.evidence import IDENTICAL_LABEL, comparisons_to_json
from famlink.core.linkage.explain import explain
from famlink.services.linkage.run import _store_links, latest_run
from tests.common import builders

pytestmark = pytest.mark.django_db

LABELS = {"first_name": {-1: "first name missing", 1: "same first name", 0: "different first names"},
          "date_of_birth": {-1: "date of birth missing", 1: "same date of birth", 0: "different dates of birth"}}


def _result(pairs: list[tuple[int, int, float, int, float, int, float]]) -> LinkageResult:
    """Accepted links as Splink gives them: (left, right, probability, first name level and weight, dob ...)."""
    l_, r_, p, g1, w1, g2, w2 = (list(c) for c in zip(*pairs, strict=True))
    frame = pd.DataFrame({
        "record_id_l": [str(x) for x in l_], "record_id_r": [str(x) for x in r_], "match_probability": p,
        "match_weight": [10.0 * x for x in p], "gamma_first_name": np.array(g1, dtype="int8"),
        "w_first_name": np.array(w1, dtype="float32"), "gamma_date_of_birth": np.array(g2, dtype="int8"),
        "w_date_of_birth": np.array(w2, dtype="float32")})
    return LinkageResult(pairs=frame, clusters={}, model={}, threshold=0.9, threshold_reason="given",
                         level_labels=LABELS)


def _owners(*people: tuple[Person, list[int]]) -> pd.Series:
    return pd.Series({record: person.pk for person, records in people for record in records})


def test_packed_legacy_and_identical_links_read_back_in_words() -> None:
    person = Person.objects.create(display_name="Amy Smith")
    src = builders.source()
    a, b, c, d = (builders.record(src, person) for _ in range(4))
    run = latest_run()
    assert run is not None
    result = _result([(a.pk, b.pk, 0.9991, 1, 4.1234, 0, -2.5)])
    identity = pd.Series([str(a.pk), str(a.pk)], index=[a.pk, c.pk])  # c: identical to a
    assert _store_links(run, result, result.pairs, identity, _owners((person, [a.pk, b.pk, c.pk, d.pk]))) == 2
    legacy = [{"comparison": "dob", "level": 3, "label": "same date of birth", "weight": 6.2}]
    PairLink.objects.create(run=run, record_l=a, record_r=d, match_probability=0.95, match_weight=4.0, levels=legacy)

    links = {link["other_record_id"]: link for link in person_links(person.public_id)}
    assert links[b.pk]["explanation"] == "same first name. against: different dates of birth"
    assert links[b.pk]["evidence"] == [
        {"comparison": "first_name", "level": 1, "label": "same first name", "weight": 4.123},
        {"comparison": "date_of_birth", "level": 0, "label": "different dates of birth", "weight": -2.5}]
    assert links[b.pk]["explanation"] == explain(result.levels(result.pairs)[0])
    assert links[b.pk]["record"] == f"{src.name} {a.local_id}" and links[b.pk]["match_probability"] == 0.9991
    assert links[c.pk]["explanation"] == IDENTICAL_LABEL and links[c.pk]["match_probability"] == 1.0
    assert links[d.pk]["explanation"] == "same date of birth" and links[d.pk]["evidence"] == legacy
    assert [link["other_record_id"] for link in person_links(person.public_id)] == [c.pk, b.pk, d.pk]
    assert PersonLinks.objects.filter(run=run).count() == 1 and link_count(run) == 3
    stored = LinkageRun.objects.get(pk=run.pk)
    assert stored.comparisons == [["first_name", {"-1": "first name missing", "1": "same first name",
                                                  "0": "different first names"}],
                                  ["date_of_birth", {"-1": "date of birth missing", "1": "same date of birth",
                                                     "0": "different dates of birth"}]]


def test_a_person_reads_the_same_links_packed_as_stored_a_row_each() -> None:
    """A run stored before packing (a PairLink row per link) and the same links packed read identically."""
    person = Person.objects.create(display_name="Bo Jones")
    src = builders.source()
    r = [builders.record(src, person) for _ in range(5)]
    result = _result([(r[0].pk, r[1].pk, 0.97, 1, 4.0, 1, 6.5), (r[1].pk, r[2].pk, 0.999, -1, 0.0, 1, 6.5),
                      (r[0].pk, r[3].pk, 0.97, 0, -1.25, 1, 6.5)])
    identity = pd.Series([str(r[0].pk), str(r[0].pk)], index=[r[0].pk, r[4].pk])
    old = latest_run()
    assert old is not None
    old.comparisons = comparisons_to_json(result.comparisons(result.pairs))
    old.save()
    for (_, link), evidence in zip(result.pairs.iterrows(), result.packed_evidence(result.pairs), strict=True):
        PairLink.objects.create(run=old, record_l_id=int(link["record_id_l"]), record_r_id=int(link["record_id_r"]),
                                match_probability=link["match_probability"], match_weight=link["match_weight"],
                                evidence=evidence)
    PairLink.objects.create(run=old, record_l=r[0], record_r=r[4], match_probability=1.0, match_weight=0.0,
                            evidence=b"")
    as_rows = person_links(person.public_id)

    new = LinkageRun.objects.create(started_at=timezone.now(), status=LinkageRun.Status.COMPLETE,
                                    engine="test", model_version="test")
    for record in r:
        new.assignments.create(record=record, person=person)
    _store_links(new, result, result.pairs, identity, _owners((person, [x.pk for x in r])))
    assert latest_run() == new and not PairLink.objects.filter(run=new).exists()
    assert person_links(person.public_id) == as_rows
    assert len(as_rows) == 4 and as_rows[0]["match_probability"] == 1.0


def test_a_link_across_two_persons_is_kept_under_the_person_of_its_left_record() -> None:
    """A cannot-link constraint can split records that links join: no link is dropped."""
    amy, bea = Person.objects.create(display_name="Amy"), Person.objects.create(display_name="Bea")
    src = builders.source()
    a1, a2, b1 = builders.record(src, amy), builders.record(src, amy), builders.record(src, bea)
    run = latest_run()
    assert run is not None
    result = _result([(a1.pk, a2.pk, 0.99, 1, 4.0, 1, 6.5), (a2.pk, b1.pk, 0.95, 1, 4.0, 0, -3.0)])
    _store_links(run, result, result.pairs, pd.Series(dtype=object), _owners((amy, [a1.pk, a2.pk]), (bea, [b1.pk])))
    assert [link["other_record_id"] for link in person_links(amy.public_id)] == [a2.pk, b1.pk]
    assert person_links(bea.public_id) == []
    assert sorted(map(tuple, run_links(run)[["record_id_l", "record_id_r"]].to_numpy().tolist())) == [
        (a1.pk, a2.pk), (a2.pk, b1.pk)]


def test_a_link_from_a_record_with_no_person_is_an_error_not_a_silent_loss() -> None:
    amy = Person.objects.create(display_name="Amy")
    src = builders.source()
    a1, a2 = builders.record(src, amy), builders.record(src, amy)
    run = latest_run()
    assert run is not None
    result = _result([(a1.pk, a2.pk, 0.99, 1, 4.0, 1, 6.5)])
    with pytest.raises(RuntimeError, match="no person"):
        _store_links(run, result, result.pairs, pd.Series(dtype=object), _owners((amy, [a2.pk])))
    assert not PersonLinks.objects.filter(run=run).exists()
