"""The scanner-like test data generator (tests/support/scans.py) makes what it promises."""

from __future__ import annotations

import io
import time

import pymupdf
from PIL import Image, ImageChops, ImageStat

from tests.support import scans

NAMES = [("DUPONT", "Élodie"), ("MARTIN", "Noé")]


def jpeg_of(doc: pymupdf.Document, number: int) -> Image.Image:
    (image,) = doc[number].get_images(full=True)
    assert image[8] == "DCTDecode"
    return Image.open(io.BytesIO(doc.xref_stream_raw(image[0])))


def test_each_page_is_one_grey_jpeg_at_the_scan_dpi_covering_an_a4_page() -> None:
    doc = pymupdf.open(stream=scans.make_scan(NAMES, pages_per_copy=3, seed=1))

    assert doc.page_count == 6
    for number in range(doc.page_count):
        page = doc[number]
        assert abs(page.rect.width - 595.28) < 0.1 and abs(page.rect.height - 841.89) < 0.1
        assert [kind for kind, _ in page.get_bboxlog()] == ["fill-image"]
        image = jpeg_of(doc, number)
        assert image.mode == "L" and image.size == (1240, 1754)


def test_a3_mode_puts_two_a4_pages_side_by_side_on_landscape_sheets() -> None:
    doc = pymupdf.open(stream=scans.make_scan(NAMES, pages_per_copy=2, seed=1, a3=True))

    assert doc.page_count == 2
    assert doc[0].rect.width > doc[0].rect.height
    assert jpeg_of(doc, 0).size == (2480, 1754)


def test_the_same_seed_gives_the_same_file_and_another_seed_another() -> None:
    first = scans.make_scan(NAMES, pages_per_copy=1, seed=7)

    assert scans.make_scan(NAMES, pages_per_copy=1, seed=7) == first
    assert scans.make_scan(NAMES, pages_per_copy=1, seed=8) != first


def test_pages_look_scanned_not_clean() -> None:
    doc = pymupdf.open(stream=scans.make_scan(NAMES[:1], pages_per_copy=2, seed=1))
    page = jpeg_of(doc, 1).convert("L")

    margin = page.crop((20, 1600, 200, 1700))  # blank paper: off-white with sensor noise
    stats = ImageStat.Stat(margin)
    assert 235 < stats.mean[0] < 252 and stats.stddev[0] > 1
    assert page.getextrema()[0] < 60  # ink


def test_the_identity_is_printed_in_the_top_quarter_of_the_first_page_only() -> None:
    # Same seed, other student: the scans may differ only where the name is printed.
    dupont = pymupdf.open(stream=scans.make_scan([("DUPONT", "Élodie")], pages_per_copy=2, seed=1))
    martin = pymupdf.open(stream=scans.make_scan([("MARTIN", "Noé")], pages_per_copy=2, seed=1))

    first = ImageChops.difference(jpeg_of(dupont, 0), jpeg_of(martin, 0)).getbbox()
    assert first is not None and first[3] <= 1754 / 4
    assert ImageChops.difference(jpeg_of(dupont, 1), jpeg_of(martin, 1)).getbbox() is None
    name_line = jpeg_of(dupont, 0).crop((first[0], first[1], first[2], first[3]))
    assert name_line.getextrema()[0] < 60  # printed in dark ink


def test_thirty_copies_of_four_pages_take_seconds() -> None:
    started = time.monotonic()

    data = scans.make_scan([(f"NOM{number}", "Prénom") for number in range(30)], pages_per_copy=4, seed=2)

    assert pymupdf.open(stream=data).page_count == 120
    assert time.monotonic() - started < 30  # ~4 s here; generous for slow CI machines


def test_hostile_helpers_are_what_they_say() -> None:
    assert pymupdf.open(stream=scans.encrypted_pdf()).needs_pass
    assert pymupdf.open(stream=scans.truncated_pdf()).is_repaired
    assert not scans.not_a_pdf().startswith(b"%PDF-")
    assert pymupdf.open(stream=scans.huge_page_pdf())[0].rect.width == 14400
    assert pymupdf.open(stream=scans.many_pages_pdf(25)).page_count == 25
    assert pymupdf.open(stream=scans.empty_pdf()).page_count == 0
    bomb = scans.xobject_bomb_pdf()
    assert len(bomb) < 10_000 and pymupdf.open(stream=bomb).page_count == 1
