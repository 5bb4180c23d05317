"""Anonymous ids: a keyed permutation of the scan sequence, unique per exam, revealing no scan order."""

from __future__ import annotations

import itertools
import re

import pytest

from chalicelib.domain.anonymous_ids import ALPHABET, anonymous_id, new_key, new_prefix, permute

KEY = "4f1c8a0e9b7d6c5a4f1c8a0e9b7d6c5a"


def test_the_permutation_is_a_bijection_of_the_four_digit_domain() -> None:
    images = [permute(KEY, value) for value in range(10_000)]

    assert sorted(images) == list(range(10_000))


@pytest.mark.parametrize("digits", [1, 2, 3])
def test_the_permutation_of_any_width_is_a_bijection(digits: int) -> None:
    assert sorted(permute(KEY, value, digits) for value in range(10**digits)) == list(range(10**digits))


def test_the_five_digit_permutation_stays_in_its_domain_without_collisions() -> None:
    images = [permute(KEY, value, digits=5) for value in range(0, 100_000, 7)]

    assert len(set(images)) == len(images) and all(0 <= image < 100_000 for image in images)


def test_it_is_stable_for_a_key() -> None:
    assert [permute(KEY, value) for value in range(50)] == [permute(KEY, value) for value in range(50)]
    assert anonymous_id("7F3A", 12, KEY) == anonymous_id("7F3A", 12, KEY)


def test_different_keys_give_different_orders() -> None:
    orders = {tuple(permute(new_key(), value) for value in range(30)) for _ in range(20)}

    assert len(orders) == 20


def test_ids_do_not_follow_the_scan_order() -> None:
    numbers = [int(anonymous_id("7F3A", sequence, KEY).split("-")[1]) for sequence in range(1, 31)]

    assert numbers != sorted(numbers) and numbers != sorted(numbers, reverse=True)
    ascending = sum(1 for a, b in itertools.pairwise(numbers) if b > a)
    assert 5 <= ascending <= 24  # about half the steps go up, as in a random order


def test_ids_have_the_prefix_and_four_digits_and_are_unique_for_a_whole_exam() -> None:
    ids = [anonymous_id("7F3A", sequence, KEY) for sequence in range(1, 10_001)]

    assert all(re.fullmatch(r"7F3A-\d{4}", value) for value in ids)
    assert len(set(ids)) == 10_000


def test_past_ten_thousand_copies_ids_continue_on_five_digits_without_a_collision() -> None:
    four = {anonymous_id("7F3A", sequence, KEY) for sequence in range(9_990, 10_001)}
    five = [anonymous_id("7F3A", sequence, KEY) for sequence in range(10_001, 10_200)]

    assert all(re.fullmatch(r"7F3A-\d{5}", value) for value in five)
    assert len(set(five)) == len(five) and not four & set(five)


def test_exams_from_before_the_key_keep_their_sequential_format() -> None:
    assert anonymous_id("7F3A", 7) == "7F3A-007"


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(ValueError):
        permute(KEY, 10_000)
    with pytest.raises(ValueError):
        anonymous_id("7F3A", 0, KEY)


def test_prefixes_and_keys_are_random() -> None:
    assert all(char in ALPHABET for char in new_prefix()) and len(new_prefix()) == 4
    assert re.fullmatch(r"[0-9a-f]{32}", new_key()) and new_key() != new_key()
