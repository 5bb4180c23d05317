"""The code printed on every page of a personalised answer sheet, and how a scanned one is read back.

A page's QR code carries ``KRG1:<exam id>:<sheet id>:<page>:<check>``: the exam, the booklet ("sheet"),
the 1-based page number within the booklet and a check value — the first 10 hex digits of an
HMAC-SHA256 of the rest under a key derived from the platform's secret. The check makes a misread (or a
code photocopied from another exam or made up by hand) decode to nothing instead of to the wrong page or
pupil. Codes of other tools (other payloads, other symbologies) decode to nothing too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "KRG1"
CHECK_LENGTH = 10
MAX_PAGES = 90  # pages per booklet, as a copy's

_ID = r"[A-Za-z0-9_-]{1,64}"
_CODE = re.compile(rf"{PREFIX}:({_ID}):({_ID}):([1-9][0-9]{{0,2}}):([0-9a-f]{{{CHECK_LENGTH}}})")


@dataclass(frozen=True)
class SheetCode:
    """One page of one booklet of one exam."""

    exam_id: str
    sheet_id: str
    page: int

    def label(self) -> str:
        """The same identity as readable text, printed beside the code: ``<sheet> · p. 3``."""
        return f"{self.sheet_id} · p. {self.page}"


def printed_label(sheet_id: str, page: int, pages: int) -> str:
    """The booklet and page as printed in words on every page (``Copie s001 · page 2 / 4``): what a
    person reads, and what ingest reads back (OCR) when the page's code is unreadable."""
    return f"Copie {sheet_id} · page {page} / {pages}"


# OCR of the printed line: "s"/"a" may come back as "5", zeros as "o"; the separator as ".", "-" or nothing.
_PRINTED = re.compile(r"copie\s*([sa5])\s*([0-9oO]{3})\W{0,4}page\s*([0-9oO]{1,2})\s*/\s*([0-9oO]{1,2})",
                      re.IGNORECASE)


def read_printed(text: str) -> tuple[str, int] | None:
    """The (sheet id, page) a printed line names in OCR'd ``text`` (see ``printed_label``), or None."""
    match = _PRINTED.search(text)
    if not match:
        return None
    kind, number, page, pages = match.groups()
    digits = {ord("o"): "0", ord("O"): "0"}
    sheet_id = ("s" if kind.lower() in "s5" else "a") + number.translate(digits)
    page_number, page_count = int(page.translate(digits)), int(pages.translate(digits))
    if not 1 <= page_number <= min(page_count, MAX_PAGES):
        return None
    return sheet_id, page_number


def code_key(secret: str) -> bytes:
    """The key of the check values, derived from the platform's secret (never the secret itself)."""
    return hmac.new(secret.encode(), b"korrigo/sheet-codes/v1", hashlib.sha256).digest()


def _check(key: bytes, exam_id: str, sheet_id: str, page: int) -> str:
    message = f"{PREFIX}:{exam_id}:{sheet_id}:{page}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:CHECK_LENGTH]


def encode(code: SheetCode, key: bytes) -> str:
    """The text of ``code``'s QR symbol."""
    if not re.fullmatch(_ID, code.exam_id) or not re.fullmatch(_ID, code.sheet_id):
        raise ValueError("exam and sheet ids are 1-64 letters, digits, '-' or '_'")
    if not 1 <= code.page <= MAX_PAGES:
        raise ValueError(f"a booklet page is between 1 and {MAX_PAGES}")
    check = _check(key, code.exam_id, code.sheet_id, code.page)
    return f"{PREFIX}:{code.exam_id}:{code.sheet_id}:{code.page}:{check}"


def decode(text: str, key: bytes) -> SheetCode | None:
    """The page a scanned code names, or None for anything else (another tool's code, a bad check)."""
    match = _CODE.fullmatch(text.strip())
    if not match:
        return None
    exam_id, sheet_id, page_text, check = match.groups()
    page = int(page_text)
    if page > MAX_PAGES or not hmac.compare_digest(check, _check(key, exam_id, sheet_id, page)):
        return None
    return SheetCode(exam_id, sheet_id, page)
