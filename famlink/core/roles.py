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
    INDEPENDENT_REVIEWER = "independent_reviewer"
    PUBLIC = "public"
    SYSTEM = "system"


class StaffJob(StrEnum):
    """What a member of staff does: the job the workspace shows, and the policy ``Role`` it acts in.

    The policy decides by role (docs/governance.md); the job says which
    practitioner someone is (a health visitor is a practitioner in health).
    """

    EARLY_HELP_WORKER = "early_help_worker"
    SOCIAL_WORKER = "social_worker"
    HEALTH_VISITOR = "health_visitor"
    SCHOOL_SAFEGUARDING_LEAD = "school_safeguarding_lead"
    DESIGNATED_SAFEGUARDING_LEAD = "designated_safeguarding_lead"
    DATA_TEAM = "data_team"
    DPO = "dpo"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    AUDITOR = "auditor"

    @property
    def role(self) -> Role:
        return JOB_ROLES[self]


JOB_ROLES: dict[StaffJob, Role] = {
    StaffJob.EARLY_HELP_WORKER: Role.PRACTITIONER,
    StaffJob.SOCIAL_WORKER: Role.PRACTITIONER,
    StaffJob.HEALTH_VISITOR: Role.PRACTITIONER,
    StaffJob.SCHOOL_SAFEGUARDING_LEAD: Role.PRACTITIONER,
    StaffJob.DESIGNATED_SAFEGUARDING_LEAD: Role.SAFEGUARDING_LEAD,
    StaffJob.DATA_TEAM: Role.DATA_TEAM,
    StaffJob.DPO: Role.DPO,
    StaffJob.INDEPENDENT_REVIEWER: Role.INDEPENDENT_REVIEWER,
    StaffJob.AUDITOR: Role.AUDITOR,
}


class Relation(StrEnum):
    """How the subject relates to the person asking (matters for parents only)."""

    OWN = "own"  # the subject is the actor
    CHILD_UNDER_PR = "child_under_parental_responsibility"
    OTHER_ADULT_IN_HOUSEHOLD = "other_adult_in_household"
    UNRELATED = "unrelated"
