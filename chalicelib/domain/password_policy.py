"""The password policy of SPEC.md: ≥ 12 characters, not common, not all digits, not like the username."""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_ZXCVBN_SCORE = 2
MAX_SIMILARITY = 70.0


def password_problems(password: str, *, personal: tuple[str, ...] = ()) -> list[str]:
    """Every rule ``password`` breaks, as sentences for the user; empty when it is acceptable.

    ``personal`` holds the account's own words (username, e-mail, names) it must not resemble.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Password must be at most {MAX_LENGTH} characters long.")
    if password.isdigit():
        problems.append("Password must not be entirely numeric.")
    if _too_similar(password, personal):
        problems.append("Password is too similar to the username or e-mail.")
    if not problems and _too_common(password, personal):
        problems.append("Password is too common or too easy to guess.")
    return problems


def _too_similar(password: str, personal: tuple[str, ...]) -> bool:
    from rapidfuzz import fuzz  # imported on use: only new passwords are checked, not requests

    lowered = password.lower()
    for word in personal:
        for part in {word.lower(), word.lower().split("@")[0]}:
            if len(part) < 3:
                continue
            if part in lowered or fuzz.ratio(part, lowered) >= MAX_SIMILARITY:
                return True
    return False


def _too_common(password: str, personal: tuple[str, ...]) -> bool:
    from zxcvbn import zxcvbn  # imported on use: only password changes pay for its word lists

    return zxcvbn(password[:100], user_inputs=list(personal))["score"] < MIN_ZXCVBN_SCORE
