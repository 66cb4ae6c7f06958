"""Rows of the test GP extract (tests/fixtures/gp_appointments.toml), with valid NHS numbers; and a
synthetic world's extracts ingested as the demo does."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

GP_HEADER = ["ref", "forename", "surname", "dob", "nhs", "outcome"]


def valid_nhs_number(seed: int) -> str:
    """A 10-digit NHS number with a correct modulus 11 check digit."""
    n = seed
    while True:
        body = f"{(n * 7919) % 10**9:09d}"
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return body + str(check)
        n += 1


def gp_row(i: int, *, dob: str | None = None, outcome: str = "ATT", nhs: str | None = None) -> list[str]:
    return [f"A{i}", "Amy", "Smith", dob or f"{1 + i % 28:02d}/{1 + i % 12:02d}/2015", nhs if nhs is not None else valid_nhs_number(i), outcome]


def ingest_synth(root: Path, names: list[str] | None = None) -> None:
    """Ingest these sources of a ``famlink synth`` folder (all of them by default), as the demo does."""
    from famlink.services.sources.ingest import ingest_extract

    for name in names if names is not None else sorted(p.stem for p in (root / "extracts").glob("*.csv")):
        ingest_extract(root / "sources" / f"{name}.toml", root / "extracts" / f"{name}.csv")
