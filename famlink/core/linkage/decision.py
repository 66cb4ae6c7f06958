"""From scored pairs to people: family guards, threshold choice, clusters.

Kept apart from the backends so the same rules apply whichever one scored the
pairs, and so they can be read and tested on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 0.9
#: the estimated precision a threshold chosen from the model must reach
TARGET_PRECISION = 0.995

# Labels (from the shared settings) that count as personal evidence.
_NO_FIRST_NAME_EVIDENCE = {"different first names"}
#: comparisons that describe a household rather than a person
#: (email too: children's records often carry a parent's contact email)
HOUSEHOLD_COMPARISONS = {"surname", "postcode", "address", "city", "email", "birth_place"}
#: a son named after his father shares name, surname, sex and address: only
#: the date of birth tells them apart, so a plainly different one is decisive
_NO_BIRTH_DATE_EVIDENCE = {"different dates of birth"}
_IDENTIFIER_CORROBORATED = "with name or date of birth agreeing"
#: match weight the personal evidence alone must reach (2 = 4 to 1 in favour)
PERSONAL_EVIDENCE_MINIMUM = 2.0


def household_guard(levels: list[dict[str, Any]], *, strict_birth_date: bool = False) -> str | None:
    """Why a pair must not be linked however high its score, or None.

    Fellegi-Sunter adds evidence as if independent, but in families it is not:
    a parent and child share surname, address and postcode; twins also share a
    date of birth; a child may carry a parent's first name. So:

    - plainly different first names (not a typo, nickname, swap or sound-alike)
      never link without an identifier agreeing with corroboration (twins);
    - the personal evidence (everything but surname, postcode, address and
      town, email) must itself be at least 4 to 1 in favour: surname and address alone never link,
      nor does a shared first name outweighed by a different date of birth.
    - with ``strict_birth_date`` (family records, ``famlink link``), a plainly
      different date of birth never links: a son named after his father.
      Off for arbitrary files, where a mistyped date of birth is common.
    Missing values are not evidence either way.
    """
    labels = {lv["comparison"]: lv["label"] for lv in levels}
    weights = {lv["comparison"]: float(lv["weight"]) for lv in levels}
    reason = guard_reasons(pd.DataFrame({f"label_{c}": [v] for c, v in labels.items()})
                         .join(pd.DataFrame({f"w_{c}": [v] for c, v in weights.items()})),
                           list(labels), strict_birth_date=strict_birth_date)[0]
    return reason if isinstance(reason, str) else None


FIRST_NAMES_DIFFER = "first names differ (could be a twin or sibling)"
BIRTH_DATES_DIFFER = "dates of birth differ by more than a year (could be a parent and child of one name)"
ONLY_HOUSEHOLD = "only household evidence (surname, address) is in favour"


def guard_reasons(pairs: pd.DataFrame, comparisons: list[str], *,
                  strict_birth_date: bool = False, families: bool = True) -> np.ndarray:
    """``household_guard`` for many pairs at once, without a dict per pair.

    ``pairs`` has ``label_<comparison>`` (the level's label) and
    ``w_<comparison>`` (its match weight, term-frequency adjustment included)
    for each comparison: millions of pairs are checked column by column.
    ``families=False`` (records that show no family structure, see
    ``family_guards``): no pair is held back, the guards exist for families.
    """
    n = len(pairs)
    if not families:
        return np.full(n, None, dtype=object)

    def has(c: str, test: Callable[[str], bool]) -> np.ndarray:
        """Labels tested once per distinct label, not once per pair."""
        if f"label_{c}" not in pairs:
            return np.zeros(n, dtype=bool)
        column = pairs[f"label_{c}"]
        verdict = {label: test(str(label)) for label in pd.unique(column)}
        return column.map(verdict).to_numpy(dtype=bool, na_value=False)

    corroborated = np.zeros(n, dtype=bool)
    for c in comparisons:
        corroborated |= has(c, lambda label: _IDENTIFIER_CORROBORATED in label)
    first_differ = has("first_name", lambda label: label in _NO_FIRST_NAME_EVIDENCE)
    birth_differ = (has("date_of_birth", lambda label: label in _NO_BIRTH_DATE_EVIDENCE)
                    if strict_birth_date else np.zeros(n, dtype=bool))
    personal = np.zeros(n)
    for c in comparisons:
        if c not in HOUSEHOLD_COMPARISONS:
            personal += pairs[f"w_{c}"].to_numpy(dtype=float)
    reason = np.full(n, None, dtype=object)  # assigned weakest rule first, so the first rule wins
    reason[personal < PERSONAL_EVIDENCE_MINIMUM] = ONLY_HOUSEHOLD
    reason[birth_differ] = BIRTH_DATES_DIFFER
    reason[first_differ] = FIRST_NAMES_DIFFER
    reason[corroborated] = None
    return reason


#: groups (one surname at one place) larger than this are not paired: a block of
#: flats or a placeholder address says nothing about families and costs n^2
_HOUSEHOLD_GROUP_LIMIT = 200
#: fewer twin-like pairs than this are too few to conclude anything from
_TWIN_LIKE_MINIMUM = 5


def household_structure(prepared: pd.DataFrame) -> dict[str, Any]:
    """Count the two kinds of same-surname, same-place pairs with plainly different first names.

    - *twin-like*: same date of birth (what the twins guard holds apart);
    - *household*: dates of birth more than a year apart (parents, children,
      siblings: what the household-evidence guard is for).

    In family data the second far outnumbers the first (a twin pair comes
    with parents and usually siblings). Where twin-like pairs outnumber them,
    they are mostly one person whose first name was replaced or mistyped.
    Place is the postcode, else the address. Distinct (name, date of birth)
    identities are counted, so a person's many records count once.

    With no place to see households by, the mirror pair is counted instead
    (``name_pairs``): same surname and date of birth with plainly different
    first names (twins, or a replaced first name) against same first name and
    date of birth with plainly different surnames (a replaced surname, or
    chance). Replacing either name is equally likely in a file of unrelated
    people, so the two are about equal there; twins add to the first only.
    ``prepared`` is the output of ``normalise.prepare``.
    """
    dated = "birth_days" in prepared and prepared["birth_days"].notna().sum() >= 2
    place = next((c for c in ("postcode", "address")
                  if dated and c in prepared and prepared[c].notna().sum() >= 2), None)
    out: dict[str, Any] = {"place": place, "twin_like_pairs": 0, "household_pairs": 0}
    if place is None:
        if dated:
            out["name_pairs"] = _name_pairs(prepared)
        return out
    keys = ["surname", place]
    people = (prepared[[*keys, "first_name", "first_name_group", "first_name_sound", "birth_days"]]
              .dropna(subset=[*keys, "first_name", "birth_days"]).drop_duplicates())
    sizes = people.groupby(keys)[place].transform("size")
    people = people[(sizes >= 2) & (sizes <= _HOUSEHOLD_GROUP_LIMIT)]
    pairs = people.merge(people, on=keys, suffixes=("_l", "_r"))
    differ = _first_names_differ(pairs)
    gap = (pairs["birth_days_l"] - pairs["birth_days_r"]).abs()
    # each unordered pair appears twice in a self-merge
    out["twin_like_pairs"] = int((differ & (gap == 0)).sum()) // 2
    out["household_pairs"] = int((differ & (gap > 366)).sum()) // 2
    return out


def _first_names_differ(pairs: pd.DataFrame) -> pd.Series:
    """Plainly different first names: not the same, not one name's forms, not sound-alike."""
    return ((pairs["first_name_l"] != pairs["first_name_r"])
            & (pairs["first_name_group_l"] != pairs["first_name_group_r"])
            & (pairs["first_name_sound_l"] != pairs["first_name_sound_r"]))


def _name_pairs(prepared: pd.DataFrame) -> dict[str, int]:
    """Distinct identities sharing a date of birth and one name, the other name plainly different."""
    needed = ["first_name", "first_name_group", "first_name_sound", "surname", "surname_sound", "birth_days"]
    if any(c not in prepared for c in needed):
        return {"surname_shared": 0, "first_name_shared": 0}
    people = prepared[needed].dropna().drop_duplicates()

    def pairs_on(keys: list[str]) -> pd.DataFrame:
        sizes = people.groupby(keys)["birth_days"].transform("size")
        kept = people[(sizes >= 2) & (sizes <= _HOUSEHOLD_GROUP_LIMIT)]
        return kept.merge(kept, on=keys, suffixes=("_l", "_r"))

    same_surname = pairs_on(["surname", "birth_days"])
    same_first = pairs_on(["first_name", "birth_days"])
    surname_differ = ((same_first["surname_l"] != same_first["surname_r"])
                      & (same_first["surname_sound_l"] != same_first["surname_sound_r"]))
    # each unordered pair appears twice in a self-merge
    return {"surname_shared": int(_first_names_differ(same_surname).sum()) // 2,
            "first_name_shared": int(surname_differ.sum()) // 2}


#: without a place: pairs sharing surname and date of birth (first names differ) must be
#: at least this many times those sharing first name and date of birth (surnames differ)
#: for the file to be taken as holding twins; unrelated people give about 1
_TWIN_EXCESS = 1.5


def family_guards(structure: dict[str, Any]) -> tuple[bool, str]:
    """Whether the family guards apply, and why, from ``household_structure``.

    On by default (precision first). Off only when the records show no
    family structure, which families cannot produce:

    - with a place (postcode or address): twin-like pairs at least twice as
      many as household pairs (and at least a handful);
    - with no place: pairs sharing surname and date of birth with different
      first names not clearly more (under 1.5 times) than pairs sharing
      first name and date of birth with different surnames (at least a
      handful of those). Twins and siblings share a surname, not a first
      name; replaced names in a file of unrelated people hit both names alike.

    There the guards only hold back duplicates whose first name or date of
    birth was replaced: without relatives in the data, sharing a surname and
    an address is evidence about the person, as Fellegi-Sunter assumes.
    """
    twins, household = structure["twin_like_pairs"], structure["household_pairs"]
    if structure["place"] is None:
        names = structure.get("name_pairs")
        if names is None:
            return True, "on: no date of birth to see families by"
        surname, first = names["surname_shared"], names["first_name_shared"]
        counts = (f"{surname} pairs share surname and date of birth with different first names, "
                  f"{first} share first name and date of birth with different surnames; "
                  f"no postcode or address")
        if first >= _TWIN_LIKE_MINIMUM and surname < _TWIN_EXCESS * first:
            return False, f"off: no family structure, names replaced alike ({counts})"
        return True, f"on: records may hold twins or siblings, or too few to tell ({counts})"
    counts = f"{twins} twin-like vs {household} household pairs by surname and {structure['place']}"
    if twins >= _TWIN_LIKE_MINIMUM and twins >= 2 * household:
        return False, f"off: no family structure ({counts})"
    return True, f"on: records look like families, or too few to tell ({counts})"


def expected_quality(probabilities: pd.Series, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 the model itself expects at ``threshold``.

    Treats each scored pair's probability as the chance it is a true match:
    expected true links = sum of p above the threshold; expected true pairs =
    sum of all p. Only as good as the model's calibration; shown, not hidden.
    """
    above = probabilities[probabilities >= threshold]
    true_links = float(above.sum())
    all_true = float(probabilities.sum()) or 1.0
    precision = true_links / len(above) if len(above) else 1.0
    recall = true_links / all_true
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1}


#: thresholds the estimate chooses from, lowest first (family records)
THRESHOLD_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
#: a finer grid reaching lower, for files of any kind (``link-file``)
FINE_THRESHOLD_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99,
                  0.995, 0.999)


def choose_threshold(probabilities: pd.Series, target: float | None = None,
                     grid: tuple[float, ...] = THRESHOLD_GRID,
                     ) -> tuple[float, str, list[dict[str, float]]]:
    """The lowest threshold whose expected precision reaches ``target`` (default TARGET_PRECISION).

    Precision first: a false merge puts someone else's record in a child's
    file. Among the thresholds of ``grid`` the lowest one at which the model
    expects the precision asked for is taken; if none is, the default.
    Expected precision at t is the mean match probability of the pairs at or
    above t (``expected_quality``).
    Returns the threshold, the reason in words and the expected trade-off.
    """
    target = TARGET_PRECISION if target is None else target
    curve = [expected_quality(probabilities, t) for t in grid]
    for point in curve:
        if point["precision"] >= target:
            return (point["threshold"],
                    f"lowest match probability at which the model expects precision >= "
                    f"{target} (expected precision {point['precision']:.3f}, "
                    f"recall {point['recall']:.3f})", curve)
    return DEFAULT_THRESHOLD, "default: no threshold reached the precision target", curve


def connected_clusters(record_ids: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components; each cluster is named after its smallest record id.

    Every record gets a cluster, singletons included.
    """
    parent: dict[str, str] = {rid: rid for rid in record_ids}

    def find(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    for left, right in links:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {rid: find(rid) for rid in parent}
