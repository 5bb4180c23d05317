"""Generated initial passwords: easy to read aloud, safe in a spreadsheet, strong, within the policy."""

from __future__ import annotations

import math
import re

from chalicelib.domain.password_policy import password_problems
from chalicelib.services import passwords


def test_generated_passwords_are_groups_of_four_without_look_alikes():
    for _ in range(200):
        password = passwords.generate_password()
        assert re.fullmatch(r"[a-z][a-z0-9]{3}(-[a-z][a-z0-9]{3}){3}", password), password
        assert not set(password) & set("lI1i0Oo")
        assert password[0] not in "-=+@"
        assert password_problems(password) == []


def test_generated_passwords_carry_at_least_70_bits_of_entropy():
    letters, alphabet = len(passwords.LETTERS), len(passwords.LETTERS + passwords.DIGITS)
    bits = passwords.GROUPS * (math.log2(letters) + (passwords.GROUP_LENGTH - 1) * math.log2(alphabet))
    assert bits >= 70


def test_generated_passwords_avoid_the_accounts_own_words():
    password = passwords.generate_password(personal=("lucas.martin.482", "Lucas", "MARTIN"))
    assert password_problems(password, personal=("lucas.martin.482", "Lucas", "MARTIN")) == []
