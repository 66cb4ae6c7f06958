"""Reading linkage results: explanations, links, rejections, the assignments as a frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, Sum
from django.utils import timezone

from famlink.adapters.storage.bulk import KEYS_AT_ONCE, chunks
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import (
    LinkageRun,
    LinkRejection,
    PairLink,
    PersonLinks,
    RecordAssignment,
    latest_run,
)
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.adapters.storage.sources.store import newest_versions
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.linkage.evidence import comparisons_from_json
from famlink.core.linkage.explain import explain, explain_strength
from famlink.core.linkage.packed_links import read as read_packed
from famlink.core.linkage.packed_links import unpack_many

if TYPE_CHECKING:  # pandas loads only for evaluation: web pages read links without it
    import pandas as pd


def person_links(public_id: str) -> list[dict[str, Any]]:
    """Each accepted link inside a person, in words, with its confidence.

    For the portal and workspace: "same date of birth; surnames differ by a
    letter; same postcode", the probability and the same in words. The links
    are those of the person's records in the latest run: its packed row
    (``PersonLinks``) and any ``PairLink`` rows (runs stored before packing),
    strongest first. A link made with a version since replaced names the current version.
    """
    run = latest_run()
    person = Person.objects.filter(public_id=public_id).first()
    if run is None or person is None:
        raise NotFound(f"no linked person {public_id}")
    comparisons = comparisons_from_json(run.comparisons)
    found: list[tuple[int, int, float, list[dict[str, Any]]]] = []
    packed = PersonLinks.objects.filter(run=run, person=person).values_list("links", flat=True).first()
    if packed is not None:
        found += [(link["record_l"], link["record_r"], link["match_probability"], link["evidence"])
                  for link in read_packed(bytes(packed), comparisons)]
    records = RecordAssignment.objects.filter(run=run, person=person).values("record_id")
    found += [(link.record_l_id, link.record_r_id, link.match_probability, link.explanation_levels(comparisons))
              for link in PairLink.objects.filter(run=run, record_l_id__in=records).order_by("id")]
    newest = newest_versions({r for link in found for r in link[:2]})  # a corrected record: its current version
    found = [(newest.get(left, left), newest.get(right, right), probability, levels)
             for left, right, probability, levels in found]
    found.sort(key=lambda link: -link[2])  # stable: ties keep record order
    label = {rid: f"{source} {local_id}" for rid, source, local_id in SourceRecord.objects.filter(
        pk__in={r for link in found for r in link[:2]}).values_list("id", "source__name", "local_id")}
    out = []
    for record_l, record_r, probability, levels in found:
        identical = any(lv.get("comparison") == "identical" for lv in levels)
        out.append({
            "record": label[record_l], "other_record": label[record_r],
            "record_id": record_l, "other_record_id": record_r,
            "match_probability": probability,
            "confidence": explain_strength(probability),
            "explanation": levels[0]["label"] if identical else explain(levels),
            "evidence": levels,
        })
    return out


def run_links(run: LinkageRun) -> pd.DataFrame:
    """Every accepted link of ``run`` (``record_id_l``, ``record_id_r``: ints; ``match_probability``),
    packed or stored a row each."""
    import pandas as pd

    links = unpack_many([bytes(blob) for blob in PersonLinks.objects.filter(run=run)
                         .values_list("links", flat=True).iterator(chunk_size=5000)])
    packed = pd.DataFrame({"record_id_l": links["record_l"], "record_id_r": links["record_r"],
                           "match_probability": links["match_probability"]})
    rows = pd.DataFrame.from_records(list(PairLink.objects.filter(run=run).values_list(
        "record_l_id", "record_r_id", "match_probability").iterator(chunk_size=20000)),
        columns=["record_id_l", "record_id_r", "match_probability"])
    if rows.empty:
        return packed
    return pd.concat([packed, rows.astype(packed.dtypes.to_dict())], ignore_index=True)


def link_count(run: LinkageRun) -> int:
    """How many accepted links ``run`` stored, without reading them."""
    packed = PersonLinks.objects.filter(run=run).aggregate(n=Sum("count"))["n"] or 0
    return int(packed) + PairLink.objects.filter(run=run).count()


def reject_link(record_id: int, *, other_record_id: int | None = None, person_public_id: str | None = None,
                rejected_by: str, reason: str) -> LinkRejection:
    """Record that a record is not the same person as another record, or as a person.

    Applied by every later run as a cannot-link constraint, until withdrawn.
    """
    if not reason.strip() or not rejected_by.strip():
        raise InvalidInput("a rejection needs who made it and why")
    if (other_record_id is None) == (person_public_id is None):
        raise InvalidInput("reject a link to either another record or a person, not both")
    record = SourceRecord.objects.filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"no record {record_id}")
    person, person_records = None, []
    if person_public_id is not None:
        person = Person.objects.filter(public_id=person_public_id).first()
        run = latest_run()
        if person is None or run is None:
            raise NotFound(f"no linked person {person_public_id}")
        person_records = sorted(RecordAssignment.objects.filter(run=run, person=person)
                                .exclude(record_id=record_id).values_list("record_id", flat=True))
    elif other_record_id is None or not SourceRecord.objects.filter(pk=other_record_id).exists():
        raise NotFound(f"no record {other_record_id}")
    return LinkRejection.objects.create(
        record=record, other_record_id=other_record_id, person=person, person_records=person_records,
        rejected_by=rejected_by, reason=reason, created_at=timezone.now())


def rejections_for(record_id: int) -> list[LinkRejection]:
    return list(LinkRejection.objects.filter(Q(record_id=record_id) | Q(other_record_id=record_id),
                                             withdrawn_at__isnull=True))


def assignments_frame() -> pd.DataFrame:
    """source, local_id, person (public id) for every current record the latest run placed
    (a record corrected since is listed once, by its new version, which carries the old one's person)."""
    import pandas as pd

    run = latest_run()
    if run is None:
        raise NotFound("no linkage run yet: run famlink link first")
    rows = RecordAssignment.objects.filter(run=run, record__superseded_by__isnull=True).values_list(
        "record_id", "record__source__name", "record__local_id", "person__public_id")
    return pd.DataFrame.from_records(list(rows.iterator(chunk_size=20000)),
                                     columns=["record_id", "source", "local_id", "person"])


def carry_assignments(replaced_by: dict[int, int]) -> None:
    """A new version belongs to whoever the version it replaces belonged to, until linkage runs
    again (as a correction does): the family goes on seeing the record, now up to date.

    ``replaced_by`` maps an old record id to the id of its new version, from one extract.
    """
    latest: dict[int, tuple[int, int, float | None]] = {}
    for chunk in chunks(replaced_by, KEYS_AT_ONCE):
        for run, record, person, probability in (RecordAssignment.objects.filter(record_id__in=chunk).order_by("run_id")
                                                 .values_list("run_id", "record_id", "person_id", "match_probability")):
            latest[record] = (run, person, probability)
    carried = []
    for old, (run, person, probability) in latest.items():
        new = replaced_by[old]
        while new in replaced_by:  # changed twice in this one file: the latest version is the one shown
            new = replaced_by[new]
        carried.append(RecordAssignment(run_id=run, record_id=new, person_id=person, match_probability=probability))
    RecordAssignment.objects.bulk_create(carried, batch_size=1000)
