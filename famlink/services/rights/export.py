"""Download everything: the family's data as JSON, a CSV of records, and a readable PDF.

``export(actor, user, parent, fmt)`` is the one entry point: it reads the
whole family through the policy door (``disclose`` with
``AuditEvent.DATA_DOWNLOADED``), builds the file, and then logs a subject
access request fulfilled on the spot. All three formats are built from the
same ``Disclosure``, so they can never say different things, and what the
portal pages show is what the download holds.

- JSON: ``Disclosure.as_dict()`` exactly; JSON Schema in
  ``export.schema.json`` beside this file (consent receipts inside it follow
  ``famlink/core/consent/receipt.schema.json``).
- CSV: one file, one row per record, made to open in a spreadsheet (UTF-8
  with a byte-order mark; cells that a spreadsheet would run as a formula
  start with an apostrophe). Links, flags, the access log and choices are
  in the JSON and the PDF.
- PDF: an HTML template (``templates/rights/family_export.html``) rendered by
  WeasyPrint, in plain English, in a child process that gives way to web
  pages (``famlink.adapters.pdf``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from famlink.adapters import pdf
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import OptOutKind
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentLevel, ConsentState, receipt_schema
from famlink.core.errors import NotFound
from famlink.core.policy import Actor
from famlink.core.taxonomy import PURPOSE_LABELS, Purpose
from famlink.services.rights import requests
from famlink.services.rights.disclosure import AccessView, Disclosure, disclose

SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
CSV_COLUMNS = (
    "person_id", "person", "relation", "organisation", "source", "record_id", "what", "category", "date",
    "status", "what_it_says_happened", "note", "sent_to_council", "kept_until", "version", "corrected_because",
    "disputed", "family_statements",
)
#: A cell starting with one of these is run as a formula by spreadsheets (CWE-1236).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


@cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every JSON export satisfies."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_problems(document: Any) -> list[str]:
    """Where ``document`` breaks the export schema (receipts checked against theirs); [] if it does not."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    receipts = receipt_schema()
    registry = Registry().with_resource(receipts["$id"], Resource.from_contents(receipts))
    validator = Draft202012Validator(export_schema(), registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]


