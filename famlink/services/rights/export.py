"""Download everything: the family's data as JSON, a CSV of records, and a readable PDF.

``export(actor, user, parent, fmt)`` is the one entry point: it reads the
whole family through the policy door (``disclose`` with
``AuditEvent.DATA_DOWNLOADED``), builds the file, and then logs a subject
access request fulfilled on the spot. All three formats are built from the
same ``Disclosure``, so they can never say different things, and what the
portal pages show is what the download holds.

- JSON: ``document(disclosure)``; JSON Schema in ``export.schema.json``
  beside this file (consent receipts inside it follow
  ``famlink/core/consent/receipt.schema.json``).
- CSV: one file, one row per record, made to open in a spreadsheet (UTF-8
  with a byte-order mark; cells that a spreadsheet would run as a formula
  start with an apostrophe). Links, flags, the access log and choices are
  in the JSON and the PDF.
- PDF: an HTML template (``templates/rights/family_export.html``) rendered by
  WeasyPrint, in plain English, in a child process that gives way to web
  pages (``famlink.adapters.pdf``).

All three are in English (``download_words``), whatever the language of the
pages: the words a page shows come from ``famlink.web.words``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from famlink.adapters import pdf
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import OptOutKind
from famlink.core.audit import AuditEvent
from famlink.core.consent import receipt_schema
from famlink.core.errors import NotFound
from famlink.core.policy import Actor
from famlink.services.rights import requests
from famlink.services.rights.disclosure import (
    AccessView,
    Disclosure,
    FlagView,
    LinkView,
    PersonView,
    RecordView,
    disclose,
)
from famlink.services.rights.download_words import (
    CATEGORY_WORDS,
    LEVEL_WORDS,
    PURPOSE_WORDS,
    RELATION_WORDS,
    STATE_WORDS,
    action_words,
    not_shown_words,
    role_words,
    run_words,
    status_words,
)

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


def _date(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _record(r: RecordView) -> dict[str, Any]:
    history: list[dict[str, Any]] = []
    for old in r.history:
        entry = {"version": old.version, "status": old.status.value if old.status else "",
                 "event_date": _date(old.event_date), "note": old.note, "received_at": old.received_at.isoformat()}
        if old.replaced_because is not None:
            entry |= {"replaced_because": old.replaced_because, "replaced_by": old.replaced_by}
        history.append(entry)
    return {
        "id": r.id, "organisation": r.organisation, "source": r.source, "source_title": r.source_title,
        "category": r.category.value, "event_date": _date(r.event_date),
        "status": r.status.value if r.status else "", "status_label": status_words(r.status), "note": r.note,
        "received_at": r.received_at.isoformat(), "retention_ends": _date(r.retention_ends),
        "version": r.version, "history": history, "disputed": r.disputed,
        "statements": [m.as_dict() for m in r.marks],
    }


def _link(link: LinkView) -> dict[str, Any]:
    return {"record": link.record, "other_record": link.other_record, "record_id": link.record_id,
            "other_record_id": link.other_record_id, "match_probability": link.match_probability,
            "confidence": link.confidence, "explanation": link.explanation, "evidence": list(link.evidence)}


def _flag(flag: FlagView) -> dict[str, Any]:
    return {"id": flag.id, "model": flag.model, "title": flag.title, "message": flag.message, "score": flag.score,
            "inputs": list(flag.inputs), "status": flag.status.value, "how_to_object": flag.how_to_object,
            "created_at": flag.created_at.isoformat(), "based_on_disputed_records": flag.based_on_disputed_records}


def _person(p: PersonView) -> dict[str, Any]:
    return {
        "person_id": p.public_id, "name": p.name, "relation": RELATION_WORDS[p.relation],
        "date_of_birth": _date(p.date_of_birth), "records": [_record(r) for r in p.records],
        "addresses": [a.as_dict() for a in p.addresses], "links": [_link(link) for link in p.links],
        "flags": [_flag(f) for f in p.flags], "consents": [c.as_dict() for c in p.consents],
        "opt_outs": dict(p.opt_outs), "consent_receipts": list(p.receipts),
    }


def _access(a: AccessView) -> dict[str, Any]:
    out = {"entry": a.index, "when": a.when.isoformat(), "who": a.who, "role": role_words(a.role),
           "organisation": a.organisation, "purpose": a.purpose.value if a.purpose else "", "about": a.about,
           "action": a.action.value, "allowed": a.allowed, "justification": a.justification}
    if a.run is not None:
        hidden = a.run.counts_hidden  # some of the person's records are not this reader's to know of
        out["linkage_run"] = {
            "run": a.run.run, "person_id": a.run.person_id, "said": run_words(a.run, a.about),
            "records_joined": None if hidden else a.run.records_joined, "services": None if hidden else a.run.services,
            "services_kept_apart": None if hidden else a.run.services_kept_apart,
            "break_glass": None if hidden else a.run.break_glass}
    return out


def document(disclosure: Disclosure) -> dict[str, Any]:
    """The JSON download: everything in the disclosure, in the schema's shape, words in English."""
    return {
        "schema": "https://famlink.example/schemas/subject-access-export.v1.json",
        "generated_at": disclosure.generated_at.isoformat(),
        "people": [_person(p) for p in disclosure.people],
        "not_shown": [not_shown_words(name) for name in disclosure.not_shown],
        "access_log": [_access(a) for a in disclosure.access_log],
        "organisations": [
            {"name": o.name, "type": o.type, "contact": o.contact, "datasets": [
                {"title": d.title, "lawful_basis": d.lawful_basis, "purposes": [PURPOSE_WORDS[p] for p in d.purposes],
                 "kept_for_years": d.kept_for_years} for d in o.datasets]}
            for o in disclosure.organisations],
        "contractors": [
            {"name": c.name, "companies_house_number": c.companies_house_number, "what_it_does": c.what_it_does,
             "data_stored_at": c.data_stored_at, "contract_end": c.contract_end.isoformat(), "sources": list(c.sources)}
            for c in disclosure.contractors],
    }


