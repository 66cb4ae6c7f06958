"""A person's accepted links in one run, stored as one packed row instead of a row per link.

A run at 100k records accepts about 225,000 links; written one row each they
took longer to store than any other step of the run (docs/performance.md).
So a run stores one row per person: every link whose ``record_l`` that run
gives to the person, as fixed-width little-endian records after a header.

Header (``HEADER``): format version (``VERSION``), then ``k``, the number of
comparisons of the run. Each link (``link_dtype(k)``, ``LINK_FORMAT``):

    record_l int64, record_r int64, match_probability float64,
    match_weight float64, flags uint8 (bit 0: the two records' identifying
    details are identical, no comparison ran), k int8 levels, k float32 weights

The levels and weights are the evidence blob of ``famlink.core.linkage.evidence``
(the same bytes), labelled by the run's ``comparisons`` when read.

Writing and bulk reading are vectorised with numpy (imported inside the
functions); ``read`` uses ``struct`` only, so web pages that show a person's
links do not load numpy.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from famlink.core.linkage.evidence import LEVEL_BYTES, WEIGHT_BYTES, Comparisons, unpack

if TYPE_CHECKING:
    import numpy as np

VERSION = 1
#: version (uint8), comparisons of the run (uint16)
HEADER = struct.Struct("<BH")
#: flags bit 0: a link between two records with identical details (evidence not used)
IDENTICAL_FLAG = 1
#: before the evidence: record_l, record_r, match_probability, match_weight, flags
FIXED_FORMAT = "<qqddB"


def link_format(k: int) -> struct.Struct:
    """One link of a run with ``k`` comparisons, for ``struct``."""
    return struct.Struct(f"{FIXED_FORMAT}{k * (LEVEL_BYTES + WEIGHT_BYTES)}s")


def link_dtype(k: int) -> np.dtype:
    """One link of a run with ``k`` comparisons, for numpy (packed: no padding)."""
    import numpy as np

    return np.dtype([("record_l", "<i8"), ("record_r", "<i8"), ("match_probability", "<f8"),
                     ("match_weight", "<f8"), ("flags", "u1"), ("levels", "i1", (k,)), ("weights", "<f4", (k,))])


def links_array(record_l: Any, record_r: Any, match_probability: Any, match_weight: Any,
                identical: Any, levels: Any, weights: Any) -> np.ndarray:
    """The links as one structured array, from columns (``levels``, ``weights``: n x k).

    Missing weights are stored as 0, as Splink scores a missing value.
    """
    import numpy as np

    levels = np.asarray(levels)
    n, k = levels.shape
    out = np.empty(n, dtype=link_dtype(k))
    out["record_l"], out["record_r"] = record_l, record_r
    out["match_probability"], out["match_weight"] = match_probability, match_weight
    out["flags"] = np.where(np.asarray(identical, dtype=bool), IDENTICAL_FLAG, 0)
    out["levels"] = levels.astype("i1", copy=False)
    out["weights"] = np.nan_to_num(np.asarray(weights, dtype="<f4"), nan=0.0)
    return out


def pack_by_owner(links: np.ndarray, owner: Any) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """Group ``links`` by ``owner`` (one int per link): owners, link counts and one blob each.

    Within a blob links keep their order by ``record_l`` and then as given.
    """
    import numpy as np

    owner = np.asarray(owner, dtype="int64")
    if len(owner) != len(links):
        raise ValueError(f"{len(owner)} owners for {len(links)} links")
    order = np.lexsort((links["record_l"], owner))
    ordered, owners = links[order], owner[order]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else np.empty(0, "int64")
    counts = np.diff(np.r_[starts, len(owners)])
    header = HEADER.pack(VERSION, _comparisons_of(links.dtype))
    data, width = ordered.tobytes(), links.dtype.itemsize
    blobs = [header + data[s * width:(s + c) * width] for s, c in zip(starts.tolist(), counts.tolist(), strict=True)]
    return owners[starts], counts, blobs


def _comparisons_of(dtype: np.dtype) -> int:
    shape = dtype.fields["levels"][0].shape if dtype.fields else ()
    return int(shape[0]) if shape else 0


def _header(blob: bytes) -> int:
    """The blob's ``k``, checked: right version, whole links."""
    if len(blob) < HEADER.size:
        raise ValueError(f"a packed links row of {len(blob)} bytes has no header")
    version, k = HEADER.unpack_from(blob)
    if version != VERSION:
        raise ValueError(f"packed links of format version {version}; this famlink reads version {VERSION}")
    width = link_format(k).size
    if (len(blob) - HEADER.size) % width:
        raise ValueError(f"packed links of {len(blob)} bytes are not whole links of {width} bytes")
    return int(k)


def unpack_many(blobs: list[bytes]) -> np.ndarray:
    """Every link of ``blobs`` (all from one run: the same ``k``) as one structured array."""
    import numpy as np

    ks = {_header(blob) for blob in blobs}
    if len(ks) > 1:
        raise ValueError(f"packed links of different comparison counts in one read: {sorted(ks)}")
    k = ks.pop() if ks else 0
    body = b"".join(memoryview(blob)[HEADER.size:] for blob in blobs)
    return np.frombuffer(body, dtype=link_dtype(k)).copy()


def widen(links: np.ndarray, k: int) -> np.ndarray:
    """Links of identical-detail records only, given ``k`` (zeroed) comparisons to sit beside a run's others."""
    import numpy as np

    if _comparisons_of(links.dtype) == k:
        return links
    if (links["flags"] & IDENTICAL_FLAG).sum() != len(links):
        raise ValueError("links scored on other comparisons cannot be stored beside this run's")
    out = np.zeros(len(links), dtype=link_dtype(k))
    for name in ("record_l", "record_r", "match_probability", "match_weight", "flags"):
        out[name] = links[name]
    return out


def read(blob: bytes, comparisons: Comparisons) -> list[dict[str, Any]]:
    """One person's links in stored order: ``record_l``, ``record_r``, ``match_probability``,
    ``match_weight`` and ``evidence`` (the dicts of ``evidence.unpack``; ``IDENTICAL`` for identical details).

    ``struct`` only: a web page reading a person's links must not load numpy.
    """
    k = _header(blob)
    if k and k != len(comparisons):
        raise ValueError(f"packed links carry {k} comparisons; their run names {len(comparisons)}")
    out = []
    for record_l, record_r, probability, weight, flags, evidence in link_format(k).iter_unpack(
            memoryview(blob)[HEADER.size:]):
        identical = bool(flags & IDENTICAL_FLAG)
        levels = unpack(b"", comparisons) if identical else (unpack(evidence, comparisons) if k else [])
        out.append({"record_l": record_l, "record_r": record_r, "match_probability": probability,
                    "match_weight": weight, "identical": identical, "evidence": levels})
    return out

