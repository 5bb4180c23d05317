"""Anonymous copy ids like ``7F3A-0427``: a random per-exam prefix and a permuted number, never a name.

The number is a keyed permutation of the copy's sequence (the order in which copies were scanned, which is
reserved atomically per upload): a Feistel network over 14-bit blocks with cycle-walking into the 4-digit
domain ``0000``-``9999``. A bijection, so two sequences of one exam never share an id and no read is needed
to keep ids unique; without the exam's random key the ids reveal nothing of the scan order. An exam with
more than 10,000 copies continues on 5 digits (a 5-digit permutation, disjoint from the 4-digit ids), and
so on. Exams created before the key existed had ``{prefix}-{sequence:03d}`` ids (``legacy``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed without confusion
DIGITS = 4
ROUNDS = 8


def new_prefix() -> str:
    """A random 4-character prefix for a new exam."""
    return "".join(secrets.choice(ALPHABET) for _ in range(4))


def new_key() -> str:
    """A random per-exam permutation key (128 bits, hex)."""
    return secrets.token_hex(16)


def _round(key: bytes, width: int, number: int, half: int, bits: int) -> int:
    message = f"{width}:{number}:{half}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << bits) - 1)


def _feistel(key: bytes, width: int, value: int, half_bits: int) -> int:
    """One pass of a balanced Feistel network over ``2 * half_bits`` bits (a bijection of that range)."""
    mask = (1 << half_bits) - 1
    left, right = value >> half_bits, value & mask
    for number in range(ROUNDS):
        left, right = right, left ^ _round(key, width, number, right, half_bits)
    return (left << half_bits) | right


def permute(key: str, value: int, digits: int = DIGITS) -> int:
    """The image of ``value`` (in ``[0, 10**digits)``) under the key's permutation of that range."""
    domain = 10**digits
    if not 0 <= value < domain:
        raise ValueError(f"{value} is outside [0, {domain})")
    half_bits = ((domain - 1).bit_length() + 1) // 2
    raw = key.encode()
    while True:  # cycle-walking: stays in the domain, expected < 2 passes (10^4 of 2^14 values)
        value = _feistel(raw, digits, value, half_bits)
        if value < domain:
            return value


def anonymous_id(prefix: str, sequence: int, key: str | None = None) -> str:
    """The anonymous id of the ``sequence``-th copy of an exam (1-based); ``key=None``: legacy format."""
    if sequence < 1:
        raise ValueError("sequences start at 1")
    if key is None:
        return f"{prefix}-{sequence:03d}"
    offset, digits = sequence - 1, DIGITS
    while offset >= 10**digits:  # the 10,001st copy and on: the next width, a permutation of its own
        offset -= 10**digits
        digits += 1
    return f"{prefix}-{permute(key, offset, digits):0{digits}d}"
