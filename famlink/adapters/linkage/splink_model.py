"""Training, scoring and clustering with Splink, whatever the SQL backend.

The DuckDB and Spark engines differ only in how they make a Splink database
API; everything else (settings, training order, parameter repairs, guards,
threshold, clustering) is here, so both give the same answers from the same
model JSON.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from splink import Linker
from splink.internals.exceptions import EMTrainingException

from famlink.adapters.linkage import settings as shared
from famlink.core.errors import FamlinkError
from famlink.core.linkage.blocking import (
    block_codes,
    choose_rules,
    count_pairs,
    covered_by,
    sample_pairs,
)
from famlink.core.linkage.constraints import (
    AcrossServices,
    attach_to_clusters,
    constrained_clusters,
)
from famlink.core.linkage.decision import (
    BIRTH_DATES_DIFFER,
    FINE_THRESHOLD_GRID,
    FIRST_NAMES_DIFFER,
    THRESHOLD_GRID,
    choose_threshold,
    connected_clusters,
    family_guards,
    guard_reasons,
    household_structure,
)
from famlink.core.linkage.engine import LinkageResult, standard_table
from famlink.core.linkage.normalise import prepare

#: pairs drawn from each candidate blocking key to estimate its recall
SAMPLE_PER_KEY = 1000
#: derived columns candidate blocking keys may use (see ``normalise.prepare``)
BLOCKING_DERIVED = {"first_name_group", "first_name_sound", "surname_sound", "name_pair", "first_initial",
                    "surname_initial", "birth_year", "birth_month", "birth_day", "postcode_sector",
                    "postcode_district", "email_user"}
SCORE_FLOOR = 0.01
#: ``link-file`` on a file that shows families: pairs scored below this are never
#: joined through third records
APART_BELOW = 0.05  # pairs below this match probability are not kept
U_SAMPLE_PAIRS = 2e6
M_FLOOR = 1e-4
#: why a link above the threshold was left out of clustering
BRIDGE = "would join two records the guards keep apart (through a third record)"
CONSENT_APART = "kept apart: matching across services needs the people's consent"
_COMPARED = {"first_name", "middle_names", "surname", "date_of_birth", "sex", "postcode",
             "postcode_sector", "postcode_district", "address", "city", "email",
             "nhs_number", "upn", "birth_place", "occupation"}
_ALWAYS = {"first_name_group", "first_name_letters", "first_name_sound", "surname_sound", "birth_year",
           "birth_month", "birth_day", "birth_days", "email_user", "nhs_number_valid"}


def present_columns(prepared: pd.DataFrame) -> set[str]:
    """Standard columns with at least two values: the ones worth comparing."""
    return {c for c in prepared.columns
            if (c in _COMPARED or c.startswith("id_")) and prepared[c].notna().sum() >= 2}


def _repair_u(model: dict[str, Any], pairs_sampled: float) -> None:
    """Floor u of levels never seen in the u sample at 1/(pairs sampled).

    Splink otherwise falls back to a default u (about 0.019), which turns a
    rare level into a large spurious weight.
    """
    floor = 1.0 / max(pairs_sampled, 1.0)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            u = level.get("u_probability")
            if u is None or (isinstance(u, float) and (math.isnan(u) or u <= 0)):
                level["u_probability"] = floor


#: m for identifier levels EM could not train (an identifier held by few sources):
#: agencies' own numbers are right for the same person far more often than not
IDENTIFIER_PRIOR_M = {"(a typo)": 0.01, "with name or date of birth agreeing": 0.9,
                      "nothing else agrees": 0.01, "different": 0.08}


def _identifier_priors(model: dict[str, Any]) -> None:
    """Give untrained identifier comparisons (every m equal to u) a stated prior m.

    Otherwise "different NHS number" counts for nothing and a father and son
    with the same name at one address (different NHS numbers) link.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if not any("with name or date of birth agreeing" in lv.get("label_for_charts", "")
                   for lv in levels):
            continue
        if any(lv.get("m_probability") != lv.get("u_probability") for lv in levels):
            continue
        for lv in levels:
            label = lv.get("label_for_charts", "")
            for words, m in IDENTIFIER_PRIOR_M.items():
                if words in label or label.startswith(words):
                    lv["m_probability"] = m
                    lv["fix_m_probability"] = True  # stated, not learned: the model card says so
                    break


