"""The checks that need no PDF parser: size cap and magic bytes (run in the caller, before any child)."""

from __future__ import annotations

import os
from pathlib import Path

from functions.pdf.errors import ScanRejected
from functions.pdf.limits import Limits

PDF_MAGIC = b"%PDF-"
_OTHER_FORMATS = (  # friendlier reasons for what admins upload by mistake: magic, English, neutral name
    (b"\xff\xd8\xff", "a JPEG image", "JPEG"),
    (b"\x89PNG", "a PNG image", "PNG"),
    (b"II*\x00", "a TIFF image", "TIFF"),
    (b"MM\x00*", "a TIFF image", "TIFF"),
    (b"PK\x03\x04", "a ZIP archive or an office document", "ZIP / Office"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document", "Microsoft Office"),
    (b"{\\rtf", "an RTF document", "RTF"),
)


def check_file(pdf_path: Path, limits: Limits) -> int:
    """Size cap and magic bytes; returns the size in bytes."""
    size = os.stat(pdf_path).st_size
    if size == 0:
        raise ScanRejected("The file is empty: upload the scan again.", reason="file_empty")
    if size > limits.max_bytes:
        raise ScanRejected(f"The file is {_mb(size)}, above the {_mb(limits.max_bytes)} limit: "
                           "split the scan into smaller files.", reason="file_too_large",
                           params={"size": size, "limit": limits.max_bytes})
    with open(pdf_path, "rb") as stream:
        head = stream.read(8)
    if not head.startswith(PDF_MAGIC):
        kind, name = next(((kind, name) for magic, kind, name in _OTHER_FORMATS if head.startswith(magic)),
                          (None, None))
        raise ScanRejected("The file is not a PDF" + (f" (it looks like {kind})" if kind else "")
                           + ": upload the scan as a PDF file.", reason="not_a_pdf",
                           params={"kind": name} if name else {})
    return size


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"
