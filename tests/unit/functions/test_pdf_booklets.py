"""Grouping a coded scan's pages by booklet: order, missing and duplicate pages, stray pages' guesses."""

from __future__ import annotations

from pathlib import Path

from chalicelib.domain.sheet_codes import SheetCode
from functions.pdf.booklets import DUPLICATE, UNKNOWN, UNREADABLE, Guess, group_pages
from functions.pdf.results import CodedPage, CopyImages, PageImage

EXAM = "exam-1"


def scanned(*codes: tuple[str, int] | SheetCode | None) -> list[CodedPage]:
    pages = []
    for source, code in enumerate(codes):
        if isinstance(code, tuple):
            code = SheetCode(EXAM, *code)
        image = PageImage(Path(f"/out/page-{source:03d}/page-00.jpg"), 1240, 1754)
        pages.append(CodedPage(source, code, 0, CopyImages([image], Path("/h.jpg"))))
    return pages


def sources(pages: list[CodedPage]) -> list[int]:
    return [page.source for page in pages]


def test_pages_are_grouped_by_booklet_and_ordered_by_page_number_whatever_the_scan_order() -> None:
    grouping = group_pages(scanned(("b", 2), ("a", 2), ("a", 1), ("b", 1), ("a", 3)), EXAM,
                           {"a": 3, "b": 2, "c": 2})
    assert [(c.sheet_id, sources(c.pages)) for c in grouping.copies] == [("b", [3, 0]), ("a", [2, 1, 4])]
    assert all(not c.missing and not c.duplicates for c in grouping.copies)
    assert grouping.stray == []


def test_a_booklet_without_one_page_reports_it_missing() -> None:
    (copy,) = group_pages(scanned(("a", 1), ("a", 3)), EXAM, {"a": 3}).copies
    assert copy.missing == [2] and sources(copy.pages) == [0, 1]


def test_a_page_scanned_twice_is_kept_once_reported_and_set_aside_with_its_own_place() -> None:
    grouping = group_pages(scanned(("a", 1), ("a", 2), ("a", 2)), EXAM, {"a": 2})
    (copy,) = grouping.copies
    assert sources(copy.pages) == [0, 1] and copy.duplicates == [2] and copy.missing == []
    (stray,) = grouping.stray
    assert (stray.page.source, stray.reason, stray.guess) == (2, DUPLICATE, Guess("a", 2))


def test_an_unreadable_page_is_guessed_from_its_neighbours_in_scan_order() -> None:
    grouping = group_pages(scanned(("a", 1), None, ("a", 3), ("b", 1), ("b", 2)), EXAM, {"a": 3, "b": 2})
    (stray,) = grouping.stray
    assert (stray.reason, stray.guess) == (UNREADABLE, Guess("a", 2))
    grouping = group_pages(scanned(("a", 1), ("a", 2), None, ("b", 2), ("c", 1)), EXAM,
                           {"a": 2, "b": 2, "c": 1})
    assert grouping.stray[0].guess == Guess("b", 1)  # the page before the next readable one


def test_without_a_helpful_neighbour_the_only_missing_page_is_the_guess_and_two_give_none() -> None:
    one = group_pages(scanned(("b", 1), ("b", 2), None, ("a", 1)), EXAM, {"a": 2, "b": 2})
    assert one.stray[0].guess == Guess("a", 2)
    two = group_pages(scanned(("b", 3), None, ("a", 1)), EXAM, {"a": 2, "b": 3})
    assert two.stray[0].guess is None


def test_codes_of_another_exam_or_of_an_unknown_booklet_are_set_aside_without_guess() -> None:
    grouping = group_pages(scanned(("a", 1), SheetCode("other-exam", "a", 2), ("zzz", 1)), EXAM, {"a": 1})
    assert [(s.page.source, s.reason, s.guess) for s in grouping.stray] == [(1, UNKNOWN, None),
                                                                           (2, UNKNOWN, None)]
    assert [c.sheet_id for c in grouping.copies] == ["a"]


def test_an_unreadable_page_whose_printed_line_was_read_is_placed_there_and_not_reported_missing() -> None:
    # b3 lost at the copier, a2's code smudged: shuffled, the neighbours cannot tell which is which
    pages = scanned(("b", 1), None, ("a", 1), ("b", 2))
    unread = group_pages(pages, EXAM, {"a": 2, "b": 3})
    assert {c.sheet_id: c.missing for c in unread.copies} == {"b": [3], "a": [2]}

    read = group_pages(pages, EXAM, {"a": 2, "b": 3}, printed={1: ("a", 2)})

    assert {c.sheet_id: c.missing for c in read.copies} == {"b": [3], "a": []}
    (stray,) = read.stray
    assert (stray.reason, stray.guess) == (UNREADABLE, Guess("a", 2, printed=True))


def test_a_printed_line_naming_a_page_already_in_the_scan_or_no_booklet_changes_nothing() -> None:
    pages = scanned(("a", 1), ("a", 2), None)
    grouping = group_pages(pages, EXAM, {"a": 2}, printed={2: ("a", 2)})
    assert grouping.copies[0].missing == [] and grouping.stray[0].guess is None
    grouping = group_pages(scanned(("a", 1), None), EXAM, {"a": 2}, printed={1: ("zzz", 1)})
    assert grouping.copies[0].missing == [2] and grouping.stray[0].guess == Guess("a", 2)
