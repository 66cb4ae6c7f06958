"""A row sent again is the record already held, or its next version; never a second record."""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from famlink.core.ingest.repeats import HeldRecord, HeldVersion, Repeat, Update, fates, held_records


def test_the_current_version_is_the_one_nothing_supersedes_and_every_content_counts() -> None:
    held = held_records([
        HeldVersion("A1", 10, 1, "nov", None),
        HeldVersion("A1", 11, 2, "dec", 10),  # the agency changed it
        HeldVersion("A1", 12, 3, "dec", 11),  # then the data team corrected it (a correction keeps the checksum)
        HeldVersion("B7", 20, 1, "nov", None),
    ])
    assert {local_id: (h.current_id, h.current_version, set(h.checksums)) for local_id, h in held.items()} == {
        "A1": (12, 3, {"nov", "dec"}), "B7": (20, 1, {"nov"})}


def test_a_row_is_new_a_repeat_or_the_next_version() -> None:
    held = {"A1": HeldRecord(12, 3, ("nov", "dec"))}
    assert fates([("A1", "nov"), ("A1", "jan"), ("B2", "jan")], held) == [Repeat(12), Update(12, 4), None]


def test_it_stops_before_a_local_id_it_has_just_stored() -> None:
    """The record a repeat or version would point at is not written yet: the caller writes, then asks again."""
    assert fates([("A1", "x"), ("B2", "y"), ("A1", "x")], {}) == [None, None]
    assert fates([("A1", "x"), ("A1", "x")], {"A1": HeldRecord(5, 1, ("x",))}) == [Repeat(5), Repeat(5)]


rows = st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from("xyz")), max_size=30)


@given(rows, st.dictionaries(st.sampled_from("ABCD"), st.frozensets(st.sampled_from("xyz"), min_size=1), max_size=4))
def test_each_row_is_decided_in_order_and_none_twice_stored(batch: list[tuple[str, str]], contents: dict[str, frozenset[str]]) -> None:
    held = {local_id: HeldRecord(i, 1, tuple(checksums)) for i, (local_id, checksums) in enumerate(contents.items())}
    decided = fates(batch, held)
    assert decided == [fates(batch[:i + 1], held)[-1] for i in range(len(decided))]  # a prefix, in order
    stored = [local_id for (local_id, _), fate in zip(batch, decided, strict=False) if not isinstance(fate, Repeat)]
    assert len(stored) == len(set(stored))
    for (local_id, checksum), fate in zip(batch, decided, strict=False):
        assert isinstance(fate, Repeat) == (local_id in held and checksum in held[local_id].checksums)
        assert (fate is None) == (local_id not in held)
    if len(decided) < len(batch):
        assert batch[len(decided)][0] in stored


@given(st.lists(st.tuples(st.sampled_from("AB"), st.sampled_from("xyz")), min_size=1, max_size=8), st.randoms())
def test_the_current_version_does_not_depend_on_the_order_storage_gives(chain: list[tuple[str, str]], random: Random) -> None:
    """Versions of each id chained in order (each supersedes the one before): the last is current."""
    versions, last = [], {}
    for record_id, (local_id, checksum) in enumerate(chain, start=1):
        versions.append(HeldVersion(local_id, record_id, 1 + sum(v.local_id == local_id for v in versions), checksum, last.get(local_id)))
        last[local_id] = record_id
    shuffled = list(versions)
    random.shuffle(shuffled)
    def summary(held: dict[str, HeldRecord]) -> dict[str, tuple[int, int, set[str]]]:
        return {local_id: (h.current_id, h.current_version, set(h.checksums)) for local_id, h in held.items()}

    assert summary(held_records(shuffled)) == summary(held_records(versions))
    assert {local_id: h.current_id for local_id, h in held_records(versions).items()} == last
