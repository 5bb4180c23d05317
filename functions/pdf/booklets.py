"""Grouping the pages of a scan of personalised sheets by booklet: pure bookkeeping on read codes.

Each booklet met in the scan becomes one copy, its pages in page-number order whatever the scan order,
with the printed pages it lacks (``missing``) and the pages scanned more than once (``duplicates``: the
first scan of a page is kept, the others are set aside). Pages set aside ("stray") go to the pages to
place, with a best guess of where they belong when there is one. A page whose code is unreadable but
whose printed line ("Copie s012 · page 2 / 2") was read names its place: that page is not reported
missing from its copy (it is in the scan, waiting to be placed), and it is guessed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from functions.pdf.results import CodedPage

UNREADABLE = "unreadable"  # no readable code
DUPLICATE = "duplicate"  # a page of its booklet already in the copy
UNKNOWN = "unknown_booklet"  # a valid code of another exam, or of a booklet not printed for this exam


@dataclass(frozen=True)
class BookletCopy:
    """The pages of one booklet found in the scan."""

    sheet_id: str
    pages: list[CodedPage]  # one per page number, in page-number order
    missing: list[int]  # printed page numbers not found
    duplicates: list[int]  # page numbers found more than once


@dataclass(frozen=True)
class Guess:
    """Where a stray page probably belongs: a page number of a booklet."""

    sheet_id: str
    page: int
    printed: bool = False  # read on the page's printed line, not inferred from its scan neighbours


@dataclass(frozen=True)
class StrayPage:
    """A page that joins no copy, why, and the best guess of its place."""

    page: CodedPage
    reason: str  # UNREADABLE, DUPLICATE or UNKNOWN
    guess: Guess | None


@dataclass(frozen=True)
class Grouping:
    copies: list[BookletCopy]  # in the order their booklets first appear in the scan
    stray: list[StrayPage]  # in scan order


def group_pages(pages: list[CodedPage], exam_id: str, booklets: Mapping[str, int],
                printed: Mapping[int, tuple[str, int]] | None = None) -> Grouping:
    """Group ``pages`` (scan order) by booklet; ``booklets`` maps the exam's sheet ids to printed pages;
    ``printed`` maps the scan position of a page without a readable code to the (sheet id, page) its
    printed line names, when it could be read."""
    found: dict[str, dict[int, CodedPage]] = {}
    duplicates: dict[str, set[int]] = {}
    stray: list[tuple[int, CodedPage, str]] = []
    for position, page in enumerate(pages):
        code = page.code
        if code is None:
            stray.append((position, page, UNREADABLE))
        elif code.exam_id != exam_id or code.sheet_id not in booklets:
            stray.append((position, page, UNKNOWN))
        elif code.page in found.setdefault(code.sheet_id, {}):
            duplicates.setdefault(code.sheet_id, set()).add(code.page)
            stray.append((position, page, DUPLICATE))
        else:
            found[code.sheet_id][code.page] = page
    claimed: dict[tuple[str, int], int] = {}  # a slot → the unreadable page whose printed line names it
    for position, _, reason in stray:
        slot = (printed or {}).get(position)
        if reason == UNREADABLE and slot is not None and slot not in claimed:
            sheet_id, number = slot
            if number <= booklets.get(sheet_id, 0) and number not in found.get(sheet_id, {}):
                claimed[slot] = position
    missing = {
        sheet_id: [n for n in range(1, booklets[sheet_id] + 1)
                   if n not in numbers and (sheet_id, n) not in claimed]
        for sheet_id, numbers in found.items()
    }
    named = {position: Guess(*slot, printed=True) for slot, position in claimed.items()}
    copies = [
        BookletCopy(sheet_id, [numbers[n] for n in sorted(numbers)], missing[sheet_id],
                    sorted(duplicates.get(sheet_id, ())))
        for sheet_id, numbers in found.items()
    ]
    guesses = [named.get(position) or _guess(pages, position, page, reason, missing)
               for position, page, reason in stray]
    return Grouping(copies, [StrayPage(page, reason, guess)
                             for (_, page, reason), guess in zip(stray, guesses, strict=True)])


def _guess(pages: list[CodedPage], position: int, page: CodedPage, reason: str,
           missing: Mapping[str, list[int]]) -> Guess | None:
    """A duplicate: its own place. An unreadable page: the missing page its scan neighbours suggest (the
    page after the previous readable one, else the one before the next), else the only page missing in
    the scan. Otherwise none."""
    if reason == DUPLICATE and page.code is not None:
        return Guess(page.code.sheet_id, page.code.page)
    if reason != UNREADABLE:
        return None
    before = next((p.code for p in reversed(pages[:position]) if p.code is not None), None)
    after = next((p.code for p in pages[position + 1:] if p.code is not None), None)
    candidates = []
    if before is not None:
        candidates.append(Guess(before.sheet_id, before.page + 1))
    if after is not None:
        candidates.append(Guess(after.sheet_id, after.page - 1))
    for candidate in candidates:
        if candidate.page in missing.get(candidate.sheet_id, ()):
            return candidate
    every = [Guess(sheet_id, number) for sheet_id, numbers in missing.items() for number in numbers]
    return every[0] if len(every) == 1 else None
