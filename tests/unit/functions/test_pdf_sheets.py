"""The personalised answer sheets' PDF: every page's code reads back, the texts say the same."""

from __future__ import annotations

import pymupdf
import pytest
import zxingcpp
from PIL import Image

from chalicelib.domain.sheet_codes import SheetCode, code_key, decode
from functions.pdf.render import header_height, mask_height
from functions.pdf.sheets import MARGIN, BookletSheet, SheetExam, qr_rect, render_sheets

KEY = code_key("a-test-secret-of-enough-length-0123456789")
EXAM = SheetExam("0123456789abcdef0123456789abcdef", "Contrôle n° 3", "Mathématiques", "2026-03-12", 3)
BOOKLETS = [BookletSheet("s001", "DUPONT Zoé"), BookletSheet("s002", "ŁUKASZEWSKI Œdipe"),
            BookletSheet("a001", number=1)]


def _gray(page: pymupdf.Page) -> Image.Image:
    pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def _codes(image: Image.Image) -> list[SheetCode | None]:
    return [decode(result.text, KEY) for result in zxingcpp.read_barcodes(image)]


@pytest.fixture(scope="module")
def doc() -> pymupdf.Document:
    return pymupdf.open(stream=render_sheets(EXAM, BOOKLETS, KEY))


def test_every_page_is_a4_and_its_code_at_150_dpi_names_its_booklet_and_page(doc: pymupdf.Document) -> None:
    assert doc.page_count == 9
    for index, page in enumerate(doc):
        assert (round(page.rect.width), round(page.rect.height)) == (595, 842)
        booklet = BOOKLETS[index // 3]
        assert _codes(_gray(page)) == [SheetCode(EXAM.exam_id, booklet.sheet_id, index % 3 + 1)]


def test_each_page_carries_the_same_identity_as_text(doc: pymupdf.Document) -> None:
    first, second = doc[0].get_text(), doc[1].get_text()
    assert "Contrôle n° 3" in first and "Mathématiques · 12/03/2026" in first
    assert "Élève : DUPONT Zoé · Copie s001 · page 1 / 3" in first
    assert "Copie s001 · page 2 / 3" in second
    assert "ŁUKASZEWSKI Œdipe" in doc[3].get_text()
    assert "Copie anonyme n° 1 · Copie a001 · page 1 / 3" in doc[6].get_text()
    assert "Copie anonyme n° 1 · Copie a001 · page 3 / 3" in doc[8].get_text()


def test_the_pupils_name_is_only_in_page_ones_masked_band(doc: pymupdf.Document) -> None:
    for index, page in enumerate(doc):
        hits = page.search_for("DUPONT")
        if index != 0:
            assert hits == []
            continue
        assert len(hits) == 2  # the identity line and the name box
        band = mask_height(1754) / 150 * 72  # the masked rows at 150 DPI, in points
        assert all(hit.y1 < band and hit.y1 < header_height(1754) / 150 * 72 for hit in hits)


def test_anonymous_first_page_has_an_empty_name_box(doc: pymupdf.Document) -> None:
    text = doc[6].get_text()
    assert "Nom et prénom :" in text and "Élève" not in text


def test_the_code_and_every_mark_keep_a_10_mm_margin(doc: pymupdf.Document) -> None:
    rect = qr_rect()
    assert rect.x1 < 595 - MARGIN and rect.y0 > MARGIN and 54 < rect.width < 60  # ~2 cm
    for page in doc:
        content = pymupdf.Rect()
        for block in page.get_text("blocks"):
            content |= pymupdf.Rect(block[:4])
        for drawing in page.get_drawings():
            content |= drawing["rect"]
        assert content.x0 >= MARGIN - 0.5 and content.y0 >= MARGIN - 0.5
        assert content.x1 <= page.rect.width - MARGIN + 0.5 and content.y1 <= page.rect.height - MARGIN + 0.5


def test_extra_blank_pages_follow_the_exams_pages() -> None:
    doc = pymupdf.open(stream=render_sheets(EXAM, BOOKLETS[:1], KEY, extra_pages=2))
    assert doc.page_count == 5
    assert "page 5 / 5 · feuille supplémentaire" in doc[4].get_text()
    assert _codes(_gray(doc[4])) == [SheetCode(EXAM.exam_id, "s001", 5)]


def test_nothing_to_print_is_refused() -> None:
    with pytest.raises(ValueError):
        render_sheets(EXAM, [], KEY)
