"""Turn one extract row into an accepted record or a quarantined row with a reason.

Nothing is dropped: every row comes out as exactly one of the two.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from famlink.core.identifiers import nhs_number_is_valid
from famlink.core.sources.definition import ColumnRule, SourceDefinition, maximum_for
from famlink.core.taxonomy import RecordCategory, RecordStatus, Sex

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
UPN = re.compile(r"^[A-Z][0-9]{12}$")
SEX_WORDS = {"f": "F", "female": "F", "m": "M", "male": "M", "u": "U", "unknown": "U", "x": "U", "": "U"}
TRUE_WORDS = {"1", "true", "yes", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "f", ""}
CATEGORIES = frozenset(c.value for c in RecordCategory)
STATUSES = frozenset(s.value for s in RecordStatus)
#: the whole numbers famlink holds (64 bits, as the databases and JSON readers do)
WHOLE_NUMBERS = range(-(2**63), 2**63)
#: the longest value a reason quotes in full; a longer one is cut short
QUOTED = 60


@dataclass(frozen=True)
class AcceptedRow:
    row_number: int
    fields: dict[str, Any]
    attributes: dict[str, Any]
    checksum: str


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    column: str
    reason: str
    raw: dict[str, Any]


class RowProblem(Exception):
    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(reason)




def normalise_postcode(value: str) -> str:
    compact = value.upper().strip()
    match = POSTCODE.match(compact.replace(" ", ""))
    return f"{match.group(1)} {match.group(2)}" if match else " ".join(compact.split())


def row_checksum(values: list[str]) -> str:
    return hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()


def quoted(text: str) -> str:
    """A value as a reason quotes it: in full if short, else its start and its length, so that a
    reason (and anything that prints one) never carries a whole long cell."""
    if len(text) <= QUOTED:
        return repr(text)
    return f"{text[:QUOTED // 2]!r}... ({len(text):,} characters)"


class RowValidator:
    """Applies a source definition's column rules to one row at a time."""

    def __init__(self, definition: SourceDefinition) -> None:
        self.definition = definition
        self.rules = definition.columns
        self.defaults = dict(definition.defaults)
        self._columns = [rule.column for rule in self.rules]
        # (rule, attribute name or None, most characters): worked out once, not for every cell of every row
        self._plan = [(rule, rule.field.removeprefix("attributes.") if rule.field.startswith("attributes.") else None,
                       maximum_for(rule.field) or sys.maxsize)
                      for rule in self.rules]

    def check(self, row_number: int, raw: dict[str, Any]) -> AcceptedRow | RejectedRow:
        try:
            fields, attributes = self._convert(raw)
        except RowProblem as problem:
            return RejectedRow(row_number, problem.column, f"row {row_number}, column {problem.column!r}: {problem.reason}", _printable(raw))
        get = raw.get
        # the cells as supplied, spaces around them aside (ingest ignores those, so a row that
        # differs only there is the same record when sent again)
        values = ["" if (cell := get(column)) is None else str(cell).strip() for column in self._columns]
        return AcceptedRow(row_number, fields, attributes, row_checksum(values))

    def _convert(self, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        fields: dict[str, Any] = dict(self.defaults)
        attributes: dict[str, Any] = {}
        get, value_of = raw.get, self._value
        for rule, attribute, limit in self._plan:
            value = value_of(rule, limit, get(rule.column))
            if value is None or value == "":
                continue
            if attribute is not None:
                attributes[attribute] = value.isoformat() if isinstance(value, date) else value
            else:
                fields[rule.field] = value
        if "sensitive" in fields:
            fields["sensitive"] = _boolean(fields["sensitive"], "sensitive")
        if fields.get("category") not in CATEGORIES:
            raise RowProblem(self._column_for("category"), f"{quoted(str(fields.get('category')))} is not a record category")
        if fields.get("status") and fields["status"] not in STATUSES:
            raise RowProblem(self._column_for("status"), f"{quoted(str(fields['status']))} is not a record status")
        return fields, attributes

    def _column_for(self, field_name: str) -> str:
        return next((r.column for r in self.rules if r.field == field_name), f"[defaults] {field_name}")

    def _value(self, rule: ColumnRule, limit: int, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if "  " in text or "\t" in text or "\n" in text:
                text = " ".join(text.split())
            if "\x00" in text:  # only a Parquet value can have one: a CSV file with one is refused whole
                raise RowProblem(rule.column, "the value contains a NUL character, which no text field can hold")
        elif isinstance(value, (date, datetime)) and rule.type == "date":
            return value.date() if isinstance(value, datetime) else value
        else:
            text = "" if value is None else " ".join(str(value).split())
        if not text:
            if rule.required or rule.field == "local_id":
                raise RowProblem(rule.column, "a value is required but the cell is empty")
            return None
        text = rule.value_map.get(text, text)
        if rule.allowed is not None and text not in rule.allowed:
            shown = ", ".join(sorted(rule.allowed)[:8])
            raise RowProblem(rule.column, f"{quoted(text)} is not an allowed value ({shown})")
        if rule.type == "date":
            return _date(text, rule)
        if rule.type == "integer":
            return _whole_number(text, rule, limit)
        if rule.type == "boolean":
            return _boolean(text, rule.column)
        value = _field(rule, text)
        if len(value) > limit:
            raise RowProblem(rule.column, _over_long(len(value), rule.field, limit))
        return value


def _over_long(length: int, field_name: str, limit: int) -> str:
    """The reason for a value longer than its field holds: its length, never the value."""
    return f"the value has {length:,} characters; {field_name} holds at most {limit:,}"


def _whole_number(text: str, rule: ColumnRule, limit: int) -> int:
    try:
        number = int(text)
    except ValueError:  # also more than 4,300 digits
        raise RowProblem(rule.column, f"{quoted(text)} is not a whole number") from None
    if number not in WHOLE_NUMBERS:
        raise RowProblem(rule.column, f"{quoted(text)} is too large: whole numbers go up to {WHOLE_NUMBERS.stop - 1:,}")
    if len(str(number)) > limit:  # a number filling a text field (a local id, say) is stored as its digits
        raise RowProblem(rule.column, _over_long(len(str(number)), rule.field, limit))
    return number


def _field(rule: ColumnRule, text: str) -> str:
    match rule.field:
        case "sex":
            sex = SEX_WORDS.get(text.lower(), text.upper())
            if sex not in {s.value for s in Sex}:
                raise RowProblem(rule.column, f"{quoted(text)} is not a sex (F, M or U)")
            return sex
        case "postcode":
            return normalise_postcode(text)
        case "nhs_number":
            digits = text.replace(" ", "").replace("-", "")
            if not nhs_number_is_valid(digits):
                raise RowProblem(rule.column, f"{quoted(text)} is not a valid NHS number (10 digits with a correct check digit)")
            return digits
        case "upn":
            upn = text.upper().replace(" ", "")
            if not UPN.match(upn):
                raise RowProblem(rule.column, f"{quoted(text)} is not a unique pupil number (a letter and 12 digits)")
            return upn
    return text


def _date(text: str, rule: ColumnRule) -> date:
    parsed = _parse_date(text, rule.formats)
    if parsed is None:
        raise RowProblem(rule.column, f"{quoted(text)} is not a date in the format {' or '.join(rule.formats)}")
    if parsed.year < 1900 or parsed > date(2100, 1, 1):
        raise RowProblem(rule.column, f"{quoted(text)} is outside the years 1900 to 2100")
    return parsed


@lru_cache(maxsize=65536)
def _parse_date(text: str, formats: tuple[str, ...]) -> date | None:
    """Dates repeat a lot in an extract (birthdays, event days); strptime is slow."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _boolean(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise RowProblem(column, f"{quoted(str(value))} is not yes or no")


def _printable(raw: dict[str, Any]) -> dict[str, Any]:
    """A quarantined row as JSON, and both databases, can keep it."""
    return {k: _keepable(v) for k, v in raw.items()}


def _keepable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL keeps no NUL, even in JSON: its symbol instead
        return value.replace("\x00", "\u2400")
    return value
