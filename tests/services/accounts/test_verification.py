"""Verification codes: bound to one Person, hashed, single-use, expiring, with a tries limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from famlink.adapters.storage.accounts.errors import (
    NotAllowed,
    TooManyAttempts,
    VerificationRefused,
)
from famlink.adapters.storage.accounts.models import Account, VerificationCode
from famlink.adapters.storage.family.models import Person
from famlink.core.errors import Conflict
from famlink.services.accounts.provisioning import create_parent, create_staff
from famlink.services.accounts.verification import MAX_TRIES, issue, redeem

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person() -> Person:
    return Person.objects.create(display_name="Jo Bloggs")


def parent_account(username: str = "jo") -> Account:
    create_parent(username, None, password=PASSWORD)
    return Account.objects.get(user__username=username)


def test_a_code_ties_the_account_to_its_person_once(person: Person) -> None:
    code = issue(person, issued_by="team")
    account = parent_account()
    assert redeem(account, code, ip="127.0.0.1") == person
    account.refresh_from_db()
    assert account.person == person and account.verified_at is not None
    other = parent_account("other")
    with pytest.raises(VerificationRefused, match="already been used"):
        redeem(other, code, ip="127.0.0.1")
    other.refresh_from_db()
    assert other.person is None


def test_only_a_hash_of_the_secret_is_stored(person: Person) -> None:
    code = issue(person, issued_by="team")
    row = VerificationCode.objects.get()
    secret = code.replace("-", "")[4:]
    assert secret not in row.secret_hash and row.secret_hash.startswith("argon2")
    assert row.lookup == code[:4]


def test_an_expired_code_is_refused(person: Person) -> None:
    code = issue(person, issued_by="team")
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(VerificationRefused, match="expired"):
        redeem(parent_account(), code, ip=None)


def test_a_code_dies_after_too_many_wrong_tries(person: Person, settings) -> None:
    settings.FAMLINK_SIGN_IN_LIMITS = {"per_username": 100}  # test the code's own limit, not the account's
    code = issue(person, issued_by="team")
    account = parent_account()
    wrong = code[:5] + ("AAAA" if code[5:9] != "AAAA" else "BBBB") + code[9:]
    for _ in range(MAX_TRIES):
        with pytest.raises(VerificationRefused, match="not right"):
            redeem(account, wrong, ip=None)
    assert VerificationCode.objects.get().attempts == MAX_TRIES
    with pytest.raises(VerificationRefused, match="too many times"):
        redeem(account, code, ip=None)


def test_an_account_is_locked_out_after_too_many_wrong_codes(person: Person) -> None:
    account = parent_account()
    for _ in range(5):
        with pytest.raises(VerificationRefused):
            redeem(account, "ZZZZ-ZZZZ-ZZZZ", ip=None)
    code = issue(person, issued_by="team")
    with pytest.raises(TooManyAttempts):
        redeem(account, code, ip=None)


def test_staff_cannot_redeem_codes(person: Person) -> None:
    create_staff("staffer", "data_team", password=PASSWORD)
    with pytest.raises(NotAllowed):
        redeem(Account.objects.get(user__username="staffer"), issue(person, issued_by="team"), ip=None)


def test_no_code_for_a_person_who_already_has_an_account(person: Person) -> None:
    create_parent("linked", person, password=PASSWORD)
    with pytest.raises(Conflict):
        issue(person, issued_by="team")


def test_a_code_for_a_merged_person_reaches_the_surviving_person(person: Person) -> None:
    code = issue(person, issued_by="team")
    survivor = Person.objects.create(display_name="Jo Bloggs")
    Person.objects.filter(pk=person.pk).update(status=Person.Status.MERGED, merged_into=survivor)
    assert redeem(parent_account(), code, ip=None) == survivor


def test_garbage_codes_are_refused_plainly(person: Person) -> None:
    for code in ("", "12", "x" * 40, "🙂🙂🙂🙂-AAAA-BBBB"):
        with pytest.raises(VerificationRefused, match="not right"):
            redeem(parent_account(f"u{len(code)}"), code, ip=None)
