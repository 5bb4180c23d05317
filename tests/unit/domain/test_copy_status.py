"""The copy's life cycle as a table: which moves each status allows, and the groups rules use."""

from __future__ import annotations

import pytest

from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import MOVES, CopyStatus, stay, targets

S = CopyStatus


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.STAGING, {S.READY}),
        (S.READY, {S.READY, S.STAGING, S.LOCKED, S.GRADING_IN_PROGRESS}),  # question mode finalises READY
        (S.LOCKED, {S.LOCKED, S.READY, S.GRADING_IN_PROGRESS}),
        (S.GRADING_IN_PROGRESS, {S.GRADING_IN_PROGRESS, S.GRADED, S.GRADING_FAILED}),
        (S.GRADING_FAILED, {S.GRADING_IN_PROGRESS}),
        (S.GRADED, {S.READY, S.GRADING_IN_PROGRESS}),  # reopen, or rescore
    ],
)
def test_each_status_moves_only_where_the_life_cycle_says(status, expected):
    assert targets(status) == expected


def test_a_graded_copy_is_only_reopened_never_locked_or_finalised_again():
    assert copy_status.REOPEN.allows("GRADED")
    assert not copy_status.LOCK.allows("GRADED")
    assert not copy_status.FINALISE.allows("GRADED")
    assert not copy_status.UNIDENTIFY.allows("LOCKED")


def test_every_move_has_a_unique_name_and_known_statuses():
    names = [move.name for move in MOVES]
    assert len(names) == len(set(names))
    assert all(move.sources <= set(CopyStatus) and move.target in CopyStatus for move in MOVES)


def test_statuses_are_stored_as_their_plain_names():
    assert [str(status) for status in CopyStatus] == [
        "STAGING", "READY", "LOCKED", "GRADING_IN_PROGRESS", "GRADING_FAILED", "GRADED"
    ]
    assert CopyStatus("LOCKED") == "LOCKED"


def test_an_identity_correction_keeps_the_status_it_finds():
    move = stay("GRADED")
    assert move.allows("GRADED") and move.target == S.GRADED and not move.allows("READY")


def test_the_groups_rules_use():
    assert copy_status.GRADING_STARTED == {S.LOCKED, S.GRADING_IN_PROGRESS, S.GRADING_FAILED, S.GRADED}
    assert copy_status.REASSIGNABLE == {S.STAGING, S.READY}
    assert copy_status.RETURNABLE == {S.STAGING, S.READY, S.LOCKED}
    assert copy_status.FINISHED == {S.GRADED}


@pytest.mark.parametrize(
    ("status", "has_final_pdf", "shown"),
    [
        (S.GRADED, True, True),
        (S.GRADING_IN_PROGRESS, True, True),  # re-rendering after a rubric edit or a regrade
        (S.GRADING_FAILED, True, True),  # that re-render failed: the previous PDF stays
        (S.GRADING_IN_PROGRESS, False, False),  # a first render
        (S.READY, True, False),  # reopened
        (S.LOCKED, False, False),
    ],
)
def test_a_student_sees_a_graded_copy_and_keeps_it_while_it_is_rendered_again(status, has_final_pdf, shown):
    from chalicelib.domain.copy_status import has_result

    assert has_result(status, has_final_pdf) is shown
