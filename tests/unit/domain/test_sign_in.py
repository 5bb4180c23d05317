"""One rule says whether an account may sign in: used by the sign-in and by the release check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.sign_in import DISABLED, INITIAL_PASSWORD_EXPIRED, account_blocker

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@dataclass
class Account:
    active: bool = True
    must_change_password: bool = False
    initial_password_expires_at: datetime | None = None


def test_an_active_account_with_a_chosen_password_may_sign_in() -> None:
    assert account_blocker(Account(), NOW) is None


def test_a_disabled_account_may_not_whatever_its_password() -> None:
    expired_and_disabled = Account(active=False, must_change_password=True, initial_password_expires_at=NOW)
    assert account_blocker(expired_and_disabled, NOW) == DISABLED


def test_an_initial_password_is_refused_once_expired_and_only_until_changed() -> None:
    assert account_blocker(Account(must_change_password=True, initial_password_expires_at=NOW), NOW) == (
        INITIAL_PASSWORD_EXPIRED
    )
    later = NOW + timedelta(days=1)
    assert account_blocker(Account(must_change_password=True, initial_password_expires_at=later), NOW) is None
    assert account_blocker(Account(must_change_password=False, initial_password_expires_at=NOW), NOW) is None


def test_a_staff_account_has_no_initial_password_expiry() -> None:
    @dataclass
    class Staff:
        active: bool = True
        must_change_password: bool = True

    assert account_blocker(Staff(), NOW) is None
