"""The work done inside the sandboxed child: open, validate everything, then render."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from functions.pdf.layout import Layout
from functions.pdf.limits import Limits
from functions.pdf.render import render_plan
from functions.pdf.results import ScanResult
from functions.pdf.validate import damaged, inspect_document, open_document


def process_here(pdf_path: Path, out_dir: Path, layout: Layout, limits: Limits,
                 options: dict[str, bool] | None = None) -> ScanResult:
    """Validate the whole file (raising ScanRejected) before rendering its first page, then render.

    Runs in the current process without any limit: call it through ``functions.pdf.process_scan``.
    ``options`` are ``render_plan``'s keyword switches, for benchmarks.
    """
    pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's complaints about a file are not our logs
    pymupdf.TOOLS.mupdf_display_warnings(False)
    doc = open_document(pdf_path)
    try:
        plan = inspect_document(doc, layout, limits)
        result = render_plan(doc, plan, out_dir, limits.dpi, **(options or {}))
        if doc.is_repaired:  # a broken object met while rendering: the output may miss content
            raise damaged()
        return result
    finally:
        doc.close()
