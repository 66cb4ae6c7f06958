"""The contractor register: every commercial organisation that handles family data.

Brief recommendation 5: public details of every commercial data handler,
with a data risk assessment. 55% of parents oppose commercial involvement,
so each entry says exactly what the company touches, where the data sits,
who else it passes through, and what risk is left after mitigation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from famlink.core.errors import InvalidInput
from famlink.core.registers import fields as f
from famlink.core.taxonomy import DataCategory

COMPANIES_HOUSE = re.compile(r"^(?:[0-9]{8}|(?:SC|NI|OC|SO|NC|LP|SL|NL|R0)[0-9]{6})$")
RESIDUAL = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Subprocessor:
    name: str
    purpose: str
    location: str


@dataclass(frozen=True, slots=True)
class ContractorEntry:
    id: str
    name: str
    companies_house_number: str
    contract_reference: str
    contract_start: date
    contract_end: date
    what_it_does: str
    objectives: tuple[str, ...]
    sources: tuple[str, ...]
    data_categories: tuple[DataCategory, ...]
    data_stored_at: str
    subprocessors: tuple[Subprocessor, ...]
    dpia_summary: str
    dpia_completed_on: date
    risks: tuple[str, ...]
    mitigations: tuple[str, ...]
    residual_risk: str
    source_file: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("source_file")
        out["contract_start"] = self.contract_start.isoformat()
        out["contract_end"] = self.contract_end.isoformat()
        out["dpia_completed_on"] = self.dpia_completed_on.isoformat()
        out["data_categories"] = [c.value for c in self.data_categories]
        for key in ("objectives", "sources", "risks", "mitigations"):
            out[key] = list(out[key])
        out["subprocessors"] = [asdict(s) for s in self.subprocessors]
        return out


def contractor_from_dict(raw: dict[str, Any], *, where: str) -> ContractorEntry:
    number = f.text(raw, "companies_house_number", where).upper()
    if not COMPANIES_HOUSE.match(number):
        raise InvalidInput(f"'{number}' is not a Companies House number (8 digits, or 2 letters and 6 digits)", where=where)
    contract = f.section(raw, "contract", where)
    dpia = f.section(raw, "data_risk_assessment", where)
    start, end = f.day(contract, "start", where), f.day(contract, "end", where)
    assert start is not None and end is not None
    if end < start:
        raise InvalidInput("the contract ends before it starts", where=where)
    try:
        categories = tuple(DataCategory(c) for c in f.texts(raw, "data_categories", where))
    except ValueError as exc:
        raise InvalidInput(f"unknown data category ({exc})", where=where) from None
    residual = f.text(dpia, "residual_risk", where)
    if residual not in RESIDUAL:
        raise InvalidInput(f"'residual_risk' must be one of {', '.join(RESIDUAL)}", where=where)
    subs = tuple(
        Subprocessor(f.text(s, "name", where), f.text(s, "purpose", where), f.text(s, "location", where))
        for s in raw.get("subprocessors", [])
    )
    return ContractorEntry(
        id=f.text(raw, "id", where),
        name=f.text(raw, "name", where),
        companies_house_number=number,
        contract_reference=f.text(contract, "reference", where),
        contract_start=start,
        contract_end=end,
        what_it_does=f.text(raw, "what_it_does", where),
        objectives=f.texts(raw, "objectives", where),
        sources=f.texts(raw, "sources", where),
        data_categories=categories,
        data_stored_at=f.text(raw, "data_stored_at", where),
        subprocessors=subs,
        dpia_summary=f.text(dpia, "summary", where),
        dpia_completed_on=f.day(dpia, "completed_on", where),  # type: ignore[arg-type]
        risks=f.texts(dpia, "risks", where),
        mitigations=f.texts(dpia, "mitigations", where),
        residual_risk=residual,
        source_file=where,
    )


def load_contractor(path: Path) -> ContractorEntry:
    return contractor_from_dict(f.read_toml(path), where=str(path))


def load_contractors(folder: Path | None = None) -> list[ContractorEntry]:
    folder = folder or f.REGISTERS_DIR / "contractors"
    return sorted((load_contractor(p) for p in sorted(folder.glob("*.toml"))), key=lambda e: e.id)