def to_json(disclosure: Disclosure) -> bytes:
    return json.dumps(disclosure.as_dict(), indent=2, ensure_ascii=False).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(disclosure: Disclosure) -> bytes:
    """One row per record, for a spreadsheet; statements and disputes in the last columns."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheets read the file as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for person in disclosure.people:
        for r in person.records:
            statements = " | ".join(
                f"{m.reference} ({m.kind.label}; {m.status.label}): {m.statement}".strip() for m in r.marks)
            row = (
                person.public_id, person.name, person.relation, r.organisation, r.source_title, r.id,
                r.category_label, r.category, r.event_date.isoformat() if r.event_date else "", r.status,
                r.status_label, r.note, timezone.localdate(r.received_at).isoformat(),
                r.retention_ends.isoformat() if r.retention_ends else "", r.version,
                r.history[0].get("replaced_because", "") if r.history else "",
                "yes" if r.disputed else "no", statements,
            )
            writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


_STATE_WORDS = {
    ConsentState.GIVEN: "Yes", ConsentState.RENEWED: "Yes (renewed)", ConsentState.REFUSED: "No",
    ConsentState.WITHDRAWN: "No (stopped)", ConsentState.EXPIRED: "Ran out: no longer counts",
}
_LEVEL_WORDS = {
    ConsentLevel.WITHIN_SERVICE: "only the service that holds each record",
    ConsentLevel.ACROSS_SERVICES: "services can share records with each other",
    ConsentLevel.NO_LINKING: "nobody",
}
_ACTION_WORDS = {
    AuditEvent.RECORD_VIEWED: "Looked at records", AuditEvent.RECORD_EXPORTED: "Copied records out",
    AuditEvent.LINK_VIEWED: "Looked at how records were matched", AuditEvent.DATA_DOWNLOADED: "Downloaded records",
    AuditEvent.MODEL_SCORED: "A computer model used records", AuditEvent.LINKAGE_RUN: "Matched records",
    AuditEvent.RECTIFICATION_DECIDED: "Decided on a request to correct a record",
    AuditEvent.BREAK_GLASS_USED: "Looked in an emergency (child protection)",
}


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _pdf_context(disclosure: Disclosure, parent_name: str) -> dict[str, Any]:
    people = []
    for person in disclosure.people:
        consents = [{
            "label": PURPOSE_LABELS[Purpose(c["purpose"])], "organisation": c["organisation"],
            "answer": _STATE_WORDS[ConsentState(c["state"])], "who": _LEVEL_WORDS[ConsentLevel(c["level"])],
            "active": c["state"] in (ConsentState.GIVEN, ConsentState.RENEWED),
            "until": _when(c["expires_at"]),
        } for c in person.consents]
        opt_outs = [{"label": kind.label, "active": person.opt_outs.get(kind.value, False)} for kind in OptOutKind]
        links = [{**link, "percent": round(100 * float(link["match_probability"]), 1)} for link in person.links]
        flags = [{**flag, "created": _when(flag["created_at"])} for flag in person.flags]
        people.append({"view": person, "consents": consents, "opt_outs": opt_outs, "links": links, "flags": flags,
                       "record_count": len(person.records)})
    return {"family": disclosure, "people": people, "parent_name": parent_name, "generated": disclosure.generated_at,
            "looks": _looks(disclosure.access_log), "protection_looks": [
                {"entry": a, "what": _what(a)} for a in disclosure.access_log if a.justification],
            "log_size": len(disclosure.access_log)}


def _what(entry: AccessView) -> str:
    return _ACTION_WORDS.get(AuditEvent(entry.action), entry.action.replace("_", " ").replace(":", ": "))


def _looks(log: list[AccessView]) -> list[dict[str, Any]]:
    """The access log for reading on paper: one row per who, why and what, with how often and when.

    Every entry is in the JSON download; child-protection looks are also
    listed one by one in the PDF, with the reason given.
    """
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for entry in log:  # newest first
        key = (entry.who, entry.role, entry.organisation, entry.purpose_label, _what(entry), str(entry.allowed))
        group = groups.setdefault(key, {"who": entry.who, "role": entry.role, "organisation": entry.organisation,
                                        "why": entry.purpose_label, "what": _what(entry), "allowed": entry.allowed,
                                        "times": 0, "about": [], "first": entry.when, "last": entry.when})
        group["times"] += 1
        group["first"] = entry.when
        if entry.about not in group["about"]:
            group["about"].append(entry.about)
    return sorted(groups.values(), key=lambda g: g["last"], reverse=True)


def to_pdf(disclosure: Disclosure, parent_name: str = "") -> bytes:
    """Laid out by the low-priority renderer (``famlink.adapters.pdf``), so other parents' pages come first."""
    return pdf.render(render_to_string("rights/family_export.html", _pdf_context(disclosure, parent_name)))


_BUILDERS: dict[str, tuple[str, Callable[[Disclosure, str], bytes]]] = {
    "json": ("application/json; charset=utf-8", lambda d, _: to_json(d)),
    "csv": ("text/csv; charset=utf-8", lambda d, _: to_csv(d)),
    "pdf": ("application/pdf", to_pdf),
}
FORMATS = tuple(_BUILDERS)


def export(actor: Actor, user: Any, parent: Person, fmt: str, *, now: datetime | None = None) -> Export:
    """Everything the parent may see about their family, as a file; logged as a subject access request."""
    if fmt not in _BUILDERS:
        raise NotFound("There is no download in that format. Choose PDF, CSV or JSON.")
    content_type, build = _BUILDERS[fmt]
    now = now or timezone.now()
    disclosure = disclose(actor, parent, action=AuditEvent.DATA_DOWNLOADED, now=now)
    content = build(disclosure, parent.display_name)
    # logged once the file exists: a download that failed was not a request fulfilled
    requests.record_subject_access(actor, user, parent, at=now)
    stamp = timezone.localdate(now).isoformat()
    return Export(content, content_type, f"famlink-family-records-{stamp}.{fmt}")


__all__ = ["CSV_COLUMNS", "FORMATS", "Export", "export", "export_schema", "schema_problems", "to_csv", "to_json",
           "to_pdf"]
