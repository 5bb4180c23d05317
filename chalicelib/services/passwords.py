"""Argon2id password hashing (argon2-cffi) and the policy check that guards every new password."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.domain.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems
from chalicelib.errors import ValidationFailed

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # loaded by the first sign-in or new password, not at start

    return PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; costs the same time when there is no account (no hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# The reason of a refused password: the first rule it breaks (matched on the policy's own sentence).
_POLICY_REASONS = (
    ("at least", "password_too_short"),
    ("at most", "password_too_long"),
    ("numeric", "password_all_digits"),
    ("similar", "password_too_similar"),
    ("common", "password_too_common"),
)


def policy_reason(problem: str) -> str:
    """The stable reason of one sentence of ``password_problems`` (``password_rejected`` if unknown)."""
    return next((reason for words, reason in _POLICY_REASONS if words in problem), "password_rejected")


def require_acceptable(password: str, *, personal: tuple[str, ...]) -> None:
    """Raise a 400 naming every policy rule ``password`` breaks (``reason``: the first one)."""
    problems = password_problems(password, personal=personal)
    if problems:
        raise ValidationFailed(
            " ".join(problems),
            reason=policy_reason(problems[0]),
            params={"min": MIN_LENGTH, "max": MAX_LENGTH},
            extra={"problems": problems},
        )


# Easy to read aloud and to copy from paper: lower case only (no "capital" to spell out), without the
# look-alikes l/I/i/j/1 and o/O/0.
LETTERS = "abcdefghkmnpqrstuvwxyz"
DIGITS = "23456789"
GROUPS, GROUP_LENGTH = 4, 4


def generate_password(*, personal: tuple[str, ...] = ()) -> str:
    """A random initial password such as ``kx4e-tamf-7hcw-dnr3``: 4 groups of 4 characters.

    Each group starts with a letter (so the password never starts with ``-``, ``=``, ``+`` or ``@``
    and reads as groups), then 3 letters or digits: about 76 bits of entropy; it passes the policy.
    """
    alphabet = LETTERS + DIGITS
    while True:
        groups = [
            secrets.choice(LETTERS) + "".join(secrets.choice(alphabet) for _ in range(GROUP_LENGTH - 1))
            for _ in range(GROUPS)
        ]
        candidate = "-".join(groups)
        if not password_problems(candidate, personal=personal):
            return candidate
