"""The public registers: every model and every commercial data handler, in the open.

Entries live as TOML files under ``famlink/registers/`` (the live
configuration), so what the public pages show is what runs.
"""

from famlink.core.registers.algorithms import (
    AlgorithmEntry,
    Criterion,
    load_algorithm,
    load_algorithms,
)
from famlink.core.registers.contractors import ContractorEntry, load_contractor, load_contractors
from famlink.core.registers.gate import AssessmentSummary, GateResult, may_score

__all__ = [
    "AlgorithmEntry",
    "AssessmentSummary",
    "ContractorEntry",
    "Criterion",
    "GateResult",
    "load_algorithm",
    "load_algorithms",
    "load_contractor",
    "load_contractors",
    "may_score",
]
