"""``process_scan``: one uploaded PDF in, JPEG page images of its copies out."""

from __future__ import annotations

from pathlib import Path

from functions.pdf.errors import ScanRejected
from functions.pdf.filecheck import check_file
from functions.pdf.layout import Layout
from functions.pdf.limits import Limits
from functions.pdf.results import ScanResult
from functions.pdf.sandbox import LimitExceeded, run_limited

WORKER = "functions.pdf.worker:process_here"


def process_scan(pdf_path: Path, out_dir: Path, layout: Layout, limits: Limits = Limits()) -> ScanResult:  # noqa: B008
    """Validate a scan, split it into copies and render every page as a JPEG under ``out_dir``.

    Every check runs before the first page is rendered: size cap and ``%PDF-`` magic bytes here, then,
    in the sandboxed child, opening, encryption, damage/repair, page count cap, per-page pixel cap at
    ``limits.dpi`` from the declared page size, and the copy layout (BATCH pages cut every
    ``pages_per_copy`` pages after A3 splitting; the pages after the last full copy are rendered as
    loose pages, to be placed by an admin). A failed check raises ScanRejected with a sentence for the
    admin. Rendering then runs in the same child, limited to ``limits.memory_mb`` more address space and
    ``limits.timeout_seconds`` in all: hitting either (or the child dying) raises ScanRejected("The PDF
    could not be rendered within the limits ..."). Safe to call from several threads; each call forks
    its own child.

    Files written (nothing outside ``out_dir``, which is created if needed)::

        copy-000/page-00.jpg          every page, JPEG at limits.dpi, turned upright if scanned upside down
        copy-000/page-00-masked.jpg   first page with the identity zone filled (for teachers)
        copy-000/header.jpg           top 25 % of the first page (for OCR and the identification desk)
        loose-000/...                 each page left over, as the three files of a one-page copy

    On any exception ``out_dir`` may hold part of these files: the caller must discard the whole
    directory and create no copy. Other exceptions than ScanRejected (e.g. OSError on a full disk) are
    infrastructure failures that may be retried.
    """
    pdf_path = Path(pdf_path)
    out_dir = Path(out_dir).absolute()
    check_file(pdf_path, limits)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = run_limited(WORKER, (pdf_path.absolute(), out_dir, layout, limits),
                             memory_mb=limits.memory_mb, timeout_seconds=limits.timeout_seconds)
    except LimitExceeded as exc:
        raise ScanRejected(f"The PDF could not be rendered within the limits ({limits.timeout_seconds:g} s, "
                           f"{limits.memory_mb} MB of memory): {exc.detail}. It may be built to exhaust "
                           "the server; export or scan it again as a plain scan.", reason="pdf_render_limits",
                           params={"seconds": limits.timeout_seconds,
                                   "memory_mb": limits.memory_mb}) from None
    if not isinstance(result, ScanResult):
        raise TypeError(f"unexpected result from the PDF worker: {type(result).__name__}")
    return result
