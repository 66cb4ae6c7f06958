"""An algorithm register entry: the UK Algorithmic Transparency Recording Standard, plus.

The ATRS fields (owner, supplier, description, scope, benefit, alternatives,
decision process and human oversight, appeals, data sources, risks,
impact assessments, phase) say what the model is; the famlink fields
(lawful basis, risk category, objection, rollback, service capacity,
threshold, auditor, pass/fail criteria, review interval) decide whether it
may run at all. The criteria are hashed so an assessment counts only
against the criteria that were written before it ran.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from famlink.core.errors import InvalidInput
from famlink.core.registers import fields as f
from famlink.core.taxonomy import DataCategory, LawfulBasis, Purpose

#: what a model does with families' records: ``scoring`` estimates something about a person or family and
#: may flag them (the assessment gate decides whether it may run); ``matching`` decides which records are the
#: same person (record linkage): it flags nobody, so the scoring gate and service places do not apply, but it
#: is published, assessed against pass/fail tests and shown with its measured quality all the same.
KINDS = ("scoring", "matching")
PHASES = ("idea", "design", "development", "pilot", "production", "retired")
RISK_CATEGORIES = ("low", "medium", "high")
PERIODS = ("week", "month", "quarter", "year")
OPERATORS = (">=", "<=")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One pass/fail test on an assessment figure, written before any run."""

    metric: str
    op: str
    value: float
    why: str

    def passes(self, figure: float | None) -> bool:
        if figure is None:
            return False
        return figure >= self.value if self.op == ">=" else figure <= self.value

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True, slots=True)
class Risk:
    risk: str
    mitigation: str


@dataclass(frozen=True, slots=True)
class ImpactAssessment:
    name: str
    completed_on: date
    summary: str


