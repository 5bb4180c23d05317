"""Copy planning: BATCH cutting, A3 halves, INDIVIDUAL files and the pages left over after the last full
copy, on declared page sizes only."""

from __future__ import annotations

import pytest

from functions.pdf import Layout, ScanRejected
from functions.pdf.layout import plan_copies

A4 = (595.2756, 841.8898)
A3_LANDSCAPE = (2 * 595.2756, 841.8898)


def test_batch_cuts_every_pages_per_copy_pages_in_order() -> None:
    plan = plan_copies([A4] * 12, Layout("BATCH", 4), dpi=150)

    assert plan.source_pages == 12
    assert [[part.source for part in copy] for copy in plan.copies] == [[0, 1, 2, 3], [4, 5, 6, 7],
                                                                        [8, 9, 10, 11]]


def test_a4_page_at_150_dpi_is_1240_by_1754_pixels() -> None:
    (part,) = plan_copies([A4], Layout("INDIVIDUAL"), dpi=150).copies[0]

    assert (part.width, part.height) == (1240, 1754)
    assert part.whole


def test_individual_upload_is_one_copy_whatever_pages_per_copy_says() -> None:
    plan = plan_copies([A4] * 7, Layout("INDIVIDUAL", pages_per_copy=4), dpi=150)

    assert len(plan.copies) == 1
    assert [part.source for part in plan.copies[0]] == list(range(7))


def test_a3_sheet_becomes_left_then_right_half_sharing_their_edge() -> None:
    plan = plan_copies([A3_LANDSCAPE] * 2, Layout("BATCH", 2, split_a3=True), dpi=150)

    (left, right), (third, fourth) = plan.copies
    assert (left.source, right.source, third.source, fourth.source) == (0, 0, 1, 1)
    assert left.clip[0] == 0 and left.clip[2] == pytest.approx(right.clip[0])
    assert right.clip[2] == pytest.approx(A3_LANDSCAPE[0], abs=0.5)
    assert left.width + right.width == round(A3_LANDSCAPE[0] * 150 / 72)
    assert not left.whole and not right.whole


def test_split_a3_leaves_portrait_pages_whole() -> None:
    plan = plan_copies([A4, A3_LANDSCAPE, A4], Layout("BATCH", 4, split_a3=True), dpi=150)

    assert [(part.source, part.whole) for part in plan.copies[0]] == [(0, True), (1, False), (1, False),
                                                                       (2, True)]


def test_thirty_pages_at_four_per_copy_are_seven_copies_and_two_pages_to_place() -> None:
    plan = plan_copies([A4] * 30, Layout("BATCH", 4), dpi=150)

    assert len(plan.copies) == 7 and all(len(copy) == 4 for copy in plan.copies)
    assert [part.source for part in plan.copies[-1]] == [24, 25, 26, 27]
    assert [part.source for part in plan.leftover] == [28, 29]
    assert all(part.whole and (part.width, part.height) == (1240, 1754) for part in plan.leftover)


def test_a_batch_that_divides_evenly_leaves_no_page_and_individual_files_never_do() -> None:
    assert plan_copies([A4] * 12, Layout("BATCH", 4), dpi=150).leftover == ()
    assert plan_copies([A4] * 7, Layout("INDIVIDUAL", 4), dpi=150).leftover == ()


def test_fewer_pages_than_a_copy_are_all_to_place() -> None:
    plan = plan_copies([A4] * 3, Layout("BATCH", 4), dpi=150)

    assert plan.copies == () and [part.source for part in plan.leftover] == [0, 1, 2]


def test_a3_halves_left_over_are_counted_after_splitting() -> None:
    plan = plan_copies([A3_LANDSCAPE] * 3, Layout("BATCH", 4, split_a3=True), dpi=150)

    assert [[part.source for part in copy] for copy in plan.copies] == [[0, 0, 1, 1]]
    left, right = plan.leftover
    assert (left.source, right.source, left.whole, right.whole) == (2, 2, False, False)
    assert left.clip[0] == 0 and left.clip[2] == pytest.approx(right.clip[0])


def test_no_page_is_rejected() -> None:
    with pytest.raises(ScanRejected, match="no pages"):
        plan_copies([], Layout("INDIVIDUAL"), dpi=150)


@pytest.mark.parametrize("pages_per_copy", [None, 0, -2])
def test_batch_layout_needs_a_positive_pages_per_copy(pages_per_copy: int | None) -> None:
    with pytest.raises(ValueError, match="pages_per_copy"):
        Layout("BATCH", pages_per_copy)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        Layout("SOMETIMES")  # type: ignore[arg-type]
