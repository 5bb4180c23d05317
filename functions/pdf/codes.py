"""Reading the code of a personalised answer sheet's page on its rendered image.

Only QR symbols whose text ``sheet_codes.decode`` accepts count: another tool's QR code, a Data Matrix or
a code with a bad check value is ignored. The code also tells how the page lies: zxing-cpp reports the
symbol's rotation, from which the page is turned upright (a quarter turn at a time; a copier's slight
skew rounds to no turn).

Cheap first: the four corner regions of the page (where the sheets print their code, whichever way the
page went through the scanner) are searched before the whole page (~2-4 ms a corner against ~20 ms a
page at 150 DPI on this platform; see ``tests/unit/functions/test_pdf_codes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import zxingcpp
from PIL import Image

from chalicelib.domain.sheet_codes import SheetCode, decode

CORNER_WIDTH = 0.4  # fraction of the page width of each corner region
CORNER_HEIGHT = 0.3  # fraction of the page height
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # PIL names counter-clockwise turns
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class PageCode:
    """The code read on a page and the clockwise turn (0, 90, 180 or 270 degrees) that makes it upright."""

    code: SheetCode
    turn: int


def turn_for(orientation: int) -> int:
    """The clockwise quarter turn that cancels a symbol rotated ``orientation`` degrees clockwise."""
    return (-round(orientation / 90) * 90) % 360


def upright(image: Image.Image, turn: int) -> Image.Image:
    """``image`` turned ``turn`` degrees clockwise (exact quarter turns; 0 returns it unchanged)."""
    return image.transpose(_TRANSPOSE[turn]) if turn else image


def corners(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The four corner regions of a page, top ones first."""
    w, h = round(width * CORNER_WIDTH), round(height * CORNER_HEIGHT)
    return [
        (width - w, 0, width, h),
        (0, 0, w, h),
        (0, height - h, w, height),
        (width - w, height - h, width, height),
    ]


def _first_code(image: Image.Image, key: bytes) -> PageCode | None:
    for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        if found.format != zxingcpp.BarcodeFormat.QRCode:
            continue
        code = decode(found.text, key)
        if code is not None:
            return PageCode(code, turn_for(found.orientation))
    return None


def read_code(image: Image.Image, key: bytes, *, whole_page: bool = True) -> PageCode | None:
    """The page's sheet code and upright turn, or None when it carries no readable code of ours; the
    whole page is searched after the corners unless ``whole_page`` is False."""
    grey = image if image.mode == "L" else image.convert("L")
    for box in corners(*grey.size):
        found = _first_code(grey.crop(box), key)
        if found is not None:
            return found
    return _first_code(grey, key) if whole_page else None
