"""One linkage API over interchangeable backends (after Splink's DatabaseAPI).

The standard input table has one row per record: ``record_id`` (unique str),
``source`` and the identifying fields in ``STANDARD_COLUMNS``, plus any extra
identifier columns named ``id_<name>``. Columns may be absent or empty; the
comparisons are built from what is present, so an engine works on data it has
never seen. The engines themselves (Splink on DuckDB or Spark) are adapters
(``famlink.adapters.linkage``); a use case takes one from its caller, as
Splink's ``Linker`` takes a database API, so the domain names no backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from famlink.core.errors import FamlinkError
from famlink.core.linkage.constraints import AcrossServices
from famlink.core.linkage.evidence import Comparisons, pack, unpack
from famlink.core.linkage.normalise import STANDARD_COLUMNS

__all__ = ["STANDARD_COLUMNS", "LinkageEngine", "LinkageResult"]


@dataclass
class LinkageResult:
    """What a linkage run found, kept so a person can check each link.

    ``pairs`` has one row per scored pair above the floor: ``record_id_l``,
    ``record_id_r``, ``match_probability``, ``match_weight``, ``linked`` (used
    for clustering), ``held_back`` (a guard's reason for not linking, or None)
    and per comparison ``gamma_<name>`` (the level hit, Splink's numbering)
    and ``w_<name>`` (its match weight in bits). ``packed_evidence`` packs rows as
    stored (``evidence``); ``levels`` gives the ``{"comparison", "level",
    "label", "weight"}`` dicts that ``explain`` turns into words.
    ``clusters`` maps every record_id to a cluster_id (singletons included).
    ``model`` is the trained Splink model JSON, loadable by either backend.
    """

    pairs: pd.DataFrame
    clusters: dict[str, str]
    model: dict[str, Any]
    threshold: float
    threshold_reason: str
    stats: dict[str, Any] = field(default_factory=dict)
    #: comparison -> level number -> label
    level_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    #: record pairs the guards hold to be two people; clustering never joins them
    cannot_link: list[tuple[str, str]] = field(default_factory=list)

    def cluster_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"record_id": list(self.clusters), "cluster_id": list(self.clusters.values())})

    def comparisons(self, rows: pd.DataFrame) -> Comparisons:
        """The comparisons ``rows`` (a slice of ``pairs``) carry, with their level labels."""
        return [(c, labels) for c, labels in self.level_labels.items() if f"gamma_{c}" in rows]

    def packed_evidence(self, rows: pd.DataFrame) -> list[bytes]:
        """Each row's evidence as stored (``evidence.pack``), built column-wise:
        storing a million links must not mean a million lists of dicts."""
        names = [c for c, _labels in self.comparisons(rows)]
        return pack(rows[[f"gamma_{c}" for c in names]].to_numpy(dtype="int8"),
                    rows[[f"w_{c}" for c in names]].to_numpy(dtype="float32"))

    def levels(self, rows: pd.DataFrame) -> list[list[dict[str, Any]]]:
        """The evidence of each row of ``rows``, as stored and explained."""
        comparisons = self.comparisons(rows)
        if not comparisons:
            return [[] for _ in range(len(rows))]
        return [unpack(blob, comparisons) for blob in self.packed_evidence(rows)]

    def evidence(self, record_id_l: str, record_id_r: str) -> list[dict[str, Any]]:
        """The stored per-comparison levels for one pair, in either order."""
        p = self.pairs
        hit = p[((p.record_id_l == record_id_l) & (p.record_id_r == record_id_r))
                | ((p.record_id_l == record_id_r) & (p.record_id_r == record_id_l))]
        if hit.empty:
            raise FamlinkError(f"no scored pair for {record_id_l} and {record_id_r}")
        return self.levels(hit.iloc[:1])[0]


@runtime_checkable
class LinkageEngine(Protocol):
    """Deduplicate and link records; every backend gives the same answers."""

    name: str

    def link(
        self,
        records: pd.DataFrame,
        *,
        threshold: float | None = None,
        model: dict[str, Any] | None = None,
        collect_candidates: bool = False,
        strict_birth_date: bool = False,
        max_pairs: int | None = None,
        blocking_rules: list[str] | None = None,
        target_precision: float | None = None,
        family_guards: bool | None = None,
    ) -> LinkageResult:
        """Train (unless ``model`` is given), score, guard and cluster ``records``.

        ``max_pairs`` set: blocking rules are chosen from the data to find the
        most expected matches within that many pairs (``core.linkage.blocking``);
        ``blocking_rules`` (Splink SQL over the prepared columns) overrides that.
        ``target_precision``: the expected precision the estimated threshold
        must reach. ``family_guards`` True/False overrides the automatic choice.

        ``threshold`` None means: estimate it from the model (see ``decision``).
        ``collect_candidates`` keeps the blocked pairs (``stats["candidate_pairs"]``),
        so that an evaluation can report the blocking recall ceiling.
        ``strict_birth_date`` says these are family records (``famlink link``):
        the family guards always apply, a plainly different date of birth holds
        a pair back, and pairs the guards hold apart are never joined through a
        third record. Any other file gets the guards only if it shows families.
        """
        ...

    def link_new(
        self,
        existing: pd.DataFrame,
        existing_clusters: dict[str, str],
        new: pd.DataFrame,
        *,
        model: dict[str, Any],
        threshold: float,
        cannot_link: Iterable[tuple[str, str]] = (),
        strict_birth_date: bool = False,
        across: AcrossServices | None = None,
    ) -> LinkageResult:
        """Incremental linking: score new records against existing ones and each
        other with a trained model, keep existing cluster ids, and give new records
        either an existing cluster id or a new one. Existing clusters are never
        split; two are joined only when new records bridge them and no guard or
        ``cannot_link`` pair (record ids, e.g. rejections) forbids it. ``pairs``
        holds only the pairs scored in this run (new-new and existing-new).
        ``strict_birth_date`` as for ``link``. ``across``: what consent allows
        to be joined across services (``constraints.consented_clusters``); pairs
        it keeps apart are not linked (``held_back`` says so).
        """
        ...


def standard_table(records: pd.DataFrame) -> pd.DataFrame:
    """Check a standard input table: record_id present and unique."""
    if "record_id" not in records:
        raise FamlinkError("the records have no record_id column")
    ids = records["record_id"].astype(str)
    if ids.isna().any() or (ids.str.strip() == "").any():
        raise FamlinkError("some records have an empty record_id")
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise FamlinkError(
            f"record_id must be unique; repeated: {', '.join(map(str, duplicated[:5]))}")
    return records
