"""The words famlink uses for what it holds and why.

Every category, status and purpose is a scoped string enum, never a loose
string, so that a typo fails at import time and every value is listed in one
place (after Fides' dotted data-category taxonomy and W3C DPV purposes).
"""

from __future__ import annotations

from enum import StrEnum


class Sector(StrEnum):
    """The kind of organisation that supplies a source."""

    HEALTH = "health"
    EDUCATION = "education"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    HOUSING = "housing"
    POLICE = "police"
    WELFARE = "welfare"
    OTHER = "other"


class OrganisationType(StrEnum):
    PUBLIC = "public"
    COMMERCIAL = "commercial"
    VOLUNTARY = "voluntary"


class RecordCategory(StrEnum):
    """What one source record is about: a dotted taxonomy, broad to narrow."""

    HEALTH_REGISTRATION = "health.registration"
    HEALTH_APPOINTMENT = "health.appointment"
    HEALTH_AE_ATTENDANCE = "health.ae_attendance"
    EDUCATION_ENROLMENT = "education.enrolment"
    EDUCATION_ATTENDANCE = "education.attendance"
    EDUCATION_EXCLUSION = "education.exclusion"
    SOCIAL_CARE_REFERRAL = "social_care.referral"
    SOCIAL_CARE_ASSESSMENT = "social_care.assessment"
    SOCIAL_CARE_OUTCOME = "social_care.outcome"
    POLICE_INCIDENT = "police.incident"
    HOUSING_TENANCY = "housing.tenancy"
    HOUSING_ARREARS = "housing.arrears"
    WELFARE_BENEFIT = "welfare.benefit"
    OTHER = "other"

    @property
    def family(self) -> str:
        """The broad data category (``health``, ``police``, ...)."""
        return self.value.split(".", 1)[0]


class RecordStatus(StrEnum):
    """The status a record carries where its category has one.

    Context matters: "did not attend" and "cancelled by the hospital" are
    different facts, and an unsubstantiated referral is not a finding.
    """

    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    NO_FURTHER_ACTION = "no_further_action"
    OPEN = "open"
    CLOSED = "closed"
    ONGOING = "ongoing"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class LawfulBasis(StrEnum):
    """UK GDPR Article 6(1) bases (and the Article 9 condition where relevant)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class Purpose(StrEnum):
    """Why personal data is used: a dotted taxonomy aligned with W3C DPV.

    Each value maps to a DPV purpose in ``DPV_PURPOSE`` so that the public
    registers can be read by other tools.
    """

    DIRECT_SERVICE_DELIVERY = "service.direct_delivery"
    EARLY_HELP_IDENTIFICATION = "service.early_help_identification"
    SAFEGUARDING_CHILD_PROTECTION = "safeguarding.child_protection"
    SERVICE_PLANNING = "planning.aggregate"
    RESEARCH_STATISTICS = "research.pseudonymised_statistics"
    FRAUD_DEBT = "fraud.debt_recovery"
    SUBJECT_ACCESS = "rights.subject_access"
    RECORD_LINKAGE = "service.record_linkage"

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]


PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.DIRECT_SERVICE_DELIVERY: "Giving you a service you use",
    Purpose.EARLY_HELP_IDENTIFICATION: "Finding families who might want early help",
    Purpose.SAFEGUARDING_CHILD_PROTECTION: "Keeping a child safe from harm (child protection)",
    Purpose.SERVICE_PLANNING: "Planning services, using totals only",
    Purpose.RESEARCH_STATISTICS: "Research and statistics, with names removed",
    Purpose.FRAUD_DEBT: "Checking for fraud or collecting debts",
    Purpose.SUBJECT_ACCESS: "Showing you your own information",
    Purpose.RECORD_LINKAGE: "Matching records that are about the same person",
}

DPV_PURPOSE: dict[Purpose, str] = {
    Purpose.DIRECT_SERVICE_DELIVERY: "dpv:ServiceProvision",
    Purpose.EARLY_HELP_IDENTIFICATION: "dpv:PersonalisedBenefits",
    Purpose.SAFEGUARDING_CHILD_PROTECTION: "dpv:VitalInterestOfNaturalPerson",
    Purpose.SERVICE_PLANNING: "dpv:ServiceOptimisation",
    Purpose.RESEARCH_STATISTICS: "dpv:ResearchAndDevelopment",
    Purpose.FRAUD_DEBT: "dpv:FraudPreventionAndDetection",
    Purpose.SUBJECT_ACCESS: "dpv:FulfilmentOfObligation",
    Purpose.RECORD_LINKAGE: "dpv:ServiceProvision",
}


class DataCategory(StrEnum):
    """Kinds of personal data, for policy decisions and the access log."""

    IDENTITY = "identity"  # names, date of birth, identifiers
    CONTACT = "contact"  # address, postcode
    HEALTH = "health"
    EDUCATION = "education"
    SOCIAL_CARE = "social_care"
    POLICE = "police"
    HOUSING = "housing"
    WELFARE = "welfare"
    DERIVED = "derived"  # flags, scores, link explanations

    @classmethod
    def for_record_category(cls, category: RecordCategory) -> DataCategory:
        family = category.family
        return {
            "health": cls.HEALTH,
            "education": cls.EDUCATION,
            "social_care": cls.SOCIAL_CARE,
            "police": cls.POLICE,
            "housing": cls.HOUSING,
            "welfare": cls.WELFARE,
        }.get(family, cls.IDENTITY)


class Refresh(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    TERMLY = "termly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"
    AD_HOC = "ad_hoc"
