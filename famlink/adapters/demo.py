"""The demo the README's first command runs: generate, ingest, link, accounts.

Every step is idempotent, so running the demo again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from famlink.adapters.storage.sources.store import holdings, ingest_extract
from famlink.core.synth import generate

DEMO_SEED = 2026


@dataclass
class DemoSummary:
    data_dir: Path
    ingested: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    accounts: list[dict[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Demo data in {self.data_dir}"]
        out += [f"  {name}: {value:,}" for name, value in self.totals.items()]
        if self.accounts:
            out.append("Demo sign-ins:")
            out += [f"  {a['role']:<10} {a['username']:<20} {a['password']}" for a in self.accounts]
        return out


def prepare_demo(out_dir: Path, *, families: int, progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    if not (out_dir / "truth.csv").exists():
        generate(families, DEMO_SEED, out_dir, progress=progress)
    summary = DemoSummary(out_dir)
    for definition in sorted((out_dir / "sources").glob("*.toml")):
        extract = out_dir / "extracts" / f"{definition.stem}.csv"
        report = ingest_extract(definition, extract, progress=progress)
        summary.ingested[definition.stem] = report.accepted
    summary.totals = holdings()
    return summary
