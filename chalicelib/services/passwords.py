"""Argon2id password hashing (argon2-cffi) and the policy check that guards every new password."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chalicelib.domain.password_policy import password_problems
from chalicelib.errors import ValidationFailed


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; costs the same time when there is no account (no hash)."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def require_acceptable(password: str, *, personal: tuple[str, ...]) -> None:
    """Raise a 400 naming every policy rule ``password`` breaks."""
    problems = password_problems(password, personal=personal)
    if problems:
        raise ValidationFailed(" ".join(problems), extra={"problems": problems})


def generate_password() -> str:
    """A random initial password that satisfies the policy (16 URL-safe characters)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if not candidate.isdigit() and not password_problems(candidate):
            return candidate
