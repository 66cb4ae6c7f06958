"""Restoring a backup: the database replaced, then its audit log checked (``famlink restore``, docs/operations.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from famlink.adapters.storage.backup import RestorePlan, lost, replace_database
from famlink.services.governance.audit.verification import AuditCheck, verify


@dataclass(frozen=True, slots=True)
class Restored:
    """A restore done, and the audit log checked after it."""

    plan: RestorePlan
    check: AuditCheck
    problems: tuple[str, ...] = field(default=())  # besides the check's own: what the restore lost

    @property
    def ok(self) -> bool:
        return self.check.ok and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "backup": str(self.plan.backup), "database": self.plan.database,
            "manifest": self.plan.manifest.as_dict(),
            "replaced": None if self.plan.replaced is None else asdict(self.plan.replaced),
            "audit_check": self.check.as_dict(), "problems": list(self.problems),
        }


def restore(path: Path, *, confirm: Callable[[RestorePlan], bool]) -> Restored | None:
    """Replace the configured database with a backup, once ``confirm`` agrees; then check the audit log.

    Everything that can be checked is checked before ``confirm`` is asked,
    and nothing has changed if it says no (then None is returned). The
    database is replaced in one transaction, migrated to this famlink's
    schema, and its audit log checked with ``verify`` (as ``famlink audit
    verify`` does); a log the restore cut short is reported with the check.
    """
    plan = replace_database(path, confirm=confirm)
    if plan is None:
        return None
    return Restored(plan, verify(), plan.notes + lost(plan))
