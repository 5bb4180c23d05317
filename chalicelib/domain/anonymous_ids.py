"""Anonymous copy ids like ``7F3A-001``: a random per-exam prefix and a sequence, never a name."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed without confusion


def new_prefix() -> str:
    """A random 4-character prefix for a new exam."""
    return "".join(secrets.choice(ALPHABET) for _ in range(4))


def anonymous_id(prefix: str, sequence: int) -> str:
    """The anonymous id of the ``sequence``-th copy of an exam (1-based)."""
    return f"{prefix}-{sequence:03d}"