def u_sample(prepared: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The records whose pairs u is counted on: about ``U_SAMPLE_PAIRS`` pairs.

    Drawn here, by record id and seed, so every backend counts the same
    pairs and DuckDB and Spark train the same model from the same records.
    """
    rows = math.ceil(0.5 * (math.sqrt(8 * U_SAMPLE_PAIRS + 1) + 1))
    if len(prepared) <= rows:
        return prepared
    ordered = prepared.sort_values("record_id", kind="stable")
    picked = np.sort(np.random.default_rng(seed).choice(len(ordered), size=rows, replace=False))
    return ordered.iloc[picked].reset_index(drop=True)


def is_agreement(level: Mapping[str, Any]) -> bool:
    """Whether a level means the two records agree, closely or partly.

    Every level but "missing" and the last one ("different ...", ``ELSE``).
    """
    return not level.get("is_null_level") and level.get("sql_condition", "").strip().upper() != "ELSE"


def _agreement_never_against(model: dict[str, Any]) -> None:
    """Give an agreement level EM put below u (a negative weight) m = u: no evidence either way.

    Fellegi-Sunter weighs a level by m/u. EM learns m from pairs that are
    mostly the same person, but in family data a rare agreement level (two
    surnames that only sound alike, dates of birth within a month) is
    dominated by parents, siblings and twins, so EM can put its m below u and
    the model would say "their names sound alike" counts against a match.
    Agreement is never evidence against: such a level gets m = u (weight 0),
    and the m taken away from it comes off the comparison's "different"
    level, so each comparison's m still sums to 1.
    """
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        moved = 0.0
        for level in levels:
            m, u = level.get("m_probability"), level.get("u_probability")
            if is_agreement(level) and m is not None and u is not None and m < u:
                moved += u - m
                level["m_probability"] = u
        if moved:
            for level in levels:
                if not level.get("is_null_level") and not is_agreement(level):
                    level["m_probability"] = max(level["m_probability"] - moved, M_FLOOR)


def _repair_m(model: dict[str, Any], final: bool) -> None:
    """Clamp m values EM drove to 0; at the end, untrained m becomes neutral (m = u)."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            if m is None:
                if final:
                    level["m_probability"] = level.get("u_probability", M_FLOOR)
            elif isinstance(m, float) and (math.isnan(m) or m < M_FLOOR):
                level["m_probability"] = M_FLOOR


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name -> gamma value -> label, as Splink numbers levels."""
    out: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels: dict[int, str] = {}
        counter = len(non_null) - 1
        for level in levels:
            if level.get("is_null_level"):
                labels[-1] = level.get("label_for_charts", "missing")
            else:
                labels[counter] = level.get("label_for_charts", level["sql_condition"])
                counter -= 1
        out[comparison["output_column_name"]] = labels
    return out


class SplinkLinkageEngine:
    """Shared Splink pipeline; subclasses supply ``_database_api``."""

    name = "splink"
    dialect = "duckdb"

    def __init__(self, *, seed: int = 42, log_level: int = logging.WARNING) -> None:
        self.seed = seed
        self.log_level = log_level

    def _database_api(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _register(self, db_api: Any, prepared: pd.DataFrame, name: str) -> Any:
        """Hand the prepared records to the backend as table ``name``."""
        return db_api.register(prepared, table_name=name)

    # training -----------------------------------------------------------------
    def train(self, db_api: Any, table: Any, columns: set[str], n: int,
              u_rows: pd.DataFrame | None = None) -> dict[str, Any]:
        """u by random sampling, then EM on several family-safe blocking rules.

        ``u_rows`` (``u_sample``) are the records whose pairs give u when
        there are too many pairs to count them all.
        """
        model = shared.settings(columns, n, self.dialect)
        linker = Linker(table, model, log_level=self.log_level)
        det: list[Any] = list(shared.deterministic_rules(columns))
        if det:
            # keep Splink's prior if the rules find too much or nothing
            with contextlib.suppress(ValueError):
                linker.training.estimate_probability_two_random_records_match(det, recall=0.7)
            if not linker.misc.save_model_to_json()["probability_two_random_records_match"] > 0:
                linker = Linker(table, model, log_level=self.log_level)  # no pair matched: a 0 prior scores nothing
        all_pairs = n * (n - 1) / 2
        sampled = min(U_SAMPLE_PAIRS, all_pairs)
        if u_rows is not None and len(u_rows) < n:
            # every pair of the sampled rows: Splink's own sample hashes record ids with
            # the backend's hash function, so DuckDB and Spark would count different pairs
            sample = self._register(db_api, u_rows, f"famlink_u_sample_{int(time.time() * 1e6)}")
            linker = Linker(sample, linker.misc.save_model_to_json(), log_level=self.log_level)
            sampled = len(u_rows) * (len(u_rows) - 1) / 2
            linker.training.estimate_u_using_random_sampling(
                max_pairs=all_pairs, min_count_per_level=None, num_chunks=1)
        else:
            linker.training.estimate_u_using_random_sampling(
                max_pairs=sampled, seed=self.seed, min_count_per_level=None, num_chunks=1)
        model = linker.misc.save_model_to_json()
        _repair_u(model, sampled)
        for rule in shared.training_rules(columns):
            linker = Linker(table, model, log_level=self.log_level)
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except (ValueError, ZeroDivisionError, EMTrainingException) as error:
                # a small file may have no pairs on a rule: learn from the others (or keep the priors)
                logging.getLogger(__name__).info("EM on %s skipped: %s", rule, error)
                continue
            model = linker.misc.save_model_to_json()
            _repair_m(model, final=False)
        _repair_m(model, final=True)
        _identifier_priors(model)
        _agreement_never_against(model)
        return model

    # scoring ------------------------------------------------------------------
    def link(self, records: pd.DataFrame, *, threshold: float | None = None,
             model: dict[str, Any] | None = None,
             collect_candidates: bool = False, strict_birth_date: bool = False,
             max_pairs: int | None = None, blocking_rules: list[str] | None = None,
             target_precision: float | None = None,
             family_guards: bool | None = None) -> LinkageResult:
        """See ``LinkageEngine.link``; ``collect_candidates`` keeps the blocked
        pairs (``stats["candidate_pairs"]``) to measure the blocking recall ceiling."""
        started = time.perf_counter()
        records = standard_table(records)
        prepared = prepare(records)
        n = len(prepared)
        columns = present_columns(prepared)
        if not columns:
            raise FamlinkError("no identifying columns carry data; nothing to link on")
        db_api = self._database_api()
        table = self._register(db_api, prepared, f"famlink_records_{int(time.time()*1e6)}")
        record_ids = prepared["record_id"]
        families, families_reason, structure = self._family_guards(prepared, strict_birth_date)
        if family_guards is not None and not strict_birth_date:
            families = family_guards
            families_reason = "on: asked for" if family_guards else "off: asked for (--no-family-guards)"
        u_rows = u_sample(prepared, self.seed) if model is None else None
        del records
        timings: dict[str, float] = {"prepare_s": time.perf_counter() - started}
        if model is None:
            phase = time.perf_counter()
            model = self.train(db_api, table, columns, n, u_rows)
            timings["train_s"] = time.perf_counter() - phase
        else:
            model = shared.model_for_dialect(model, self.dialect)
        model = dict(model)
        phase = time.perf_counter()
        rules, blocking = self._blocking(db_api, prepared, model, columns, max_pairs, blocking_rules)
        timings["blocking_s"] = time.perf_counter() - phase
        del prepared  # Splink has its own copy now
        model["blocking_rules_to_generate_predictions"] = rules
        model["retain_intermediate_calculation_columns"] = True
        model["retain_matching_columns"] = True  # Splink keeps gamma_ columns only with these
        model["sql_dialect"] = self.dialect
        phase = time.perf_counter()
        linker = Linker(table, model, log_level=self.log_level)
        # blocked once, kept: predict and the count in _candidates share it (on Spark
        # blocking again cost as much as predicting)
        linker.inference.compute_blocked_pairs_for_predict()
        predictions = linker.inference.predict(
            threshold_match_probability=SCORE_FLOOR, warning_mode="never")
        pairs = self._scored_pairs(linker, predictions.physical_name)
        timings["predict_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        labels = level_labels(model)
        self._guard(pairs, labels, families=families, strict_birth_date=strict_birth_date)
        if threshold is None:
            threshold, reason, curve = choose_threshold(
                pairs["match_probability"], target_precision,
                FINE_THRESHOLD_GRID if target_precision is not None else THRESHOLD_GRID)
        else:
            reason, curve = "given", []
        pairs["linked"] = (pairs["match_probability"] >= threshold) & pairs["held_back"].isna()
        linked = pairs[pairs["linked"]]
        # a file seen to hold families (not merely "too little to tell"): chains through a
        # sparse record (no first name, no date of birth) join siblings, so break them
        seen_families = families and structure.get("place") is not None
        apart = self._kept_apart(pairs, record_ids, linked,
                                 guarded=strict_birth_date or families,
                                 below=APART_BELOW if seen_families and not strict_birth_date else None)
        clusters, skipped = constrained_clusters(
            record_ids, zip(linked["record_id_l"], linked["record_id_r"], linked["match_probability"],
                            strict=True), apart)
        if skipped:
            skip = pd.MultiIndex.from_tuples(skipped)
            hit = pd.MultiIndex.from_arrays([pairs["record_id_l"], pairs["record_id_r"]]).isin(skip)
            pairs.loc[hit, "linked"] = False
            pairs["held_back"] = pairs["held_back"].cat.add_categories([BRIDGE])
            pairs.loc[hit, "held_back"] = BRIDGE
        timings["guard_cluster_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        comparisons_scored, candidates = self._candidates(linker, n, collect_candidates)
        timings["count_s"] = time.perf_counter() - phase
        timings["total_s"] = time.perf_counter() - started
        stats = {
            "engine": self.name, "records": n, "columns_compared": sorted(columns),
            "blocking_rules": model["blocking_rules_to_generate_predictions"],
            "comparisons_scored": comparisons_scored,
            "pairs_kept": len(pairs), "pairs_linked": int(pairs["linked"].sum()),
            "pairs_held_back": int((pairs["held_back"].notna()
                                    & (pairs["match_probability"] >= threshold)).sum()),
            "expected_quality": curve, "timings": timings,
            "family_guards": {"applied": families, "reason": families_reason, **structure},
            "blocking": blocking,
        }
        if candidates is not None:
            stats["candidate_pairs"] = candidates
        return LinkageResult(pairs=pairs, clusters=clusters, model=model,
                             threshold=float(threshold), threshold_reason=reason, stats=stats,
                             level_labels=labels, cannot_link=apart)

    # blocking -----------------------------------------------------------------
    def _blocking(self, db_api: Any, prepared: pd.DataFrame, model: dict[str, Any], columns: set[str],
                  max_pairs: int | None, given: list[str] | None) -> tuple[list[str], dict[str, Any]]:
        """The prediction blocking rules and how they were chosen (for the run report)."""
        n = len(prepared)
        if given:
            return list(given), {"how": "given in the mapping", "rules": list(given)}
        if not max_pairs or n <= shared.ALL_PAIRS_LIMIT:
            rules = shared.blocking_rules(columns, n)
            how = "every pair (small file)" if rules == ["1 = 1"] else "fixed generic rules"
            return rules, {"how": how, "rules": rules}
        derived = {c for c in BLOCKING_DERIVED if c in prepared and prepared[c].notna().sum() >= 2}
        keys = shared.candidate_blocking_keys(columns, derived)
        counts = {k: count_pairs(prepared, k) for k in keys}  # exact, as Splink would count them
        rng = np.random.default_rng(self.seed)
        samples = {k: sample_pairs(prepared, k, SAMPLE_PER_KEY, rng)
                   for k in keys if 0 < counts[k] <= max_pairs}
        scored = self._score_sample(db_api, prepared, model, samples)
        codes = block_codes(prepared, keys)
        cover = {k: covered_by(codes, sample, keys) for k, sample in scored.items()}
        choice = choose_rules(counts, scored, cover, keys, max_pairs)
        if not choice.keys:
            rules = shared.blocking_rules(columns, n)
            return rules, {"how": "fixed generic rules (no candidate fitted the budget)", "rules": rules}
        rules = [shared.key_rule(k) for k in choice.keys]
        return rules, {
            "how": f"chosen from {len(keys)} candidates for the most expected matches within "
                   f"{max_pairs:,} pairs",
            "rules": rules, "max_pairs": max_pairs,
            "expected_recall": round(choice.expected_recall, 4),
            "expected_recall_means": "share of the matches all affordable candidate rules together "
                                     "are expected to find (from the model's probabilities on "
                                     f"{SAMPLE_PER_KEY} sampled pairs per rule)",
            "pairs_estimated": choice.pairs_estimated,
            "chosen": [{**row, "rule": shared.key_rule(row["rule"])} for row in choice.rows],
            "candidates": [{**row, "rule": shared.key_rule(row["rule"])} for row in choice.candidates],
            "too_many_pairs": {shared.key_rule(k): c for k, c in counts.items() if c > max_pairs},
        }

    def _score_sample(self, db_api: Any, prepared: pd.DataFrame, model: dict[str, Any],
                      samples: dict[tuple[str, ...], pd.DataFrame]) -> dict[tuple[str, ...], pd.DataFrame]:
        """Each sample with the model's ``match_probability``, term frequencies from the whole file.

        The sampled pairs are written as a table of record copies, two per pair
        sharing a ``pair_key``, and scored by Splink with blocking on that key:
        the same SQL on every backend.
        """
        frames = [s for s in samples.values() if len(s)]
        if not frames:
            return {}
        unique = pd.concat(frames, ignore_index=True).drop_duplicates().reset_index(drop=True)
        sides = []
        for side, column in (("l", "i"), ("r", "j")):
            copy = prepared.iloc[unique[column].to_numpy()].reset_index(drop=True)
            copy["record_id"] = [f"{k}{side}" for k in range(len(unique))]
            copy["pair_key"] = np.arange(len(unique))
            sides.append(copy)
        table = self._register(db_api, pd.concat(sides, ignore_index=True),
                               f"famlink_sample_{int(time.time() * 1e6)}")
        sample_model = dict(model)
        sample_model["blocking_rules_to_generate_predictions"] = ["l.pair_key = r.pair_key"]
        sample_model["retain_intermediate_calculation_columns"] = False
        sample_model["retain_matching_columns"] = False
        sample_model["sql_dialect"] = self.dialect
        linker = Linker(table, sample_model, log_level=self.log_level)
        for tf_column in linker._settings_obj._term_frequency_columns:
            name = tf_column.unquote().name
            values = prepared[name].dropna()
            lookup = values.value_counts(normalize=True).rename_axis(name).reset_index(name=f"tf_{name}")
            linker.table_management.register_term_frequency_lookup(
                self._register(db_api, lookup, f"famlink_tf_{name}_{int(time.time() * 1e6)}"), name)
        predictions = linker.inference.predict(warning_mode="never")
        scores = linker.misc.query_sql(
            f"select record_id_l, record_id_r, match_probability from {predictions.physical_name}",
            output_type="pandas")
        key = scores["record_id_l"].astype(str).str[:-1].astype(int)
        probability = pd.Series(scores["match_probability"].astype(float).to_numpy(), index=key.to_numpy())
        unique["match_probability"] = unique.index.map(probability).fillna(0.0)
        lookup_p = unique.set_index(["i", "j"])["match_probability"]
        out = {}
        for k, sample in samples.items():
            if len(sample):
                joined = sample.join(lookup_p, on=["i", "j"])
                out[k] = joined.reset_index(drop=True)
        return out

    # incremental --------------------------------------------------------------
    def link_new(self, existing: pd.DataFrame, existing_clusters: Mapping[str, str], new: pd.DataFrame, *,
                 model: dict[str, Any], threshold: float,
                 cannot_link: Iterable[tuple[str, str]] = (), strict_birth_date: bool = False,
                 across: AcrossServices | None = None) -> LinkageResult:
        """See ``LinkageEngine.link_new``: new x new with Splink's ``predict_within``,
        existing x new with ``predict_between``, under the settings, blocking rules,
        term frequencies and guards a full run over the same records would use.

        Only pairs with a new record are scored, so a run costs what the new
        extract costs, not what everything ever received costs. The one place
        existing pairs are scored is a bridge: before two existing clusters are
        joined, their records are scored against each other and any pair the
        guards hold apart (father and son of one name) blocks the join, as it
        would in a full run.
        """
        started = time.perf_counter()
        existing, new = standard_table(existing), standard_table(new)
        prepared = prepare(standard_table(pd.concat([existing, new], ignore_index=True)))
        n = len(prepared)
        columns = present_columns(prepared)
        if not columns:
            raise FamlinkError("no identifying columns carry data; nothing to link on")
        is_new = prepared["record_id"].isin(set(new["record_id"].astype(str)))
        model = dict(shared.model_for_dialect(model, self.dialect))
        model["blocking_rules_to_generate_predictions"] = shared.blocking_rules(columns, n)
        model["retain_intermediate_calculation_columns"] = True
        model["retain_matching_columns"] = True
        model["sql_dialect"] = self.dialect
        labels = level_labels(model)
        families = self._family_guards(prepared, strict_birth_date)[0]  # as a full run over the same records decides
        timings: dict[str, float] = {"prepare_s": time.perf_counter() - started}
        phase = time.perf_counter()
        frames: list[pd.DataFrame] = []
        scored = 0
        linker: Linker | None = None
        if is_new.any():
            db_api = self._database_api()
            stamp = int(time.time() * 1e6)
            everyone = self._register(db_api, prepared, f"famlink_all_{stamp}")
            linker = Linker(everyone, model, log_level=self.log_level)
            # term frequencies over every record, as a full run computes them
            for column in linker._settings_obj._term_frequency_columns:
                linker.table_management.compute_tf_table(column.name)
            fresh = self._register(db_api, prepared[is_new].reset_index(drop=True), f"famlink_new_{stamp}")
            outputs = [linker.inference.predict_within(fresh, warning_mode="never")]
            if (~is_new).any():
                known = self._register(db_api, prepared[~is_new].reset_index(drop=True), f"famlink_old_{stamp}")
                outputs.append(linker.inference.predict_between(known, fresh, warning_mode="never"))
            for output in outputs:
                scored += int(linker.misc.query_sql(
                    f"select count(*) as n from {output.physical_name}", output_type="pandas")["n"].iloc[0])
                frames.append(self._scored_pairs(
                    linker, output.physical_name, where=f"match_probability >= {SCORE_FLOOR}"))
        pairs = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in (("record_id_l", object), ("record_id_r", object),
                                                 ("match_probability", float), ("match_weight", float))}))
        timings["predict_s"] = time.perf_counter() - phase
        phase = time.perf_counter()
        self._guard(pairs, labels, families=families, strict_birth_date=strict_birth_date)
        pairs["linked"] = (pairs["match_probability"] >= threshold) & pairs["held_back"].isna()
        apart = list(cannot_link) + (self._held_apart(pairs) if strict_birth_date else [])
        record_ids = prepared["record_id"].tolist()
        clusters, skipped, bridged, consent_apart = attach_to_clusters(
            record_ids, existing_clusters, self._links(pairs), apart, across)
        bridge_pairs = 0
        if bridged and linker is not None and strict_birth_date:
            # score the bridged clusters' records against each other, as a full run would have
            involved = {r for r, c in existing_clusters.items() if c in set().union(*bridged)}
            table = self._register(linker._db_api, prepared[prepared["record_id"].isin(involved)]
                                   .reset_index(drop=True), f"famlink_bridged_{int(time.time() * 1e6)}")
            output = linker.inference.predict_within(table, warning_mode="never")
            between = self._scored_pairs(linker, output.physical_name)
            between = between[between["record_id_l"].map(existing_clusters)
                              != between["record_id_r"].map(existing_clusters)].reset_index(drop=True)
            bridge_pairs = len(between)
            if not between.empty:
                self._guard(between, labels, families=families, strict_birth_date=strict_birth_date)
                apart += self._held_apart(between)
                clusters, skipped, bridged, consent_apart = attach_to_clusters(
                    record_ids, existing_clusters, self._links(pairs), apart, across)
        if skipped:
            skip = pd.MultiIndex.from_tuples(skipped)
            hit = pd.MultiIndex.from_arrays([pairs["record_id_l"], pairs["record_id_r"]]).isin(skip)
            pairs.loc[hit, "linked"] = False
            pairs["held_back"] = pairs["held_back"].cat.add_categories([BRIDGE])
            pairs.loc[hit, "held_back"] = BRIDGE
        if consent_apart:  # not links: consent kept these records apart (famlink.core.policy.linkage)
            keep = pd.MultiIndex.from_tuples(consent_apart)
            hit = pd.MultiIndex.from_arrays([pairs["record_id_l"], pairs["record_id_r"]]).isin(keep)
            pairs.loc[hit, "linked"] = False
            if CONSENT_APART not in pairs["held_back"].cat.categories:
                pairs["held_back"] = pairs["held_back"].cat.add_categories([CONSENT_APART])
            pairs.loc[hit, "held_back"] = CONSENT_APART
        timings["guard_cluster_s"] = time.perf_counter() - phase
        timings["total_s"] = time.perf_counter() - started
        stats = {
            "engine": self.name, "records": n, "records_new": int(is_new.sum()),
            "columns_compared": sorted(columns),
            "blocking_rules": model["blocking_rules_to_generate_predictions"],
            "comparisons_scored": scored, "bridge_pairs_scored": bridge_pairs,
            "pairs_kept": len(pairs), "pairs_linked": int(pairs["linked"].sum()),
            "pairs_held_back": int((pairs["held_back"].notna() & (pairs["held_back"] != CONSENT_APART)
                                    & (pairs["match_probability"] >= threshold)).sum()),
            "bridges": [sorted(b) for b in bridged], "links_skipped": len(skipped),
            "links_kept_apart_by_consent": consent_apart, "timings": timings,
        }
        return LinkageResult(pairs=pairs, clusters=clusters, model=model, threshold=float(threshold),
                             threshold_reason="given", stats=stats, level_labels=labels,
                             cannot_link=[p for p in apart if p[0] in clusters and p[1] in clusters])

    @staticmethod
    def _links(pairs: pd.DataFrame) -> list[tuple[str, str, float]]:
        linked = pairs[pairs["linked"]]
        return list(zip(linked["record_id_l"], linked["record_id_r"], linked["match_probability"], strict=True))

    @staticmethod
    def _held_apart(pairs: pd.DataFrame) -> list[tuple[str, str]]:
        """Pairs the guards say are two people: cannot-link in clustering (family records only)."""
        if pairs.empty:
            return []
        held = pairs[pairs["held_back"].isin([FIRST_NAMES_DIFFER, BIRTH_DATES_DIFFER])]
        return list(zip(held["record_id_l"], held["record_id_r"], strict=True))

    def _candidates(self, linker: Linker, n: int, collect: bool) -> tuple[int, pd.DataFrame | None]:
        """How many pairs blocking generated, and (if asked) which ones.

        With every pair scored the candidates are all pairs, so none are
        collected: the blocking recall ceiling is 1 by construction.
        """
        rules = linker._settings_obj._blocking_rules_to_generate_predictions
        if [r.blocking_rule_sql for r in rules] == ["1 = 1"]:
            return n * (n - 1) // 2, None
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        name = blocked.physical_name
        count = int(linker.misc.query_sql(
            f"select count(*) as n from {name}", output_type="pandas")["n"].iloc[0])
        if not collect:
            return count, None
        ids = linker.misc.query_sql(
            f"select join_key_l as record_id_l, join_key_r as record_id_r from {name}",
            output_type="pandas")
        return count, ids.astype(str)

    def _scored_pairs(self, linker: Linker, predictions: str, where: str | None = None) -> pd.DataFrame:
        """The scored pairs, compactly: ids, probability, weight, and per comparison
        the level hit (``gamma_<name>``, int8) and its weight (``w_<name>``, float32).

        Only these columns leave the database: the matching values and Splink's
        intermediate columns stay there, so memory grows with the pairs kept,
        not with their width (the 20,000-family run once took 11 GB building a
        dict per comparison per pair).
        """
        present = set(linker.misc.query_sql(
            f"select * from {predictions} limit 0", output_type="pandas").columns)
        names = sorted(c.removeprefix("gamma_") for c in present if c.startswith("gamma_"))
        select = ["record_id_l", "record_id_r", "match_probability", "match_weight"]
        for name in names:
            weight = f"mw_{name}" + (f" + COALESCE(mw_tf_adj_{name}, 0)" if f"mw_tf_adj_{name}" in present else "")
            select += [f"CAST(gamma_{name} AS TINYINT) AS gamma_{name}",
                       f"CAST(COALESCE({weight}, 0) AS FLOAT) AS w_{name}"]
        frame = linker.misc.query_sql(
            f"select {', '.join(select)} from {predictions}" + (f" where {where}" if where else ""),
            output_type="pandas")
        frame["record_id_l"] = frame["record_id_l"].astype(str)
        frame["record_id_r"] = frame["record_id_r"].astype(str)
        frame["match_probability"] = frame["match_probability"].astype(float)
        frame["match_weight"] = frame["match_weight"].astype(float)
        return frame

    def _kept_apart(self, pairs: pd.DataFrame, record_ids: pd.Series, linked: pd.DataFrame, *,
                    guarded: bool = True, below: float | None = None) -> list[tuple[str, str]]:
        """Pairs the guards say are two people, which links through a third record would join.

        A record without a date of birth, "John Smith" at an address, links to
        the father and to the son of that name; clustering by connected
        components would then make them one person although the pair itself
        was held back. On family records (``strict_birth_date``), pairs held
        back for different first names or dates of birth become cannot-link
        constraints; only those inside one unconstrained cluster matter.
        Any other file (``below`` set): so do pairs the model scored below
        ``below`` (confidently two people), so that a chain of links through
        third records cannot join them; the guards' pairs too when they apply.
        """
        apart = pairs["held_back"].isin([FIRST_NAMES_DIFFER, BIRTH_DATES_DIFFER])
        if not guarded:
            apart &= False
        if below is not None:
            apart |= pairs["match_probability"] < below
        held = pairs[apart]
        if held.empty:
            return []
        rough = connected_clusters(record_ids, zip(linked["record_id_l"], linked["record_id_r"], strict=True))
        same = held["record_id_l"].map(rough) == held["record_id_r"].map(rough)
        return list(zip(held.loc[same, "record_id_l"], held.loc[same, "record_id_r"], strict=True))

    @staticmethod
    def _family_guards(prepared: pd.DataFrame, strict_birth_date: bool) -> tuple[bool, str, dict[str, Any]]:
        """Whether the family guards apply, why, and the counts behind it.

        Family records (``strict_birth_date``) always: twins and namesakes are
        there by definition. Any other file only if it shows family structure:
        on records of unrelated people the guards hold back nothing but
        duplicates whose first name or date of birth was replaced.
        """
        if strict_birth_date:
            return True, "on: family records", {}
        structure = household_structure(prepared)
        return (*family_guards(structure), structure)

    @staticmethod
    def _guard(pairs: pd.DataFrame, labels: dict[str, dict[int, str]], *, families: bool = True,
               strict_birth_date: bool = False) -> None:
        """Add ``held_back``: each pair's family-guard reason, or None."""
        if pairs.empty:
            pairs["held_back"] = pd.Series([], index=pairs.index, dtype="category")
            return
        names = [c for c in labels if f"gamma_{c}" in pairs]
        weights = pairs[[f"w_{c}" for c in names]].round(3)
        view = pd.concat([weights] + [pairs[f"gamma_{c}"].map(labels[c]).astype("category")
                                      .rename(f"label_{c}") for c in names], axis=1)
        pairs["held_back"] = pd.Series(
            guard_reasons(view, names, strict_birth_date=strict_birth_date, families=families),
            index=pairs.index, dtype="category")
