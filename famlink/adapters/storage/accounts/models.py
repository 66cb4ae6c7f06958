"""Accounts: who can sign in, as what, and which Person (if any) a parent has proved to be.

Django's own ``User`` holds the username and the argon2 password hash; an
``Account`` adds what famlink needs. Nothing here is personal data about a
family: a parent's account reaches a ``Person`` only through a verification
code the council's data team issued (``verification.py``).

An account has no role of its own: a parent account is a parent, and a member
of staff's role is their ``governance.StaffActor.role``, the one the policy
door decides with, so the page guards and the policy can never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Account(models.Model):
    class Kind(models.TextChoices):
        PARENT = "parent"
        STAFF = "staff"
        SERVICE = "service"  # a case-management system calling the API with a bearer token

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="famlink_account")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.OneToOneField(
        "family.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="parent_account"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=30, blank=True, help_text="How the person was proved: code or data_team.")
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0, help_text="Last time step used, so a code works once.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind}:{self.user_id}"


class ApiToken(models.Model):
    """A service account's bearer token: shown once, kept only as a SHA-256 hash, expiring, revocable.

    ``lookup`` is the token's first characters, to find the row; the whole
    token is compared by its hash. ``scopes`` are the API operations it may
    call (docs/api.md); the policy door still decides every read.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class ExternalIdentity(models.Model):
    """An OpenID Connect subject (e.g. GOV.UK One Login) that signs in to an account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_once")]


class AccessAttempt(models.Model):
    """One try at a password, a second-factor code or a verification code.

    Kept in the database, not in memory, so limits hold across every
    gunicorn worker and every restart.
    """

    class Kind(models.TextChoices):
        PASSWORD = "password"
        SECOND_FACTOR = "second_factor"
        VERIFICATION = "verification"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "username", "at"], name="attempt_by_username"),
            models.Index(fields=["kind", "ip", "at"], name="attempt_by_ip"),
        ]


class ApiCallCount(models.Model):
    """How many calls one client made to the API in one minute (the API's rate limit).

    A row per client per minute, counted up by a conditional UPDATE, so the
    limit holds across every gunicorn worker on SQLite and PostgreSQL alike.
    """

    client = models.CharField(max_length=200, help_text="Who is counted: account:<id>.")
    minute = models.DateTimeField(help_text="The start of the minute counted.")
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "minute"], name="api_calls_once_per_client_minute")]


class VerificationCode(models.Model):
    """A one-time code the data team gives a parent, bound to one Person.

    The code is ``LOOKUP-SECRET``: ``lookup`` finds the row, and only a hash
    of the secret part is kept, so a copy of the database cannot be used to
    claim anyone's records.
    """

    person = models.ForeignKey("family.Person", on_delete=models.CASCADE, related_name="verification_codes")
    lookup = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=200)
    issued_by = models.CharField(max_length=150)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
