"""Standardise identifying fields so that comparisons see like with like.

Everything here is plain Python over strings, so both linkage backends (DuckDB
and Spark) compare the same derived columns and their SQL stays portable:
names, nickname groups and phonetic codes, postcode parts, dates of birth and
NHS number validity are worked out once, before Splink sees the records.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pandas as pd

from famlink.core.identifiers import nhs_number_is_valid
from famlink.core.linkage.addresses import clean_text
from famlink.core.linkage.nicknames import name_group

STANDARD_COLUMNS = (
    "record_id", "source", "first_name", "middle_names", "surname", "full_name",
    "date_of_birth", "sex", "postcode", "address", "city", "email", "nhs_number", "upn",
    "birth_place", "occupation",
)
IDENTIFIER_COLUMNS = ("nhs_number", "upn")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord"}
_NOT_LETTERS = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][0-9A-Z]?)([0-9])([A-Z]{2})$")
#: historical records (censuses, parish registers) reach back centuries: a
#: 1817 birth is evidence, not an unreadable value
EARLIEST_BIRTH_YEAR = 1500
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_FORMAT_PATTERNS = {"%Y": r"(?P<y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})"}


def clean_name(value: object) -> str | None:
    """Lower case ASCII letters and single spaces; titles and punctuation dropped."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = _NOT_LETTERS.sub(" ", text.lower().replace("-", " ").replace("'", ""))
    words = [w for w in _SPACES.split(text.strip()) if w and w not in _TITLES]
    return " ".join(words) or None