@dataclass(frozen=True, slots=True)
class AlgorithmEntry:
    id: str
    name: str
    version: str
    published: bool
    phase: str
    # ATRS tier 1 and 2
    owner_organisation: str
    owner_team: str
    senior_responsible_owner: str
    contact: str
    supplier: str
    supplier_role: str
    supplier_companies_house_number: str
    description: str
    how_it_works: str
    scope: str
    benefit: str
    alternatives_considered: tuple[str, ...]
    decision_process: str
    human_oversight: str
    appeals: str
    data_sources: tuple[str, ...]
    risks: tuple[Risk, ...]
    impact_assessments: tuple[ImpactAssessment, ...]
    # what decides whether it may run
    purpose: Purpose
    data_categories: tuple[DataCategory, ...]
    lawful_basis: LawfulBasis
    risk_category: str
    objection_procedure: str
    rollback: str
    service_name: str
    service_capacity: int
    capacity_period: str
    operating_threshold: float
    auditor: str
    auditor_organisation: str
    criteria_written_on: date
    criteria: tuple[Criterion, ...]
    review_interval_days: int
    artefact: str
    kind: str = "scoring"
    source_file: str = ""

    @property
    def scores_people(self) -> bool:
        """A scoring model flags people; a matching model (record linkage) only joins records."""
        return self.kind == "scoring"

    @property
    def criteria_sha256(self) -> str:
        """Fingerprint of the pass/fail criteria, stored with every assessment."""
        body = [asdict(c) for c in self.criteria]
        payload = json.dumps({"written_on": self.criteria_written_on.isoformat(), "criteria": body}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values for exports and reports."""
        out = asdict(self)
        out["purpose"] = self.purpose.value
        out["data_categories"] = [c.value for c in self.data_categories]
        out["lawful_basis"] = self.lawful_basis.value
        out["criteria_written_on"] = self.criteria_written_on.isoformat()
        out["impact_assessments"] = [
            {**asdict(i), "completed_on": i.completed_on.isoformat()} for i in self.impact_assessments
        ]
        out["alternatives_considered"] = list(self.alternatives_considered)
        out["data_sources"] = list(self.data_sources)
        out["risks"] = [asdict(r) for r in self.risks]
        out["criteria"] = [asdict(c) for c in self.criteria]
        out["criteria_sha256"] = self.criteria_sha256
        if not self.scores_people:  # no service, places or score threshold: it flags nobody
            for key in ("service_name", "service_capacity", "capacity_period", "operating_threshold"):
                out[key] = None
        out.pop("source_file")
        return out


def _choice(value: str, allowed: tuple[str, ...], key: str, where: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"'{key}' must be one of {', '.join(allowed)}, not '{value}'", where=where)
    return value


def _enum(enum: type, value: str, key: str, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        names = ", ".join(m.value for m in enum)  # type: ignore[attr-defined]
        raise InvalidInput(f"'{key}' must be one of {names}, not '{value}'", where=where) from None


def _criteria(raw: dict[str, Any], where: str) -> tuple[Criterion, ...]:
    items = raw.get("criteria")
    if not isinstance(items, list) or not items:
        raise InvalidInput("at least one [[criteria]] pass/fail test is required", where=where)
    out = []
    for n, item in enumerate(items, 1):
        at = f"{where} [[criteria]] {n}"
        op = _choice(f.text(item, "op", at), OPERATORS, "op", at)
        value = f.number(item, "value", at, low=-1e9, high=1e9)
        out.append(Criterion(f.text(item, "metric", at), op, value, f.text(item, "why", at)))
    return tuple(out)


def algorithm_from_dict(raw: dict[str, Any], *, where: str) -> AlgorithmEntry:
    """Validate one entry; every missing or wrong field is named.

    A ``matching`` entry has no ``[service]`` or ``operating_threshold``: it refers nobody anywhere.
    """
    kind = _choice(str(raw.get("kind", "scoring")), KINDS, "kind", where)
    owner = f.section(raw, "owner", where)
    supplier = f.section(raw, "supplier", where)
    service = f.section(raw, "service", where) if kind == "scoring" else {}
    auditor = f.section(raw, "auditor", where)
    oversight = f.section(raw, "decision_process", where)
    risks = tuple(Risk(f.text(r, "risk", where), f.text(r, "mitigation", where)) for r in raw.get("risks", []))
    if not risks:
        raise InvalidInput("at least one [[risks]] entry is required", where=where)
    impacts = tuple(
        ImpactAssessment(f.text(i, "name", where), f.day(i, "completed_on", where), f.text(i, "summary", where))  # type: ignore[arg-type]
        for i in raw.get("impact_assessments", [])
    )
    published = raw.get("published", False)
    if not isinstance(published, bool):
        raise InvalidInput("'published' must be true or false", where=where)
    return AlgorithmEntry(
        id=f.text(raw, "id", where),
        name=f.text(raw, "name", where),
        version=f.text(raw, "version", where),
        published=published,
        phase=_choice(f.text(raw, "phase", where), PHASES, "phase", where),
        owner_organisation=f.text(owner, "organisation", where),
        owner_team=f.text(owner, "team", where),
        senior_responsible_owner=f.text(owner, "senior_responsible_owner", where),
        contact=f.text(owner, "contact", where),
        supplier=f.text(supplier, "name", where),
        supplier_role=f.text(supplier, "role", where),
        supplier_companies_house_number=str(supplier.get("companies_house_number", "")),
        description=f.text(raw, "description", where),
        how_it_works=f.text(raw, "how_it_works", where),
        scope=f.text(raw, "scope", where),
        benefit=f.text(raw, "benefit", where),
        alternatives_considered=f.texts(raw, "alternatives_considered", where),
        decision_process=f.text(oversight, "decision", where),
        human_oversight=f.text(oversight, "human_oversight", where),
        appeals=f.text(raw, "appeals", where),
        data_sources=f.texts(raw, "data_sources", where),
        risks=risks,
        impact_assessments=impacts,
        purpose=_enum(Purpose, f.text(raw, "purpose", where), "purpose", where),
        data_categories=tuple(_enum(DataCategory, c, "data_categories", where) for c in f.texts(raw, "data_categories", where)),
        lawful_basis=_enum(LawfulBasis, f.text(raw, "lawful_basis", where), "lawful_basis", where),
        risk_category=_choice(f.text(raw, "risk_category", where), RISK_CATEGORIES, "risk_category", where),
        objection_procedure=f.text(raw, "objection_procedure", where),
        rollback=f.text(raw, "rollback", where),
        service_name=f.text(service, "name", where) if kind == "scoring" else "",
        service_capacity=f.whole(service, "capacity", where) if kind == "scoring" else 0,
        capacity_period=_choice(f.text(service, "period", where), PERIODS, "period", where) if kind == "scoring" else "",
        operating_threshold=f.number(raw, "operating_threshold", where, low=0.0, high=1.0) if kind == "scoring" else 0.0,
        auditor=f.text(auditor, "name", where),
        auditor_organisation=f.text(auditor, "organisation", where),
        criteria_written_on=f.day(raw, "criteria_written_on", where),  # type: ignore[arg-type]
        criteria=_criteria(raw, where),
        review_interval_days=f.whole(raw, "review_interval_days", where, low=1),
        artefact=f.text(raw, "artefact", where),
        kind=kind,
        source_file=where,
    )


def load_algorithm(path: Path) -> AlgorithmEntry:
    return algorithm_from_dict(f.read_toml(path), where=str(path))


def load_algorithms(folder: Path | None = None) -> list[AlgorithmEntry]:
    """Every entry in the register folder, sorted by id; duplicate ids are refused."""
    folder = folder or f.REGISTERS_DIR / "algorithms"
    entries = [load_algorithm(p) for p in sorted(folder.glob("*.toml"))]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise InvalidInput(f"two register entries have the id '{entry.id}'", where=entry.source_file)
        seen.add(entry.id)
    return sorted(entries, key=lambda e: e.id)


def find_algorithm(model_id: str, folder: Path | None = None) -> AlgorithmEntry:
    for entry in load_algorithms(folder):
        if entry.id == model_id:
            return entry
    from famlink.core.errors import NotFound

    raise NotFound(f"no model called '{model_id}' is in the algorithm register")