def to_json(disclosure: Disclosure) -> bytes:
    return json.dumps(document(disclosure), indent=2, ensure_ascii=False).encode("utf-8")


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
                person.public_id, person.name, RELATION_WORDS[person.relation], r.organisation, r.source_title, r.id,
                CATEGORY_WORDS[r.category], r.category.value, r.event_date.isoformat() if r.event_date else "",
                r.status.value if r.status else "", status_words(r.status), r.note,
                timezone.localdate(r.received_at).isoformat(),
                r.retention_ends.isoformat() if r.retention_ends else "", r.version,
                (r.history[0].replaced_because or "") if r.history else "",
                "yes" if r.disputed else "no", statements,
            )
            writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _pdf_context(disclosure: Disclosure, parent_name: str) -> dict[str, Any]:
    people = []
    for person in disclosure.people:
        consents = [{
            "label": PURPOSE_WORDS[c.purpose], "organisation": c.organisation, "answer": STATE_WORDS[c.state],
            "who": LEVEL_WORDS[c.level], "active": c.active, "until": c.expires_at,
        } for c in person.consents]
        opt_outs = [{"label": kind.label, "active": person.opt_outs.get(kind.value, False)} for kind in OptOutKind]
        by_organisation: dict[str, list[dict[str, Any]]] = {}
        for r in person.records:
            by_organisation.setdefault(r.organisation, []).append({
                "view": r, "category": CATEGORY_WORDS[r.category], "status": status_words(r.status),
                "history": [{"view": old, "status": status_words(old.status)} for old in r.history]})
        people.append({"view": person, "consents": consents, "opt_outs": opt_outs, "links": person.links,
                       "flags": person.flags, "record_count": len(person.records),
                       "by_organisation": sorted(by_organisation.items())})
    organisations = [{"name": o.name, "contact": o.contact, "type": o.type, "datasets": [
        {"title": d.title, "purposes": [PURPOSE_WORDS[p] for p in d.purposes], "kept_for_years": d.kept_for_years}
        for d in o.datasets]} for o in disclosure.organisations]
    return {"family": disclosure, "people": people, "parent_name": parent_name, "generated": disclosure.generated_at,
            "organisations": organisations, "not_shown": [not_shown_words(name) for name in disclosure.not_shown],
            "looks": _looks(disclosure.access_log), "protection_looks": [
                {"entry": a, "what": _what(a)} for a in disclosure.access_log if a.justification],
            "log_size": len(disclosure.access_log)}


def _what(entry: AccessView) -> str:
    return run_words(entry.run, entry.about) if entry.run is not None else action_words(entry.action)


def _looks(log: Sequence[AccessView]) -> list[dict[str, Any]]:
    """The access log for reading on paper: one row per who, why and what, with how often and when.

    Every entry is in the JSON download; child-protection looks are also
    listed one by one in the PDF, with the reason given.
    """
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for entry in log:  # newest first
        why = PURPOSE_WORDS[entry.purpose] if entry.purpose else ""
        key = (entry.who, role_words(entry.role), entry.organisation, why, _what(entry), str(entry.allowed))
        group = groups.setdefault(key, {"who": entry.who, "role": role_words(entry.role),
                                        "organisation": entry.organisation,
                                        "why": why, "what": _what(entry), "allowed": entry.allowed,
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


__all__ = ["CSV_COLUMNS", "FORMATS", "Export", "document", "export", "export_schema", "schema_problems", "to_csv",
           "to_json", "to_pdf"]
