"""A sheet page whose code is smudged still names its booklet and page by its printed line (local OCR)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw

from chalicelib.domain.sheet_codes import code_key
from functions.ocr_engines import LocalOcrEngine
from functions.ocr_engines.printed import read_identity
from functions.pdf.sheets import BookletSheet, SheetExam, qr_rect, render_sheets

EXAM = SheetExam("0123456789abcdef0123456789abcdef", "Contrôle n° 3", "Mathématiques", "2026-03-12", 2)
BOOKLETS = [BookletSheet("s007", "DUPONT Zoé"), BookletSheet("a002", number=2)]


@pytest.fixture(scope="module")
def engine() -> LocalOcrEngine:
    return LocalOcrEngine()


def copier_page(doc: pymupdf.Document, index: int, path: Path, *, turn: int = 0) -> Path:
    """Page ``index`` as a copier sees it at 150 dpi, its code blotted out (and turned ``turn`` degrees)."""
    pix = doc[index].get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    box = qr_rect() * (150 / 72)
    ImageDraw.Draw(image).rectangle((box.x0, box.y0, box.x1, box.y1), fill=30)
    image.rotate(turn).save(path, format="JPEG", quality=85)
    return path


@pytest.mark.parametrize(("index", "identity"), [(1, ("s007", 2)), (2, ("a002", 1))])
def test_a_smudged_page_is_read_by_its_printed_line(engine, tmp_path: Path, index: int, identity) -> None:
    doc = pymupdf.open(stream=render_sheets(EXAM, BOOKLETS, code_key("k" * 40)))

    assert read_identity(copier_page(doc, index, tmp_path / "p.jpg"), engine) == identity


def test_an_upside_down_smudged_page_is_read_too(engine, tmp_path: Path) -> None:
    doc = pymupdf.open(stream=render_sheets(EXAM, BOOKLETS, code_key("k" * 40)))

    assert read_identity(copier_page(doc, 1, tmp_path / "p.jpg", turn=180), engine) == ("s007", 2)


def test_a_page_without_the_line_reads_as_nothing(engine, tmp_path: Path) -> None:
    path = tmp_path / "blank.jpg"
    Image.new("L", (1240, 1754), 255).save(path, format="JPEG")

    assert read_identity(path, engine) is None
