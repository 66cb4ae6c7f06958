"""Fixtures for page tests: the checking client (for every page), accounts and sign-ins."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from django.test import Client

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.adapters.storage.family.models import Person
from famlink.services.accounts.provisioning import create_parent, create_staff
from tests.web.checking_client import CheckingClient

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client() -> CheckingClient:
    """Every page test in tests/web goes through the checking client, even by the usual name."""
    return CheckingClient()


@pytest.fixture
def checking_client() -> CheckingClient:
    return CheckingClient()


@pytest.fixture
def csrf_client() -> CheckingClient:
    """A checking client that enforces CSRF as a real browser request would meet it."""
    return CheckingClient(enforce_csrf_checks=True)


@pytest.fixture
def make_person(db: None) -> Callable[..., Person]:
    def make(name: str = "Sam Jones") -> Person:
        return Person.objects.create(display_name=name)

    return make


@pytest.fixture
def parent(make_person: Callable[..., Person]) -> Account:
    """A parent whose account the data team has already verified."""
    person = make_person("Alex Parent")
    create_parent("alex", person, password=PASSWORD)
    return Account.objects.get(user__username="alex")


@pytest.fixture
def unverified_parent(db: None) -> Account:
    create_parent("robin", None, password=PASSWORD)
    return Account.objects.get(user__username="robin")


@pytest.fixture
def staff(db: None) -> Account:
    """A data-team member with security codes already set up."""
    create_staff("dana", "data_team", password=PASSWORD)
    account = Account.objects.get(user__username="dana")
    account.totp_secret = pyotp.random_base32()
    account.totp_confirmed_at = account.created_at
    account.save()
    return account


def sign_in_as(client: Client, account: Account) -> Client:
    """Sign a test client in directly (pages under test, not the sign-in flow)."""
    client.force_login(account.user, backend="django.contrib.auth.backends.ModelBackend")
    if account.kind == Account.Kind.STAFF:
        session = client.session
        session[SECOND_FACTOR_KEY] = True
        session.save()
    return client


@pytest.fixture
def private_data_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A data folder of the test's own (registers, keys and outboxes are written there)."""
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def sign_in_family(client: Client, fam: object) -> Client:
    """Sign in as the parent of a ``LinkedFamily`` (tests/common/export_family.py)."""
    return sign_in_as(client, Account.objects.get(user=fam.user))  # type: ignore[attr-defined]
