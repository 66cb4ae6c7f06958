"""Persons and households, as found by linkage, and the ties between them.

Ids that appear in URLs (``public_id``) are random, never sequential, so that
nobody can walk from one family to the next by changing a number.
"""

from __future__ import annotations

import secrets

from django.db import models


def new_person_id() -> str:
    return "P" + secrets.token_hex(6).upper()


def new_household_id() -> str:
    return "H" + secrets.token_hex(6).upper()


class Person(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        MERGED = "merged", "merged into another person"
        RETIRED = "retired", "no records left"

    public_id = models.CharField(max_length=20, unique=True, default=new_person_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    display_name = models.CharField(max_length=300, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.public_id


class Household(models.Model):
    public_id = models.CharField(max_length=20, unique=True, default=new_household_id)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.public_id


class HouseholdMembership(models.Model):
    """A person living in a household over a period; a child can be in two."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[("adult", "adult"), ("child", "child")])
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["household", "person", "from_date"], name="membership_once"),
        ]


class SensitiveAddress(models.Model):
    """A safeguarding-sensitive address over the period people lived there (a refuge), found by linkage.

    Sensitivity belongs to the address and the period, not to one record or
    one membership: an agency marks one record (the refuge tenancy), and every
    membership, record and address-history line at ``key`` within
    ``from_date``..``to_date`` is then sensitive, whoever it is about. It is
    shown only to people in ``protects`` (who lived there in the period, such
    as the mother and the children she took) whom the policy also lets see the
    item, never to the parent they left. Rebuilt with households at every run;
    read through ``famlink.services.governance.sensitive``.
    """

    key = models.TextField(db_index=True, help_text="Postcode and cleaned address, as linkage compares homes.")
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    from_date = models.DateField()
    to_date = models.DateField()
    protects = models.ManyToManyField(Person, related_name="sensitive_addresses")

    def __str__(self) -> str:
        return f"{self.key} {self.from_date}..{self.to_date}"


class Relationship(models.Model):
    """A tie between two persons, and whether it carries parental responsibility."""

    class Kind(models.TextChoices):
        PARENT_OF = "parent_of"
        PARTNER_OF = "partner_of"
        SIBLING_OF = "sibling_of"

    from_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_from")
    to_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_to")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parental_responsibility = models.BooleanField(default=False)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    evidence = models.CharField(max_length=200, blank=True, help_text="Where the relationship was found.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_person", "to_person", "kind"], name="relationship_once"),
        ]
