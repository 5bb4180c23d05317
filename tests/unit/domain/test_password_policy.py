"""The password policy of SPEC.md, as pure rules."""

import pytest

from chalicelib.domain.password_policy import password_problems


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short-one", "at least 12 characters"),
        ("123456789012", "entirely numeric"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("mrsmith-2026!", "similar to the username"),
    ],
)
def test_rejected_passwords_name_the_rule(password, expected):
    problems = password_problems(password, personal=("mrsmith", "mrsmith@school.example.org"))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("password", ["Correct-Horse-Battery-9", "Quiet River Stone 8", "Korrigo-demo-2026"])
def test_strong_passwords_pass(password):
    assert password_problems(password, personal=("mrsmith", "mrsmith@school.example.org")) == []
