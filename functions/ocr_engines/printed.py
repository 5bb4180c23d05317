"""Reading a sheet page's printed identity line ("Copie s012 · page 2 / 2") when its code is unreadable.

The line is printed near the top of every page of a personalised booklet (and in its footer). The page
may have gone through the copier upside down with nothing to tell (its code was the tell), so the top
strip is read as it is, then the bottom strip turned half a turn.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from chalicelib.domain.sheet_codes import read_printed
from functions.ocr_engines.engines import OcrEngine

#: The share of the page's height read at each end: the printed lines sit within the top 60 mm.
STRIP = 0.2


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, format="JPEG", quality=90)
    return out.getvalue()


def read_identity(page_image: Path, engine: OcrEngine) -> tuple[str, int] | None:
    """The (sheet id, page) printed on the page image at ``page_image``, or None when it cannot be read."""
    with Image.open(page_image) as image:
        image.load()
        height = round(image.height * STRIP)
        top = image.crop((0, 0, image.width, height))
        bottom = image.crop((0, image.height - height, image.width, image.height)).rotate(180)
    for strip in (top, bottom):
        found = read_printed(engine.read_text(_jpeg(strip)))
        if found is not None:
            return found
    return None
