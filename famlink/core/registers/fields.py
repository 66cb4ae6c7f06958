"""Reading register TOML with errors that name the file and the field."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from famlink.core.errors import InvalidInput

REGISTERS_DIR = Path(__file__).resolve().parents[2] / "registers"


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InvalidInput("no such register entry file", where=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML ({exc})", where=str(path)) from None


def text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"'{key}' is required and must be text", where=where)
    return value.strip()


def texts(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"'{key}' must be a list of text", where=where)
    return tuple(value)


def number(table: dict[str, Any], key: str, where: str, *, low: float, high: float) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidInput(f"'{key}' must be a number from {low} to {high}", where=where)
    return float(value)


def whole(table: dict[str, Any], key: str, where: str, *, low: int = 0) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidInput(f"'{key}' must be a whole number of at least {low}", where=where)
    return value


def day(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> date | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"'{key}' must be a date (YYYY-MM-DD)", where=where)


def section(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InvalidInput(f"the [{key}] section is missing", where=where)
    return value
