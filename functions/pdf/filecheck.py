"""The checks that need no PDF parser: size cap and magic bytes (run in the caller, before any child)."""

from __future__ import annotations

import os
from pathlib import Path

from functions.pdf.errors import ScanRejected
from functions.pdf.limits import Limits

PDF_MAGIC = b"%PDF-"
_OTHER_FORMATS = (  # friendlier reasons for what admins upload by mistake
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive or an office document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
)


def check_file(pdf_path: Path, limits: Limits) -> int:
    """Size cap and magic bytes; returns the size in bytes."""
    size = os.stat(pdf_path).st_size
    if size == 0:
        raise ScanRejected("The file is empty: upload the scan again.")
    if size > limits.max_bytes:
        raise ScanRejected(f"The file is {_mb(size)}, above the {_mb(limits.max_bytes)} limit: "
                           "split the scan into smaller files.")
    with open(pdf_path, "rb") as stream:
        head = stream.read(8)
    if not head.startswith(PDF_MAGIC):
        kind = next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), None)
        raise ScanRejected("The file is not a PDF" + (f" (it looks like {kind})" if kind else "")
                           + ": upload the scan as a PDF file.")
    return size


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"
