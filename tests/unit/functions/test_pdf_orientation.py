"""upright_turn: upside-down scanned pages are found (180), upright ones and doubtful ones are left (0)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw

from functions.pdf.orientation import page_evidence, upright_turn
from tests.support import scans

REAL_SCANS = Path("/work/shared/realscans")
NAMES = [("DUPONT", "Élodie"), ("N'GUYEN", "Noé"), ("LEFÈVRE-MARTIN", "Anaïs")]


@cache
def generated_pages() -> tuple[Image.Image, ...]:
    """The 150 DPI grey JPEG pages of a generated copier scan (3 copies of 4 pages), as made."""
    doc = pymupdf.open(stream=scans.make_scan(NAMES, pages_per_copy=4, dpi=150, seed=14))
    pages = []
    for page in doc:
        (xref, *_), = page.get_images()
        image = Image.open(io.BytesIO(doc.extract_image(xref)["image"]))
        image.load()
        pages.append(image)
    return tuple(pages)


def real_pages() -> list[tuple[str, Image.Image]]:
    """Every page of the real copier scans, rendered at 150 DPI in grey (as the ingest renders them)."""
    if not REAL_SCANS.is_dir():
        pytest.skip(f"the real copier scans are not on this machine ({REAL_SCANS})")
    pages = []
    for path in sorted(REAL_SCANS.glob("*.pdf")):
        with pymupdf.open(path) as doc:
            for number, page in enumerate(doc):
                pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
                pages.append((f"{path.name} p{number + 1}", Image.frombytes("L", (pix.width, pix.height),
                                                                             pix.samples)))
    return pages


def turned(image: Image.Image, degrees: int) -> Image.Image:
    return image.rotate(degrees, expand=True)


def test_generated_pages_read_upright_stay_as_they_are() -> None:
    assert [upright_turn(page) for page in generated_pages()] == [0] * 12


def test_generated_pages_fed_upside_down_are_turned_back() -> None:
    assert [upright_turn(turned(page, 180)) for page in generated_pages()] == [180] * 12


def test_real_copier_pages_upright_stay_and_upside_down_are_found() -> None:
    pages = real_pages()
    assert len(pages) == 47
    assert [name for name, page in pages if upright_turn(page) != 0] == []
    assert [name for name, page in pages if upright_turn(turned(page, 180)) != 180] == []


def test_the_verdict_holds_through_skew_colour_and_resolution() -> None:
    page = generated_pages()[1]
    upside_down = turned(page, 180)
    assert upright_turn(page.rotate(2.5, fillcolor=247)) == 0
    assert upright_turn(upside_down.rotate(-2.5, fillcolor=247)) == 180
    assert upright_turn(upside_down.convert("RGB")) == 180
    assert upright_turn(upside_down.resize((page.width * 2, page.height * 2))) == 180  # 300 DPI


def test_pages_turned_sideways_are_left_alone() -> None:
    for page in generated_pages()[:4]:
        assert not page_evidence(turned(page, 90)).horizontal_lines
        assert upright_turn(turned(page, 90)) == 0
        assert upright_turn(turned(page, 270)) == 0


def blank_page() -> Image.Image:
    return Image.effect_noise((1240, 1754), 3).point(lambda value: min(255, value + 120))


def one_line_page() -> Image.Image:
    page = Image.new("L", (1240, 1754), 247)
    ImageDraw.Draw(page).text((100, 800), "Page 2/4", fill=0, font_size=20)
    return page


def ruled_page() -> Image.Image:
    page = Image.new("L", (1240, 1754), 247)
    draw = ImageDraw.Draw(page)
    for y in range(120, 1700, 24):
        draw.line((60, y, 1180, y), fill=60, width=2)
    return page


WITHOUT_TEXT = [blank_page, one_line_page, ruled_page]


@pytest.mark.parametrize("make", WITHOUT_TEXT, ids=["blank", "one line", "ruled"])
def test_without_enough_text_the_page_is_kept_as_it_is(make) -> None:
    page = make()
    assert upright_turn(page) == 0
    assert upright_turn(turned(page, 180)) == 0


def test_printed_sheet_pages_without_text_are_never_turned() -> None:
    """Generated answer sheets (a name box, dashes for answers, a QR code) have no text line to go by:
    strokes and code modules thinner than a line of type must not pass for one."""
    names = ["DUPONT Élodie", "N'GUYEN Noé", "LEFÈVRE-MARTIN Anaïs", "DUBOIS Léna"]
    printed = [scans.SheetPage(code=f"KRG1:exam-1:sheet-{n // 4}:{n % 4 + 1}:0123456789",
                               label=f"sheet-{n // 4} · p. {n % 4 + 1}", name=names[n // 4 % 4],
                               skew=(n % 7 - 3) * 0.3) for n in range(24)]
    doc = pymupdf.open(stream=scans.make_coded_scan(printed, seed=0))
    pages = []
    for page in doc:
        (xref, *_), = page.get_images()
        pages.append(Image.open(io.BytesIO(doc.extract_image(xref)["image"])))
    assert [upright_turn(page) for page in pages] == [0] * 24
    assert [upright_turn(turned(page, 180)) for page in pages] == [0] * 24


def test_tiny_images_are_kept_as_they_are() -> None:
    assert upright_turn(Image.new("L", (40, 60), 250)) == 0
