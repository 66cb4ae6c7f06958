"""A link's evidence, stored compactly and put into words only when read.

Per link a run keeps, for each comparison, the level Splink's pair hit and that
level's match weight (term-frequency adjustment included). Written as JSON
dicts with their labels, a million links took longer to store than Splink took
to find them (docs/performance.md). So each link stores ``k`` int8 level
numbers then ``k`` little-endian float32 weights (5 bytes a comparison), and
the run stores once which comparisons those are and what each level is called
(``Comparisons``). Reading gives back exactly the dicts ``explain`` reads:
``{"comparison", "level", "label", "weight"}``, weight rounded to 3 decimals.

An empty blob means the two records were identical on every identifying
detail: no comparison ran (``IDENTICAL``).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: comparison name and its level number -> label, in the order of the stored bytes
Comparisons = list[tuple[str, dict[int, str]]]

#: bytes per comparison: an int8 level, then (after all the levels) a little-endian float32 weight
LEVEL_BYTES, WEIGHT_BYTES = 1, 4
IDENTICAL_LABEL = "every identifying detail identical (the same agency sent them again)"
IDENTICAL: list[dict[str, Any]] = [
    {"comparison": "identical", "level": 0, "weight": 0.0, "label": IDENTICAL_LABEL}]


def pack(levels: np.ndarray, weights: np.ndarray) -> list[bytes]:
    """One blob per row of ``levels`` (n x k level numbers) and ``weights`` (n x k bits).

    Missing weights count as 0, as Splink scores a missing value. numpy is
    imported here, not at the top: pages that read evidence must not load it.
    """
    import numpy as np

    level, weight = np.dtype("i1"), np.dtype("<f4")
    n, k = levels.shape
    if k == 0:
        raise ValueError("no comparisons to pack (an empty blob means identical records)")
    rows = np.empty((n, k * (LEVEL_BYTES + WEIGHT_BYTES)), dtype=np.uint8)
    rows[:, :k] = np.ascontiguousarray(levels, dtype=level).view(np.uint8)
    w = np.ascontiguousarray(np.nan_to_num(weights, nan=0.0), dtype=weight)
    rows[:, k:] = w.view(np.uint8).reshape(n, k * WEIGHT_BYTES)
    data, width = rows.tobytes(), rows.shape[1]
    return [data[i:i + width] for i in range(0, n * width, width)]


def unpack(blob: bytes, comparisons: Comparisons) -> list[dict[str, Any]]:
    """The evidence dicts of one stored blob, labelled by its run's ``comparisons``."""
    if not blob:
        return [dict(level) for level in IDENTICAL]
    k = len(comparisons)
    if len(blob) != k * (LEVEL_BYTES + WEIGHT_BYTES):
        raise ValueError(f"evidence of {len(blob)} bytes does not fit {k} comparisons")
    values = struct.unpack(f"<{k}b{k}f", blob)
    # round(x * 1000) / 1000 is numpy's round(x, 3) (half to even on the scaled float), as before
    return [{"comparison": name, "level": g, "label": labels.get(g, str(g)), "weight": round(w * 1000.0) / 1000.0}
            for (name, labels), g, w in zip(comparisons, values[:k], values[k:], strict=True)]


def comparisons_to_json(comparisons: Comparisons) -> list[list[Any]]:
    """For a JSON column: level numbers become string keys there."""
    return [[name, {str(g): label for g, label in labels.items()}] for name, labels in comparisons]


def comparisons_from_json(stored: list[list[Any]]) -> Comparisons:
    return [(name, {int(g): label for g, label in labels.items()}) for name, labels in stored]
