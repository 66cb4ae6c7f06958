"""The one set of Splink comparisons and blocking rules, shared by every backend.

Built from the columns that are present in the prepared table (see
``famlink.core.linkage.normalise.prepare``), so it works on data it has never
seen. Every level carries a plain-English label that ``explain`` shows.

Family-data guards built in here (see docs/linkage.md):
- date of birth has its own decisive levels (exact, day/month transposed, one
  character, same year, different) so that parents and children (same surname,
  same address, different DOB) score strongly against;
- the swapped-name level lives in the first-name comparison only, so the same
  evidence is not counted twice;
- identifiers (NHS number, UPN, other ids) agree "with corroboration" (DOB or a
  name also close) or "alone": a mistyped NHS number on someone else's record
  gets the weaker, separately learned weight.
"""

from __future__ import annotations

from typing import Any

from splink.internals.dialects import SplinkDialect

ALL_PAIRS_LIMIT = 2000  # records; at or below this every pair is scored


def _present(columns: set[str], *names: str) -> bool:
    return all(n in columns for n in names)


class _Sql:
    """SQL fragments in one dialect: the only place function names differ."""

    def __init__(self, dialect: str) -> None:
        d = SplinkDialect.from_string(dialect)
        self.jw = d.jaro_winkler_function_name
        self.lev = d.levenshtein_function_name

    def jaro_winkler(self, col: str, at: float) -> str:
        return f'{self.jw}({col}_l, {col}_r) >= {at}'

    def levenshtein(self, col: str, at: int) -> str:
        return f'{self.lev}({col}_l, {col}_r) <= {at}'


def _null(col: str) -> dict[str, Any]:
    return {"sql_condition": f'{col}_l IS NULL OR {col}_r IS NULL',
            "label_for_charts": f"{col.replace('_', ' ')} missing", "is_null_level": True}


