"""A run's leaves and tree hashes stored (COPY on PostgreSQL) and read back byte for byte."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from famlink.adapters.storage.linkage import run_log
from famlink.adapters.storage.linkage.models import LinkageRun
from famlink.core.audit import MerkleTree
from famlink.core.audit.runs import leaf_bytes, run_tree, tree_from_hashes
from famlink.core.errors import NotFound
from famlink.core.linkage.consent import PersonLinkageOutcome
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_leaves_and_tree_round_trip_and_are_read_by_person() -> None:
    family = builders.family("Store")
    run = LinkageRun.objects.get()  # the run builders.record assigned the family's records in
    persons = [f"P{i:05d}" for i in range(1000)] + [family.child.public_id, "Pé-ünïcode"]
    kept = PersonLinkageOutcome("P00007", False, ("consent_refused",), ("police",))
    tree = run_tree((p, leaf_bytes(p, run.pk, date(2026, 12, 4), 2, ("gp", "school"),
                                   kept if p == "P00007" else None)) for p in persons)
    with transaction.atomic():
        run_log.store(run, tree.persons, tree.leaves, tree.hashes, tree.root, audit_index=41)

    found = run_log.leaf_in_tree(run.pk, "P00007")
    assert found.leaf == tree.leaves[found.position] and b'"kept_apart":["police"]' in found.leaf
    again = tree_from_hashes(found.hashes)
    assert again.root() == tree.root == found.root and found.audit_index == 41
    assert isinstance(again, MerkleTree) and len(again) == len(persons)
    stored = {s.person: s for s in run_log.leaves_of(["Pé-ünïcode", family.child.public_id, "nobody"])}
    assert set(stored) == {"Pé-ünïcode", family.child.public_id}
    assert stored["Pé-ünïcode"].leaf == tree.leaves[tree.persons.index("Pé-ünïcode")]
    assert stored["Pé-ünïcode"].audit_index == 41 and stored["Pé-ünïcode"].run == run.pk
    with pytest.raises(NotFound):
        run_log.leaf_in_tree(run.pk, "nobody")
