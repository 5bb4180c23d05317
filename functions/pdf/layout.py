"""How the pages of a scan become copies: BATCH cutting, A3 halves, INDIVIDUAL files, pages left over.

Pure arithmetic on declared page sizes: nothing here opens or renders a PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from functions.pdf.errors import ScanRejected


@dataclass(frozen=True)
class Layout:
    """The upload mode of an exam.

    ``BATCH``: one scan holds every copy, cut every ``pages_per_copy`` pages. ``INDIVIDUAL``: the file is
    one copy (``pages_per_copy`` is ignored). With ``split_a3``, every landscape page is cut into a left
    and a right half (two A4 pages of an A3 sheet) before counting, left first.
    """

    mode: Literal["BATCH", "INDIVIDUAL"]
    pages_per_copy: int | None = None
    split_a3: bool = False
    # The exam has personalised sheets: every page's code is read with this key (``sheet_codes``), pages
    # are turned upright from it and grouped by booklet; a scan without any code is cut as above.
    code_key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("BATCH", "INDIVIDUAL"):
            raise ValueError(f"unknown upload mode {self.mode!r}")
        if self.mode == "BATCH" and (not isinstance(self.pages_per_copy, int) or self.pages_per_copy < 1):
            raise ValueError("BATCH mode needs pages_per_copy >= 1")


@dataclass(frozen=True)
class PagePart:
    """One output page: a region of a source page and the size of its image."""

    source: int  # 0-based page number in the PDF
    clip: tuple[float, float, float, float]  # x0, y0, x1, y1 in page coordinates (points, rotation applied)
    width: int  # pixels at the render DPI
    height: int
    whole: bool  # the region is the whole page (not an A3 half)


@dataclass(frozen=True)
class ScanPlan:
    source_pages: int
    copies: tuple[tuple[PagePart, ...], ...]
    # BATCH pages after the last full copy (fewer than pages_per_copy), each to be placed by an admin
    leftover: tuple[PagePart, ...] = ()
    code_key: bytes | None = field(default=None, repr=False)  # the layout's: read codes on every page


def plan_copies(page_sizes: Sequence[tuple[float, float]], layout: Layout, dpi: int) -> ScanPlan:
    """Cut pages (width, height in points, as displayed) into copies, or raise ScanRejected (no page).

    A BATCH scan whose page count (after A3 splitting) is not a multiple of ``pages_per_copy`` gives its
    full copies and the pages left over after the last one (``leftover``): a missing or extra page must
    not cost the whole scan; an admin places those pages.

    Pixel boundaries are chosen first and the clips derived from them, so an A4 page at 150 DPI is
    exactly 1240 x 1754 pixels and the two halves of an A3 sheet share their edge without a gap.
    """
    if not page_sizes:
        raise ScanRejected("The PDF has no pages.", reason="pdf_no_pages")
    zoom = dpi / 72
    parts: list[PagePart] = []
    for number, (width, height) in enumerate(page_sizes):
        full_w, full_h = max(1, round(width * zoom)), max(1, round(height * zoom))
        if layout.split_a3 and width > height:
            middle = full_w // 2
            parts.append(PagePart(number, (0, 0, middle / zoom, full_h / zoom), middle, full_h, False))
            parts.append(PagePart(number, (middle / zoom, 0, full_w / zoom, full_h / zoom), full_w - middle,
                                  full_h, False))
        else:
            parts.append(PagePart(number, (0, 0, full_w / zoom, full_h / zoom), full_w, full_h, True))
    if layout.mode == "INDIVIDUAL":
        return ScanPlan(len(page_sizes), (tuple(parts),), code_key=layout.code_key)
    per_copy = layout.pages_per_copy
    assert per_copy is not None  # checked by Layout
    full = len(parts) - len(parts) % per_copy
    copies = tuple(tuple(parts[start:start + per_copy]) for start in range(0, full, per_copy))
    return ScanPlan(len(page_sizes), copies, tuple(parts[full:]), code_key=layout.code_key)
