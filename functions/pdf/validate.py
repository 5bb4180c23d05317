"""Checks that reject a hostile or unusable scan before anything is rendered.

``open_document`` and ``inspect_document`` parse the PDF with MuPDF but only read its structure and the
declared page sizes: no content stream is run, no image is decoded, so a drawing bomb passes through them
in milliseconds and is caught by the render timeout instead. They run inside the sandboxed child all the
same, since a hostile cross-reference table can still cost parsing time and memory. (The size and magic
bytes checks, which need no parser, are in ``functions.pdf.filecheck``.)
"""

from __future__ import annotations

import math
from pathlib import Path

import pymupdf

from functions.pdf.errors import ScanRejected, short_error
from functions.pdf.filecheck import check_file
from functions.pdf.layout import Layout, ScanPlan, plan_copies
from functions.pdf.limits import Limits

# What PyMuPDF raises for a bad file: FileDataError & co. (RuntimeError), ValueError, MuPDF's own errors.
MUPDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)


def open_document(pdf_path: Path) -> pymupdf.Document:
    """Open the PDF for reading; refuse encrypted and damaged files."""
    try:
        doc = pymupdf.open(pdf_path, filetype="pdf")
    except MUPDF_ERRORS as exc:
        raise ScanRejected(f"The PDF is damaged and cannot be opened ({short_error(exc)}): "
                           "export or scan it again.", reason="pdf_damaged",
                           params={"detail": short_error(exc)}) from None
    if not doc.is_pdf:
        doc.close()
        raise ScanRejected("The file is not a PDF: upload the scan as a PDF file.", reason="not_a_pdf")
    # needs_pass: a password is needed to read it. A file with only an owner password (print/copy
    # restrictions) is opened by MuPDF with the empty user password and is then no longer is_encrypted.
    if doc.needs_pass or doc.is_encrypted:
        doc.close()
        raise ScanRejected("The PDF is encrypted (password-protected): export or scan it again without a "
                           "password.", reason="pdf_encrypted")
    if doc.is_repaired:
        doc.close()
        raise ScanRejected(_DAMAGED, reason="pdf_repaired")
    return doc


_DAMAGED = ("The PDF is damaged or truncated (its structure had to be repaired, so pages may be missing or "
            "blank): upload the complete file again, or export or scan it again.")


def inspect_document(doc: pymupdf.Document, layout: Layout, limits: Limits) -> ScanPlan:
    """Page count and per-page pixel caps, then the copy plan. Reads page sizes only."""
    count = doc.page_count
    if count == 0:
        raise ScanRejected("The PDF has no pages.", reason="pdf_no_pages")
    if count > limits.max_pages:
        raise ScanRejected(f"The PDF has {count} pages, above the limit of {limits.max_pages} pages per "
                           "upload: split the scan into smaller files.", reason="pdf_too_many_pages",
                           params={"count": count, "limit": limits.max_pages})
    zoom = limits.dpi / 72
    sizes = []
    for number in range(count):
        try:
            rect = doc.load_page(number).rect  # parses the page dictionary, not its contents
        except MUPDF_ERRORS as exc:  # a broken page object
            raise ScanRejected(f"Page {number + 1} cannot be read ({short_error(exc)}): the PDF is damaged; "
                               "export or scan it again.", reason="page_unreadable",
                               params={"page": number + 1, "detail": short_error(exc)}) from None
        width, height = rect.width, rect.height
        if not (math.isfinite(width) and math.isfinite(height) and width >= 1 and height >= 1):
            raise ScanRejected(f"Page {number + 1} has an invalid size ({width:g} x {height:g} points): the "
                               "PDF is damaged; export or scan it again.", reason="page_invalid_size",
                               params={"page": number + 1, "width": f"{width:g}", "height": f"{height:g}"})
        pixels = round(width * zoom) * round(height * zoom)
        if pixels > limits.max_page_pixels:
            raise ScanRejected(
                f"Page {number + 1} is too large: {width / 72:.0f} x {height / 72:.0f} inches would be "
                f"{pixels / 1e6:,.0f} million pixels at {limits.dpi} DPI, above the limit of "
                f"{limits.max_page_pixels / 1e6:,.0f} million. Scan it again at a normal paper size "
                "(A4 or A3).", reason="page_too_large",
                params={"page": number + 1, "width": round(width / 72), "height": round(height / 72),
                        "megapixels": round(pixels / 1e6), "dpi": limits.dpi,
                        "limit": round(limits.max_page_pixels / 1e6)})
        sizes.append((width, height))
    if doc.is_repaired:  # loading a page object can trigger a late repair
        raise ScanRejected(_DAMAGED, reason="pdf_repaired")
    return plan_copies(sizes, layout, limits.dpi)


def inspect_pdf(pdf_path: Path, layout: Layout, limits: Limits) -> ScanPlan:
    """Every check in the current process, without rendering: the plan, or ScanRejected."""
    check_file(pdf_path, limits)
    doc = open_document(pdf_path)
    try:
        return inspect_document(doc, layout, limits)
    finally:
        doc.close()


def damaged() -> ScanRejected:
    """The rejection for a file found damaged after validation (a repair triggered while rendering)."""
    return ScanRejected(_DAMAGED, reason="pdf_repaired")
