"""Checking every linkage run's stored leaves against what its audit entry committed to (``famlink audit verify-runs``).

``famlink audit verify`` checks the log itself; a run's leaves live beside
it (docs/audit.md §9), so a leaf edited in the database would otherwise be
found only when someone asks for its proof (which is then refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.linkage import run_log
from famlink.core.audit import AuditEntry
from famlink.core.audit.runs import check_stored_run, commitment_of
from famlink.core.errors import FamlinkError, NotFound


@dataclass(frozen=True, slots=True)
class RunCheck:
    run: int
    persons: int
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_runs(run: int | None = None) -> list[RunCheck]:
    """Each committed run (or one): its entry read from the log, its stored leaves checked against it."""
    committed = run_log.committed_runs(run)
    if run is not None and not committed:
        raise NotFound(f"linkage run {run} has no entry in the audit log")
    out = []
    for number, index, hashes in committed:
        stored = AuditLogEntry.objects.filter(index=index).values_list("entry_bytes", flat=True).first()
        try:
            if stored is None:
                raise NotFound(f"run {number}: its audit entry {index} is missing; run 'famlink audit verify'")
            commitment = commitment_of(AuditEntry.from_bytes(bytes(stored)))
            if commitment.run != number:
                raise NotFound(f"run {number}: audit entry {index} commits to run {commitment.run}")
            problem = check_stored_run(commitment, hashes, run_log.leaves_in_order(number))
        except FamlinkError as error:
            problem = error.text
        out.append(RunCheck(number, len(hashes) // 32, problem))
    return out