def _level(sql: str, label: str, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:
        level |= {"tf_adjustment_column": tf, "tf_adjustment_weight": 1.0}
    return level


def _else(label: str) -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": label}


def _exact(col: str) -> str:
    return f'{col}_l = {col}_r'


def _comparison(name: str, description: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {"output_column_name": name, "comparison_description": description,
            "comparison_levels": levels}


def first_name_comparison(sql: _Sql, columns: set[str]) -> dict[str, Any]:
    swap = ('first_name_l = surname_r AND surname_l = first_name_r'
            if "surname" in columns else None)
    cross = ('(first_name_l = surname_r OR surname_l = first_name_r)'
             if "surname" in columns else None)
    levels: list[dict[str, Any]] = []
    if swap:
        levels.append(_level(swap, "first name and surname swapped"))
    levels.append(_null("first_name"))
    levels.append(_level(_exact("first_name"), "same first name", tf="first_name"))
    if cross:
        levels.append(_level(cross, "one's first name is the other's surname"))
    levels += [
        _level(_exact("first_name_group"), "first names are forms of the same name"),
        _level(sql.jaro_winkler("first_name", 0.92), "first names differ by a letter"),
        _level(sql.jaro_winkler("first_name", 0.85), "first names are similar"),
        _level(_exact("first_name_sound"), "first names sound alike"),
        _level(_exact("first_name_letters"), "first names have the same letters in another order"),
        _level('(LENGTH(first_name_l) = 1 OR LENGTH(first_name_r) = 1) '
               'AND SUBSTR(first_name_l, 1, 1) = SUBSTR(first_name_r, 1, 1)',
               "one first name is the other's initial"),
    ]
    if "middle_names" in columns:
        levels.append(_level(
            'first_name_l = middle_names_r OR middle_names_l = first_name_r',
            "one's first name is the other's middle name"))
    levels.append(_else("different first names"))
    return _comparison("first_name", "first name (swaps with surname counted here)", levels)


def surname_comparison(sql: _Sql) -> dict[str, Any]:
    return _comparison("surname", "surname", [
        _null("surname"),
        _level(_exact("surname"), "same surname", tf="surname"),
        _level(sql.jaro_winkler("surname", 0.92), "surnames differ by a letter"),
        _level(sql.jaro_winkler("surname", 0.85), "surnames are similar"),
        _level(_exact("surname_sound"), "surnames sound alike"),
        _else("different surnames"),
    ])


def date_of_birth_comparison(sql: _Sql) -> dict[str, Any]:
    transposed = ('birth_year_l = birth_year_r AND birth_month_l = birth_day_r '
                  'AND birth_day_l = birth_month_r')
    return _comparison("date_of_birth", "date of birth", [
        _null("date_of_birth"),
        _level(_exact("date_of_birth"), "same date of birth", tf="date_of_birth"),
        _level(transposed, "dates of birth with day and month swapped"),
        _level(sql.levenshtein("date_of_birth", 1), "dates of birth differ by one digit"),
        _level('ABS(birth_days_l - birth_days_r) <= 31',
               "dates of birth within a month"),
        _level('ABS(birth_days_l - birth_days_r) <= 366',
               "dates of birth within a year"),
        _else("different dates of birth"),
    ])


def postcode_comparison(sql: _Sql, columns: set[str]) -> dict[str, Any]:
    levels = [_null("postcode"),
              _level(_exact("postcode"), "same postcode", tf="postcode"),
              _level(sql.levenshtein("postcode", 1), "postcodes differ by one character")]
    if "postcode_sector" in columns:
        levels.append(_level(_exact("postcode_sector"), "same postcode sector"))
    if "postcode_district" in columns:
        levels.append(_level(_exact("postcode_district"), "same postcode district"))
    levels.append(_else("different postcodes"))
    return _comparison("postcode", "postcode", levels)


def text_comparison(sql: _Sql, col: str, words: str, tf: bool) -> dict[str, Any]:
    return _comparison(col, words, [
        _null(col),
        _level(_exact(col), f"same {words}", tf=col if tf else None),
        _level(sql.jaro_winkler(col, 0.9), f"{words} nearly the same"),
        _level(sql.jaro_winkler(col, 0.75), f"{words} similar"),
        _else(f"different {words}"),
    ])


def email_comparison(sql: _Sql) -> dict[str, Any]:
    return _comparison("email", "email address", [
        _null("email"),
        _level(_exact("email"), "same email address", tf="email"),
        _level(_exact("email_user"), "same email name, different domain"),
        _level(sql.jaro_winkler("email", 0.88), "email addresses nearly the same"),
        _else("different email addresses"),
    ])


def identifier_comparison(sql: _Sql, col: str, words: str, columns: set[str]) -> dict[str, Any]:
    support = []
    if "date_of_birth" in columns:
        support.append(sql.levenshtein("date_of_birth", 1))
    for name in ("first_name", "surname"):
        if name in columns:
            support.append(sql.jaro_winkler(name, 0.85))
    if _present(columns, "first_name", "surname"):
        support.append('first_name_l = surname_r OR surname_l = first_name_r')
    corroborated = " OR ".join(f"COALESCE({s}, FALSE)" for s in support) or "TRUE"
    valid = ' AND nhs_number_valid_l' if col == "nhs_number" else ""
    # the corroborated level scales by its own u, not by the u of the bare
    # "same number" level below (Splink's default for a level that is not a
    # plain exact match): that u is tiny, and a matching number weighed against
    agreeing = _level(f"{_exact(col)}{valid} AND ({corroborated})",
                      f"same {words}, with name or date of birth agreeing", tf=col)
    agreeing["disable_tf_exact_match_detection"] = True
    return _comparison(col, words, [
        _null(col),
        agreeing,
        _level(_exact(col), f"same {words} but nothing else agrees", tf=col),
        _level(f"{sql.levenshtein(col, 1)} AND ({corroborated})",
               f"{words} differs by one character (a typo), with name or date of birth agreeing"),
        _else(f"different {words}"),
    ])


def comparisons(columns: set[str], dialect: str) -> list[dict[str, Any]]:
    """Comparisons for whichever standard columns carry data."""
    sql = _Sql(dialect)
    out: list[dict[str, Any]] = []
    if "first_name" in columns:
        out.append(first_name_comparison(sql, columns))
    if "surname" in columns:
        out.append(surname_comparison(sql))
    if "date_of_birth" in columns:
        out.append(date_of_birth_comparison(sql))
    if "sex" in columns:
        out.append(_comparison("sex", "sex", [
            _null("sex"), _level(_exact("sex"), "same sex"), _else("different sex")]))
    if "postcode" in columns:
        out.append(postcode_comparison(sql, columns))
    if "address" in columns:
        out.append(text_comparison(sql, "address", "address", tf=True))
    if "city" in columns:
        out.append(text_comparison(sql, "city", "town", tf=True))
    if "birth_place" in columns:
        out.append(text_comparison(sql, "birth_place", "birth place", tf=True))
    if "occupation" in columns:
        out.append(text_comparison(sql, "occupation", "occupation", tf=True))
    if "email" in columns:
        out.append(email_comparison(sql))
    for col in sorted(c for c in columns if c in ("nhs_number", "upn") or c.startswith("id_")):
        words = {"nhs_number": "NHS number", "upn": "pupil number"}.get(
            col, col.removeprefix("id_").replace("_", " "))
        out.append(identifier_comparison(sql, col, words, columns))
    return out


def blocking_rules(columns: set[str], n_records: int) -> list[str]:
    """Candidate-pair rules: every pair for small inputs, many generic rules otherwise."""
    if n_records <= ALL_PAIRS_LIMIT:
        return ["1 = 1"]
    candidates = [
        ("first_name", "surname"), ("surname", "date_of_birth"),
        ("first_name", "date_of_birth"), ("date_of_birth", "postcode"),
        ("first_name_group", "surname_sound", "birth_year"),
        ("first_name_sound", "surname_sound", "birth_year"),
        ("first_name_sound", "birth_year", "birth_month"),
        ("surname_sound", "birth_year", "birth_month"),
        ("postcode", "first_name"), ("postcode", "surname_sound"),
        ("address", "first_name_sound"), ("address", "birth_year"),
        ("email",), ("email_user", "birth_year"),
        ("city", "first_name", "birth_year"),
        ("date_of_birth", "first_name_sound"), ("date_of_birth", "surname_sound"),
        ("date_of_birth", "city"), ("surname", "birth_year"), ("first_name", "birth_year"),
        ("surname", "postcode"), ("first_name", "city"), ("surname", "city"), ("address",),
        ("first_name_sound", "surname_sound"), ("birth_year", "birth_month", "postcode"),
    ]
    rules = [" AND ".join(f'l.{c} = r.{c}' for c in cols)
             for cols in candidates if _present(columns, *cols)]
    if _present(columns, "first_name", "surname"):
        rules.append('l.first_name = r.surname AND l.surname = r.first_name')
    rules += [f'l.{c} = r.{c}' for c in sorted(columns)
              if c in ("nhs_number", "upn") or c.startswith("id_")]
    return rules


#: equality keys adaptive blocking may choose from (``blocking.choose_rules``):
#: names exact and in either order, nickname groups and phonetic codes with
#: parts of the date of birth, date of birth with initials, postcode and
#: place with a name; each kept only when its columns carry data
CANDIDATE_KEYS: tuple[tuple[str, ...], ...] = (
    ("first_name", "surname"), ("name_pair",), ("name_pair", "birth_year"),
    ("first_name", "date_of_birth"), ("surname", "date_of_birth"),
    ("first_initial", "date_of_birth"), ("surname_initial", "date_of_birth"),
    ("date_of_birth",), ("date_of_birth", "sex"), ("date_of_birth", "postcode"),
    ("first_name_group", "surname_sound", "birth_year"),
    ("first_name_sound", "surname_sound", "birth_year"),
    ("first_name_sound", "surname_sound"), ("first_name_group", "surname"),
    ("first_name", "birth_year"), ("surname", "birth_year"),
    ("first_name_sound", "birth_year", "birth_month"),
    ("surname_sound", "birth_year", "birth_month"),
    ("first_name", "birth_month", "birth_day"), ("surname", "birth_month", "birth_day"),
    ("first_initial", "surname_sound", "birth_year"),
    ("first_name", "postcode"), ("surname", "postcode"), ("postcode", "birth_year"),
    ("postcode_sector", "first_name_sound"), ("postcode", "first_initial"),
    ("first_name", "birth_place"), ("surname", "birth_place"),
    ("birth_place", "birth_year"), ("birth_place", "first_name_sound", "surname_initial"),
    ("first_name", "occupation"), ("surname", "occupation"),
    ("first_name", "city"), ("surname", "city"), ("city", "birth_year"),
    ("address",), ("address", "first_initial"), ("email",), ("email_user", "birth_year"),
    ("first_name_sound", "surname_sound", "sex"),
)


def candidate_blocking_keys(columns: set[str], derived: set[str]) -> list[tuple[str, ...]]:
    """The candidate keys whose every column is present (standard or derived)."""
    have = columns | derived
    keys = [k for k in CANDIDATE_KEYS if all(c in have for c in k)]
    keys += [(c,) for c in sorted(columns) if c in ("nhs_number", "upn") or c.startswith("id_")]
    return keys


def key_rule(key: tuple[str, ...]) -> str:
    """A blocking key as a Splink rule (plain equality: every SQL dialect reads it)."""
    return " AND ".join(f'l.{c} = r.{c}' for c in key)


def training_rules(columns: set[str]) -> list[str]:
    """EM blocking rules, chosen so that no single rule is "same household".

    Blocking on surname + postcode would hand EM a block full of parents,
    children and siblings and it would learn "same household". Instead each
    rule fixes a personal attribute (date of birth, or the whole name), so the
    other comparisons are learned from pairs that are mostly the same person.
    """
    rules = []
    if "date_of_birth" in columns:
        rules.append('l.date_of_birth = r.date_of_birth')
    if _present(columns, "first_name", "surname"):
        rules.append('l.first_name = r.first_name AND l.surname = r.surname')
    if "email" in columns:
        rules.append('l.email = r.email')
    if not rules and "postcode" in columns:
        rules.append('l.postcode = r.postcode')
    return rules


def deterministic_rules(columns: set[str]) -> list[str]:
    """Near-certain rules used to estimate how often two random records match."""
    rules = []
    if _present(columns, "first_name", "surname", "date_of_birth"):
        rules.append('l.first_name = r.first_name AND l.surname = r.surname '
                     'AND l.date_of_birth = r.date_of_birth')
    if _present(columns, "nhs_number", "date_of_birth"):
        rules.append('l.nhs_number = r.nhs_number AND l.date_of_birth = r.date_of_birth')
    if _present(columns, "email", "first_name"):
        rules.append('l.email = r.email AND l.first_name = r.first_name')
    return rules


def settings(columns: set[str], n_records: int, dialect: str) -> dict[str, Any]:
    """The Splink settings dict for a dedupe of the prepared table."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_id",
        "comparisons": comparisons(columns, dialect),
        "blocking_rules_to_generate_predictions": blocking_rules(columns, n_records),
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "max_iterations": 25,
        "em_convergence": 0.0001,
    }


def model_for_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The same model with its SQL functions renamed for another backend."""
    import json

    text = json.dumps(model)
    names = {SplinkDialect.from_string(d).jaro_winkler_function_name
             for d in ("duckdb", "spark")}
    target = SplinkDialect.from_string(dialect).jaro_winkler_function_name
    for name in sorted(names - {target}, key=len, reverse=True):
        text = text.replace(f"{name}(", f"{target}(")
    out = json.loads(text)
    out["sql_dialect"] = dialect
    return out
