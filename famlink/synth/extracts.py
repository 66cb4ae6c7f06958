"""The seven agency extracts: their columns, date formats, codes and TOML.

Each agency names its columns its own way, writes dates its own way and
codes statuses its own way; the source definition (docs/sources.md) maps
them onto famlink's record fields. Column order here is the CSV header order.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from famlink.core.taxonomy import (
    LawfulBasis,
    OrganisationType,
    Purpose,
    RecordCategory,
    RecordStatus,
    Sector,
)

from .identifiers import LocalIds


@dataclass(frozen=True, slots=True)
class Column:
    """One agency column: the record field it fills and the value it takes."""

    name: str
    field: str
    take: str  # key of the row values the emitter computes
    type: str = "string"
    required: bool = False
    allowed: tuple[str, ...] = ()
    map: dict[str, str] = dataclasses.field(default_factory=dict)  # `field` is a column name here


@dataclass(frozen=True, slots=True)
class Extract:
    """One agency dataset: who sends it, why famlink holds it, how it looks."""

    name: str
    title: str
    organisation: str
    sector: Sector
    categories: tuple[RecordCategory, ...]
    purposes: tuple[Purpose, ...]
    retention_years: int
    refresh: str
    date_format: str
    columns: tuple[Column, ...]
    ids: LocalIds
    health: bool = False  # carries NHS numbers
    sex_codes: tuple[str, str, str] = ("F", "M", "U")  # agency's codes for F, M, U
    upper_case: bool = False  # names and addresses keyed in capitals
    default_category: RecordCategory | None = None

    @property
    def key(self) -> str:
        return next(c.name for c in self.columns if c.field == "local_id")

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def sex_code(self, sex: str) -> str:
        return self.sex_codes["FMU".index(sex)]

    def toml(self) -> str:
        """The source definition, in exactly the docs/sources.md format."""
        q = json.dumps  # a TOML basic string is a JSON string for these values
        lines = [
            "[source]",
            f"name = {q(self.name)}",
            f"title = {q(self.title)}",
            f"organisation = {q(self.organisation)}",
            f"sector = {q(self.sector.value)}",
            f"organisation_type = {q(OrganisationType.PUBLIC.value)}",
            f"contact = {q('records@' + self.name.replace('_', '-') + '.riverside.example')}",
            f"record_categories = [{', '.join(q(c.value) for c in self.categories)}]",
            f"lawful_basis = {q(LawfulBasis.PUBLIC_TASK.value)}",
            f"purposes = [{', '.join(q(p.value) for p in self.purposes)}]",
            f"retention_years = {self.retention_years}",
            f"refresh = {q(self.refresh)}",
            "",
            "[file]",
            'format = "csv"',
            'encoding = "utf-8"',
            'delimiter = ","',
            f"key = {q(self.key)}",
            "",
        ]
        if self.default_category is not None:
            lines += ["[defaults]", f"category = {q(self.default_category.value)}", ""]
        for c in self.columns:
            lines += [f"[columns.{c.name}]", f"field = {q(c.field)}"]
            if c.type != "string":
                lines.append(f"type = {q(c.type)}")
            if c.type == "date":
                lines.append(f"formats = [{q(self.date_format)}]")
            if c.required:
                lines.append("required = true")
            if c.allowed:
                lines.append(f"allowed = [{', '.join(q(a) for a in c.allowed)}]")
            if c.map:
                pairs = ", ".join(f"{q(k)} = {q(v)}" for k, v in c.map.items())
                lines.append(f"map = {{ {pairs} }}")
            lines.append("")
        return "\n".join(lines)


C = Column
S = RecordStatus
R = RecordCategory
P = Purpose
DIRECT, SAFEGUARDING, EARLY_HELP, LINKAGE = (
    P.DIRECT_SERVICE_DELIVERY,
    P.SAFEGUARDING_CHILD_PROTECTION,
    P.EARLY_HELP_IDENTIFICATION,
    P.RECORD_LINKAGE,
)
SEXES = ("F", "M", "U")

# Agency codes for statuses and categories (the ``map`` of each TOML).
APPOINTMENT_OUTCOMES = {"ATT": S.ATTENDED, "DNA": S.DID_NOT_ATTEND, "CANC": S.CANCELLED_BY_PROVIDER}
ENCOUNTER_TYPES = {"OPA": R.HEALTH_APPOINTMENT, "AE": R.HEALTH_AE_ATTENDANCE}
SCHOOL_RECORD_TYPES = {
    "ENR": R.EDUCATION_ENROLMENT,
    "ATT": R.EDUCATION_ATTENDANCE,
    "EXC": R.EDUCATION_EXCLUSION,
}
SOCIAL_CARE_EVENTS = {
    "REF": R.SOCIAL_CARE_REFERRAL,
    "ASMT": R.SOCIAL_CARE_ASSESSMENT,
    "OUT": R.SOCIAL_CARE_OUTCOME,
}
SOCIAL_CARE_OUTCOMES = {
    "SUB": S.SUBSTANTIATED,
    "UNSUB": S.UNSUBSTANTIATED,
    "NFA": S.NO_FURTHER_ACTION,
    "OPEN": S.OPEN,
    "CLOSED": S.CLOSED,
    "ONGOING": S.ONGOING,
}
HOUSING_RECORD_TYPES = {"TEN": R.HOUSING_TENANCY, "ARR": R.HOUSING_ARREARS}


def _values(codes: dict) -> dict[str, str]:
    return {k: v.value for k, v in codes.items()}


def _allowed(codes: dict) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.value for v in codes.values()))


def _sex(name: str, codes: tuple[str, str, str]) -> Column:
    mapping = {} if codes == SEXES else dict(zip(codes, SEXES, strict=True))
    return C(name, "sex", "sex", allowed=SEXES, map=mapping)


def _date(name: str, field_name: str, take: str, required: bool = True) -> Column:
    return C(name, field_name, take, type="date", required=required)


GP = Extract(
    name="gp_registrations",
    title="Riverside GP practices: patient registrations",
    organisation="Riverside Primary Care Network",
    sector=Sector.HEALTH,
    categories=(R.HEALTH_REGISTRATION,),
    purposes=(DIRECT, SAFEGUARDING, LINKAGE),
    retention_years=10,
    refresh="monthly",
    date_format="%d/%m/%Y",
    default_category=R.HEALTH_REGISTRATION,
    health=True,
    sex_codes=("Female", "Male", "Unknown"),
    ids=LocalIds("REG", "G", 3_141_592_653),
    columns=(
        C("reg_id", "local_id", "key", required=True),
        C("patient_id", "person_ref", "person_ref"),
        C("nhs_no", "nhs_number", "nhs"),
        C("forename", "first_name", "first_name"),
        C("surname", "surname", "surname"),
        _date("dob", "date_of_birth", "dob"),
        _sex("sex", ("Female", "Male", "Unknown")),
        C("address", "address", "address"),
        C("postcode", "postcode", "postcode"),
        C("practice_code", "attributes.practice_code", "practice"),
        _date("registered_on", "event_date", "event_date"),
    ),
)

HOSPITAL = Extract(
    name="hospital_appointments",
    title="Riverside Hospitals NHS Trust: outpatient appointments and A&E attendances",
    organisation="Riverside Hospitals NHS Trust",
    sector=Sector.HEALTH,
    categories=(R.HEALTH_APPOINTMENT, R.HEALTH_AE_ATTENDANCE),
    purposes=(DIRECT, SAFEGUARDING, LINKAGE),
    retention_years=8,
    refresh="weekly",
    date_format="%Y-%m-%d",
    health=True,
    sex_codes=("2", "1", "9"),
    ids=LocalIds("A", "RX", 2_718_281_829),
    columns=(
        C("appt_ref", "local_id", "key", required=True),
        C("mrn", "person_ref", "person_ref"),
        C("nhs_number", "nhs_number", "nhs"),
        C("patient_forename", "first_name", "first_name"),
        C("patient_surname", "surname", "surname"),
        _date("patient_dob", "date_of_birth", "dob"),
        _sex("gender", ("2", "1", "9")),
        C("postcode", "postcode", "postcode"),
        C(
            "attendance_type",
            "category",
            "category",
            required=True,
            allowed=_allowed(ENCOUNTER_TYPES),
            map=_values(ENCOUNTER_TYPES),
        ),
        _date("appt_date", "event_date", "event_date"),
        C(
            "outcome",
            "status",
            "status",
            allowed=_allowed(APPOINTMENT_OUTCOMES),
            map=_values(APPOINTMENT_OUTCOMES),
        ),
        C("specialty", "attributes.specialty", "specialty"),
    ),
)

SCHOOL = Extract(
    name="school_census",
    title="Riverside schools: census returns (enrolments, attendance, exclusions)",
    organisation="Riverside Council Education Service",
    sector=Sector.EDUCATION,
    categories=(R.EDUCATION_ENROLMENT, R.EDUCATION_ATTENDANCE, R.EDUCATION_EXCLUSION),
    purposes=(DIRECT, EARLY_HELP, LINKAGE),
    retention_years=25,
    refresh="termly",
    date_format="%d-%b-%Y",
    ids=LocalIds("SC", "S", 1_618_033_989),
    columns=(
        C("census_row_id", "local_id", "key", required=True),
        C("upn", "upn", "upn", required=True),
        C("legal_forename", "first_name", "first_name"),
        C("legal_surname", "surname", "surname"),
        _date("dob", "date_of_birth", "dob"),
        _sex("gender", SEXES),
        C("ethnicity", "attributes.ethnicity", "ethnicity"),
        C("sen_provision", "attributes.sen_provision", "sen"),
        C("address_line", "address", "address"),
        C("postcode", "postcode", "postcode"),
        C(
            "record_type",
            "category",
            "category",
            required=True,
            allowed=_allowed(SCHOOL_RECORD_TYPES),
            map=_values(SCHOOL_RECORD_TYPES),
        ),
        _date("event_date", "event_date", "event_date"),
        C("school_urn", "attributes.school_urn", "school"),
        C("attendance_pct", "attributes.attendance_pct", "attendance"),
        C("exclusion_type", "attributes.exclusion_type", "exclusion"),
    ),
)

SOCIAL_CARE = Extract(
    name="childrens_social_care",
    title="Riverside Children's Services: referrals, assessments and outcomes",
    organisation="Riverside Council Children's Services",
    sector=Sector.CHILDRENS_SOCIAL_CARE,
    categories=(R.SOCIAL_CARE_REFERRAL, R.SOCIAL_CARE_ASSESSMENT, R.SOCIAL_CARE_OUTCOME),
    purposes=(SAFEGUARDING, EARLY_HELP, LINKAGE),
    retention_years=25,
    refresh="weekly",
    date_format="%Y%m%d",
    sex_codes=("FEMALE", "MALE", "UNKNOWN"),
    ids=LocalIds("EV", "CSC", 1_414_213_563),
    columns=(
        C("event_id", "local_id", "key", required=True),
        C("case_id", "person_ref", "person_ref"),
        C("child_forename", "first_name", "first_name"),
        C("child_surname", "surname", "surname"),
        _date("child_dob", "date_of_birth", "dob", required=False),
        _sex("gender", ("FEMALE", "MALE", "UNKNOWN")),
        C("address", "address", "address"),
        C("postcode", "postcode", "postcode"),
        C(
            "event_type",
            "category",
            "category",
            required=True,
            allowed=_allowed(SOCIAL_CARE_EVENTS),
            map=_values(SOCIAL_CARE_EVENTS),
        ),
        _date("event_date", "event_date", "event_date"),
        C(
            "outcome",
            "status",
            "status",
            allowed=_allowed(SOCIAL_CARE_OUTCOMES),
            map=_values(SOCIAL_CARE_OUTCOMES),
        ),
        C("referral_source", "attributes.referral_source", "referral_source"),
    ),
)

POLICE = Extract(
    name="police_incidents",
    title="West Riverside Police: people recorded at incidents",
    organisation="West Riverside Police",
    sector=Sector.POLICE,
    categories=(R.POLICE_INCIDENT,),
    purposes=(SAFEGUARDING, LINKAGE),
    retention_years=7,
    refresh="weekly",
    date_format="%d.%m.%Y",
    default_category=R.POLICE_INCIDENT,
    upper_case=True,
    ids=LocalIds("PR", "U", 1_732_050_807),
    columns=(
        C("record_no", "local_id", "key", required=True),
        C("person_urn", "person_ref", "person_ref"),
        C("FULL_NAME", "full_name", "full_name"),
        _date("dob", "date_of_birth", "dob", required=False),
        _sex("sex", SEXES),
        C("address", "address", "address"),
        C("postcode", "postcode", "postcode"),
        _date("incident_date", "event_date", "event_date"),
        C("incident_no", "attributes.incident_no", "incident"),
        C("incident_type", "attributes.incident_type", "incident_type"),
        C("involvement", "attributes.involvement", "involvement"),
    ),
)

HOUSING = Extract(
    name="housing",
    title="Riverside Council Housing: tenancies and rent arrears",
    organisation="Riverside Council Housing Service",
    sector=Sector.HOUSING,
    categories=(R.HOUSING_TENANCY, R.HOUSING_ARREARS),
    purposes=(DIRECT, EARLY_HELP, LINKAGE),
    retention_years=6,
    refresh="monthly",
    date_format="%d %B %Y",
    ids=LocalIds("HR", "T", 2_236_067_977),
    columns=(
        C("row_id", "local_id", "key", required=True),
        C("property_ref", "attributes.property_ref", "property"),
        C("address", "address", "address"),
        C("postcode", "postcode", "postcode"),
        C("sensitive", "sensitive", "sensitive", type="boolean"),
        C("tenant_ref", "person_ref", "person_ref"),
        C("tenant_forename", "first_name", "first_name"),
        C("tenant_surname", "surname", "surname"),
        _date("tenant_dob", "date_of_birth", "dob", required=False),
        C(
            "record_type",
            "category",
            "category",
            required=True,
            allowed=_allowed(HOUSING_RECORD_TYPES),
            map=_values(HOUSING_RECORD_TYPES),
        ),
        _date("effective_date", "event_date", "event_date"),
        C("tenancy_type", "attributes.tenancy_type", "tenancy_type"),
        C("arrears_amount", "attributes.arrears_amount", "arrears"),
    ),
)

WELFARE = Extract(
    name="welfare_benefits",
    title="Riverside benefits service: claims and awards",
    organisation="Riverside Council Revenues and Benefits",
    sector=Sector.WELFARE,
    categories=(R.WELFARE_BENEFIT,),
    purposes=(DIRECT, EARLY_HELP, LINKAGE),
    retention_years=6,
    refresh="monthly",
    date_format="%m/%d/%Y",
    default_category=R.WELFARE_BENEFIT,
    ids=LocalIds("C", "W", 1_098_612_289),
    columns=(
        C("claim_id", "local_id", "key", required=True),
        C("claimant_ref", "person_ref", "person_ref"),
        C("first_name", "first_name", "first_name"),
        C("last_name", "surname", "surname"),
        _date("birth_date", "date_of_birth", "dob"),
        _sex("gender", SEXES),
        C("address", "address", "address"),
        C("postcode", "postcode", "postcode"),
        C("benefit", "attributes.benefit_type", "benefit"),
        _date("award_date", "event_date", "event_date"),
        C("income_band", "attributes.income_band", "income_band"),
        C("dependants", "attributes.dependants", "dependants", type="integer"),
    ),
)

EXTRACTS: tuple[Extract, ...] = (GP, HOSPITAL, SCHOOL, SOCIAL_CARE, POLICE, HOUSING, WELFARE)
