"""Records as one table (person, household, category, status, date) for features.

Two producers fill the same columns: the database (records the policy door
allowed, attached to persons by linkage) and synthetic extracts
(``famlink.synth.records``: for training, assessment and benchmarks, using
the synthetic ground truth as the linkage). Features never see names,
addresses or police records.
"""

from __future__ import annotations

RECORD_COLUMNS = ("person_id", "household_id", "category", "status", "event_date", "attendance_pct")
PERSON_COLUMNS = ("person_id", "household_id", "role", "dob")
EXCLUDED_FAMILIES = frozenset({"police"})  # the early help purpose does not allow police data
