"""The score step rule: quarter points, or exactly the leaf's points, within 0 … max; exact arithmetic."""

from decimal import Decimal

import pytest

from chalicelib.domain.scoring import (
    ScoreError,
    is_valid_score,
    missing_leaves,
    score_problem,
    total,
    validate_scores,
)

SCHEME = {
    "nodes": [
        {"id": "a", "label": "Q1", "points": 0.3, "children": []},
        {"id": "b", "label": "Q2", "points": 1.1, "children": []},
        {"id": "c", "label": "Q3", "points": 1.4, "children": []},
        {"id": "d", "label": "Q4", "points": 3, "children": []},
    ]
}


@pytest.mark.parametrize("max_points", ["0.3", "1.1", "1.4", "0.01", "2.99", "1000"])
def test_full_marks_are_reachable_on_every_leaf(max_points):
    assert is_valid_score(Decimal(max_points), Decimal(max_points))


@pytest.mark.parametrize("score", ["0", "0.25", "0.5", "0.75", "1", "1.25"])
def test_quarter_points_up_to_the_max_are_valid(score):
    assert is_valid_score(Decimal(score), Decimal("1.4"))


@pytest.mark.parametrize(
    ("score", "max_points", "problem"),
    [
        ("1.45", "1.4", "must be between 0 and 1.4"),
        ("1.5", "1.4", "must be between 0 and 1.4"),
        ("-0.25", "2", "must be between 0 and 2"),
        ("1.3", "1.4", "must be a multiple of 0.25 or the full 1.4"),
        ("0.1", "0.3", "must be a multiple of 0.25 or the full 0.3"),
        ("2.9", "20", "must be a multiple of 0.25"),
    ],
)
def test_other_scores_are_refused_with_the_reason(score, max_points, problem):
    assert score_problem(Decimal(score), Decimal(max_points)) == problem


def test_validated_scores_reach_full_marks_and_sum_exactly():
    clean = validate_scores({"a": 0.3, "b": 1.1, "c": 1.4, "d": 2.75}, {}, "", SCHEME)
    assert clean == {"a": 0.3, "b": 1.1, "c": 1.4, "d": 2.75}
    assert total(clean) == 5.55  # 0.3 + 1.1 + 1.4 + 2.75, no float drift
    assert missing_leaves(clean, SCHEME) == []


def test_a_score_off_the_step_names_its_question():
    with pytest.raises(ScoreError) as raised:
        validate_scores({"c": 1.45}, {}, "", SCHEME)
    assert raised.value.node_id == "c" and "between 0 and 1.4" in raised.value.message
    with pytest.raises(ScoreError, match=r"multiple of 0\.25 or the full 1\.1"):
        validate_scores({"b": 1.05}, {}, "", SCHEME)


def test_a_stored_score_off_the_step_counts_as_missing():
    assert missing_leaves({"a": 0.3, "b": 1.05, "c": 1.4, "d": 3}, SCHEME) == ["b"]
