"""What processing a scan produces: JPEG files under the output directory, described by a manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.domain.sheet_codes import SheetCode


@dataclass(frozen=True)
class PageImage:
    """One page of a copy as a web image (JPEG at the render DPI)."""

    path: Path
    width: int
    height: int
    # Only on the first page of a copy: the same image with its identity zone (the top 25 %, rounded up
    # to a whole 16-pixel JPEG block row) filled with uniform grey in the pixels. The only page-1 image
    # a teacher may ever receive.
    masked_path: Path | None = None


@dataclass(frozen=True)
class CopyImages:
    pages: list[PageImage]
    header_path: Path  # JPEG crop of the top 25 % of the first page, for OCR and the identification desk


@dataclass(frozen=True)
class LoosePage:
    """A BATCH page left over after the last full copy, rendered like the first page of a copy (page,
    masked variant, header crop), so it can become any page of a copy, the first included."""

    source: int  # 0-based page number in the PDF
    images: CopyImages  # exactly one page


@dataclass(frozen=True)
class CodedPage:
    """A page of a scan of personalised sheets, upright, rendered like a loose page (page, masked
    variant, header crop) so that it can be any page of its booklet's copy or a page to place."""

    source: int  # 0-based page number in the PDF
    code: SheetCode | None  # None: no readable code of ours
    turn: int  # degrees it was turned clockwise to be upright (from its code, else the orientation check)
    images: CopyImages  # exactly one page


@dataclass(frozen=True)
class ScanResult:
    source_pages: int  # pages in the PDF (an A3 sheet counts once)
    copies: list[CopyImages]
    loose: list[LoosePage] = field(default_factory=list)
    # A scan of personalised sheets (the layout had a code key and a page had a code): every page, in scan
    # order, to be grouped by booklet (``functions.pdf.booklets``); ``copies`` and ``loose`` are then empty.
    coded: list[CodedPage] = field(default_factory=list)
