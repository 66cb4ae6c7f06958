"""Who is asking, and how they relate to the person the data is about.

Kept outside the policy package because consent needs these
words too (a parent decides for a child under their parental responsibility).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PARENT = "parent"
    PRACTITIONER = "practitioner"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    DATA_TEAM = "data_team"
    DPO = "dpo"
    AUDITOR = "auditor"
    PUBLIC = "public"
    SYSTEM = "system"


class Relation(StrEnum):
    """How the subject relates to the person asking (matters for parents only)."""

    OWN = "own"  # the subject is the actor
    CHILD_UNDER_PR = "child_under_parental_responsibility"
    OTHER_ADULT_IN_HOUSEHOLD = "other_adult_in_household"
    UNRELATED = "unrelated"
