"""The rubric score rule: items' worth, adjustments, and a question's score from the items applied."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.rubric import Applied, RubricError, check_adjustment, check_item, question_score

D = Decimal


def test_an_absolute_item_sets_the_base_and_deltas_move_from_it():
    applied = [Applied("absolute", D(4)), Applied("delta", D("-1.5"))]
    assert question_score(applied, D("0.25"), D(4)) == D("2.75")


def test_deltas_alone_start_from_zero_and_the_score_stays_within_the_question():
    assert question_score([Applied("delta", D(1)), Applied("delta", D(2))], D(0), D(4)) == D(3)
    assert question_score([Applied("delta", D(-2))], D(0), D(4)) == D(0)
    assert question_score([Applied("absolute", D(4)), Applied("delta", D(3))], D(0), D(4)) == D(4)


def test_an_off_step_sum_on_a_leaf_worth_1_4_is_rounded_down_to_the_quarter():
    applied = [Applied("absolute", D("1.4")), Applied("delta", D("-0.25"))]
    assert question_score(applied, D(0), D("1.4")) == D("1")


def test_two_absolute_items_cannot_be_applied_together():
    with pytest.raises(RubricError):
        question_score([Applied("absolute", D(1)), Applied("absolute", D(2))], D(0), D(4))


@pytest.mark.parametrize(
    ("kind", "points", "max_points"),
    [("delta", 0.3, 4), ("delta", -5, 4), ("absolute", -1, 4), ("absolute", 4.5, 4), ("bonus", 1, 4)],
)
def test_items_off_the_step_or_beyond_the_question_are_refused(kind, points, max_points):
    with pytest.raises(RubricError):
        check_item(kind, points, D(max_points))


def test_items_on_the_step_or_worth_the_full_question_are_accepted():
    assert check_item("delta", -0.75, D(4)) == D("-0.75")
    assert check_item("absolute", 1.4, D("1.4")) == D("1.4")
    assert check_adjustment(-0.5, D(2)) == D("-0.5")
    with pytest.raises(RubricError):
        check_adjustment(0.1, D(2))
