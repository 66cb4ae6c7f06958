"""Synthetic agency extracts about synthetic families, with the ground truth.

famlink cannot be built or assessed on real families' data, and linkage and
model accuracy cannot be measured without knowing who each record is really
about. ``generate`` writes realistic, faulty extracts from seven agencies,
their source definitions, and a truth file that is never ingested.
See docs/synth.md for what is generated and at which fault rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from famlink.core.errors import InvalidInput

from .identifiers import MAX_FAMILIES
from .writer import write_run

__all__ = ["SynthSummary", "generate"]


@dataclass(frozen=True)
class SynthSummary:
    """What a run wrote: for the CLI to report and for tests to check."""

    families: int
    persons: int
    rows: dict[str, int] = field(default_factory=dict)  # extract name -> rows written
    truth_path: Path = Path("truth.csv")

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate(
    families: int,
    seed: int,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> SynthSummary:
    """Write ``families`` synthetic families' extracts, definitions and truth to ``out_dir``.

    The same seed always gives byte-identical files. ``progress(done, total)``
    is called with families finished so far, for a progress bar.
    """
    if isinstance(families, bool) or not isinstance(families, int):
        raise InvalidInput("the number of families must be a whole number", where="families")
    if not 1 <= families <= MAX_FAMILIES:
        raise InvalidInput(f"must be between 1 and {MAX_FAMILIES:,}", where="families")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("the seed must be a whole number, 0 or more", where="seed")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput("is a file, not a folder", where=str(out_dir))
    persons, rows = write_run(families, seed, out_dir, progress)
    return SynthSummary(families, persons, rows, out_dir / "truth.csv")
