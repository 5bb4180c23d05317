"""Whether an account may sign in now: one rule for the sign-in itself and for the release check."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

#: Stable identifiers (audited as failure reasons, worded by the SPA in the release check).
DISABLED = "disabled"
INITIAL_PASSWORD_EXPIRED = "initial_password_expired"  # noqa: S105 - a reason id, not a password


class Account(Protocol):
    active: bool
    must_change_password: bool


def account_blocker(account: Account, now: datetime) -> str | None:
    """Why ``account`` (staff or student) cannot sign in even with the right password, or None:
    it is disabled, or its initial password was never changed and has expired."""
    if not account.active:
        return DISABLED
    expires: datetime | None = getattr(account, "initial_password_expires_at", None)
    if account.must_change_password and expires is not None and expires <= now:
        return INITIAL_PASSWORD_EXPIRED
    return None