_SOUNDEX_CODES = {c: d for d, letters in {
    "1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items()
    for c in letters}


def soundex(name: str | None) -> str | None:
    """American Soundex (letter + 3 digits): names that sound alike share a code."""
    if not name:
        return None
    letters = name.replace(" ", "")
    if not letters:
        return None
    code, last = letters[0].upper(), _SOUNDEX_CODES.get(letters[0], "")
    for char in letters[1:]:
        digit = _SOUNDEX_CODES.get(char, "")
        if digit and digit != last:
            code += digit
        if char not in "hw":
            last = digit
    return (code + "000")[:4]


def postcode_parts(value: object) -> dict[str, str | None]:
    """Normalised postcode with its UK area, district and sector when it is a UK one.

    Non-UK codes (e.g. 4-digit ones) keep only the full code, so no false
    "same district" agreement is claimed for a format we do not understand.
    """
    text = clean_text(value)
    compact = text.replace(" ", "").upper() if text else None
    parts: dict[str, str | None] = {
        "postcode": compact, "postcode_area": None, "postcode_district": None,
        "postcode_sector": None,
    }
    match = _UK_POSTCODE.match(compact or "")
    if match:
        area, district_rest, sector_digit, _unit = match.groups()
        parts["postcode_area"] = area
        parts["postcode_district"] = area + district_rest
        parts["postcode_sector"] = f"{area}{district_rest} {sector_digit}"
    return parts


def parse_date(value: object, formats: tuple[str, ...] = DEFAULT_DATE_FORMATS) -> str | None:
    """An ISO ``YYYY-MM-DD`` string, keeping impossible days (31 Feb) as typed.

    Dates of birth with a slip (a 31st in a 30-day month) are still evidence,
    so the text is kept when year, month and day are in range even if the
    calendar rejects it; anything unreadable becomes null, never a guess.
    Years from ``EARLIEST_BIRTH_YEAR`` to 2100 are read.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    for fmt in formats:
        pattern = re.escape(fmt)
        for token, group in _FORMAT_PATTERNS.items():
            pattern = pattern.replace(re.escape(token), group)
        match = re.fullmatch(pattern, text)
        if match:
            year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
            if EARLIEST_BIRTH_YEAR <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def is_real_date(iso: str | None) -> bool:
    if not iso:
        return False
    try:
        date.fromisoformat(iso)
    except ValueError:
        return False
    return True


def _days_since_1850(iso: str | None) -> int | None:
    """Day number of a date, so date gaps are plain subtraction in any SQL.

    An impossible day (30 February) counts as the month's last day: the
    record still says "late February", so "within a month" can find it.
    """
    if iso is None:
        return None
    year, month, day = (int(part) for part in iso.split("-"))
    while day > 28:
        try:
            return (date(year, month, day) - date(1850, 1, 1)).days
        except ValueError:
            day -= 1
    return (date(year, month, day) - date(1850, 1, 1)).days


def clean_identifier(value: object) -> str | None:
    """Upper-case letters and digits only: spaces and dashes in ids are not evidence."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = re.sub(r"[^0-9A-Za-z]", "", str(value)).upper()
    return text or None


#: what people write for sex; ISO/IEC 5218 codes 1 and 2 too. Anything else
#: ("u", "?", "unknown", "9", "n/a") is missing, never a third value to agree on
_SEX_WORDS = {"m": "m", "male": "m", "man": "m", "boy": "m", "mr": "m", "1": "m",
              "f": "f", "female": "f", "woman": "f", "girl": "f", "fem": "f", "2": "f"}


def clean_sex(value: object) -> str | None:
    """"m", "f", or None: junk and unknowns are missing, not evidence."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().lower().rstrip(".")
    return _SEX_WORDS.get(text)


def _first_word(name: object) -> str | None:
    return name.split(" ")[0] if isinstance(name, str) and name else None


def _rest_words(name: object) -> str | None:
    return " ".join(name.split(" ")[1:]) if isinstance(name, str) and " " in name else None


def _words(name: object) -> list[str]:
    return name.split(" ") if isinstance(name, str) and name else []


def _strings(values: pd.Series) -> pd.Series:
    """Object dtype with None for missing, so later steps see str or None only."""
    return values.astype(object).where(values.notna(), None)


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The comparison table: standard columns cleaned plus derived ones.

    Takes the standard input table (see ``engine``) and returns one row per
    record with the columns the shared Splink settings compare.
    """
    out = pd.DataFrame({"record_id": records["record_id"].astype(str)})
    out["source"] = records.get("source", pd.Series("input", index=records.index)).fillna("input")

    def column(name: str) -> pd.Series:
        return records[name] if name in records else pd.Series(None, index=records.index)

    first = _strings(column("first_name").map(clean_name))
    surname = _strings(column("surname").map(clean_name))
    full_words = column("full_name").map(clean_name).map(_words)
    first = first.where(first.notna(), _strings(full_words.map(lambda w: w[0] if w else None)))
    surname = surname.where(surname.notna(), _strings(
        full_words.map(lambda w: w[-1] if len(w) > 1 else None)))
    middle = _strings(column("middle_names").map(clean_name))
    # A first-name field holding "Mary Ann" keeps "mary" as the given name and
    # "ann" as a middle name, so that "Mary" and "Mary Ann" agree exactly.
    extra_given = _strings(first.map(_rest_words))
    out["first_name"] = _strings(first.map(_first_word))
    out["middle_names"] = middle.where(middle.notna(), extra_given)
    out["surname"] = _strings(surname.map(lambda n: n.replace(" ", "") if isinstance(n, str) else None))
    out["first_name_group"] = out["first_name"].map(name_group)
    out["first_name_sound"] = out["first_name"].map(soundex)
    out["first_name_letters"] = out["first_name"].map(
        lambda n: "".join(sorted(set(n))) if isinstance(n, str) and len(n) > 2 else None)
    out["surname_sound"] = out["surname"].map(soundex)
    # for blocking: a name pair in either order (swapped names meet), initials
    out["name_pair"] = [" ".join(sorted((a, b))) if isinstance(a, str) and isinstance(b, str) else None
                        for a, b in zip(out["first_name"], out["surname"], strict=True)]
    out["first_initial"] = out["first_name"].map(lambda n: n[0] if isinstance(n, str) else None)
    out["surname_initial"] = out["surname"].map(lambda n: n[0] if isinstance(n, str) else None)
    out = out.astype(object)

    dates = _strings(column("date_of_birth").map(parse_date))
    out["date_of_birth"] = dates
    out["birth_year"] = dates.map(lambda d: d[0:4] if d else None)
    out["birth_month"] = dates.map(lambda d: d[5:7] if d else None)
    out["birth_day"] = dates.map(lambda d: d[8:10] if d else None)
    out["birth_days"] = dates.map(_days_since_1850)
    out["sex"] = column("sex").map(clean_sex)

    parts = pd.DataFrame([postcode_parts(v) for v in column("postcode")], index=records.index)
    for name in parts.columns:
        out[name] = parts[name]
    out["address"] = column("address").map(clean_text)
    out["city"] = column("city").map(clean_text)
    out["birth_place"] = column("birth_place").map(clean_text)
    out["occupation"] = column("occupation").map(clean_text)
    email = _strings(column("email").map(
        lambda v: str(v).strip().lower() if pd.notna(v) and str(v).strip() else None))
    out["email"] = email
    out["email_user"] = email.map(lambda e: e.split("@")[0] if isinstance(e, str) else None)
    for name in [*IDENTIFIER_COLUMNS, *other_identifier_columns(records)]:
        out[name] = column(name).map(clean_identifier)
    out["nhs_number_valid"] = out["nhs_number"].map(nhs_number_is_valid)
    return out.astype(object).where(out.notna(), None)


def other_identifier_columns(records: pd.DataFrame) -> list[str]:
    """Extra identifier columns, named ``id_<name>`` in the standard table."""
    return [c for c in records.columns if c.startswith("id_")]
