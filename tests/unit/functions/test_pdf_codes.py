"""Reading a personalised sheet's code on a scanned page: which codes count, and how the page lies."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import segno
import zxingcpp
from PIL import Image

from chalicelib.domain.sheet_codes import SheetCode, code_key, encode
from functions.pdf import Layout, process_scan
from functions.pdf.codes import PageCode, read_code, upright
from functions.pdf.render import NO_CODE_PAGES
from tests.support.scans import SheetPage, make_coded_scan, sheet_page_image

KEY = code_key("unit-test-secret")
CODE = SheetCode("exam-1", "sheet-07", 2)


def page(**changes: object) -> Image.Image:
    fields: dict = {"code": encode(CODE, KEY), "label": CODE.label(), "name": "DUPONT Élodie", "skew": 0.4}
    fields.update(changes)
    return sheet_page_image(SheetPage(**fields), seed=3)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_the_code_is_read_whichever_way_the_page_went_through_and_tells_the_turn_back(turn: int) -> None:
    image = page(turn=turn)
    found = read_code(image, KEY)
    assert found is not None
    assert found.code == CODE
    assert (found.turn + turn) % 360 == 0
    straight = upright(image, found.turn)
    assert straight.size == (1240, 1754)  # portrait again
    assert read_code(straight, KEY).turn == 0  # type: ignore[union-attr]


def test_a_page_slanted_by_two_degrees_with_noise_is_read_without_a_turn() -> None:
    found = read_code(page(skew=2.0), KEY)
    assert found is not None and found.code == CODE and found.turn == 0


def test_a_page_slanted_and_upside_down_is_turned_half_way() -> None:
    found = read_code(page(skew=-2.0, turn=180), KEY)
    assert found is not None and found.turn == 180


def test_a_smudged_code_reads_as_nothing() -> None:
    assert read_code(page(smudged=True), KEY) is None


def test_a_page_without_code_reads_as_nothing() -> None:
    assert read_code(page(code=None), KEY) is None


def test_another_tools_qr_code_is_ignored() -> None:
    assert read_code(page(code="https://example.org/quiz/42"), KEY) is None


def test_a_code_with_another_platforms_check_value_is_ignored() -> None:
    assert read_code(page(code=encode(CODE, code_key("another-platform"))), KEY) is None


def test_a_data_matrix_carrying_our_payload_is_ignored_and_the_qr_code_still_read() -> None:
    drawn = zxingcpp.write_barcode(zxingcpp.BarcodeFormat.DataMatrix, encode(CODE, KEY), 150, 150)
    matrix = Image.fromarray(drawn)  # type: ignore[call-overload]
    other = SheetCode("exam-1", "sheet-99", 1)
    assert read_code(sheet_page_image(SheetPage(code=None), extra_code=matrix), KEY) is None
    with_qr = sheet_page_image(SheetPage(code=encode(other, KEY)), extra_code=matrix)
    assert read_code(with_qr, KEY).code == other  # type: ignore[union-attr]


def test_a_foreign_qr_in_a_corner_does_not_hide_ours_elsewhere() -> None:
    foreign = segno.make("https://example.org", error="m")
    buffer = io.BytesIO()
    foreign.save(buffer, kind="png", scale=4, border=2)
    symbol = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    image = sheet_page_image(SheetPage(code=encode(CODE, KEY)), extra_code=symbol)
    assert read_code(image, KEY).code == CODE  # type: ignore[union-attr]


def test_reading_is_cheap_per_page() -> None:
    images = [page(turn=turn) for turn in (0, 180)] + [page(code=None)]
    start = time.perf_counter()
    for image in images:
        read_code(image, KEY)
    per_page_ms = (time.perf_counter() - start) * 1000 / len(images)
    print(f"code reading: {per_page_ms:.1f} ms/page (upright, upside down, no code)")
    assert per_page_ms < 150


def test_a_coded_scan_is_read_page_by_page_and_every_page_comes_out_upright(tmp_path: Path) -> None:
    first, second = SheetCode("exam-1", "s1", 1), SheetCode("exam-1", "s1", 2)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_coded_scan([
        SheetPage(encode(second, KEY), turn=90, skew=1.0),
        SheetPage(encode(first, KEY), turn=180, skew=-1.5),
        SheetPage(None, label="no code"),
    ]))
    layout = Layout("BATCH", pages_per_copy=2, code_key=KEY)
    result = process_scan(scan, tmp_path / "out", layout)
    assert result.copies == [] and result.loose == []
    assert [(p.source, p.code, p.turn) for p in result.coded] == [
        (0, second, 270), (1, first, 180), (2, None, 0)]
    for page in result.coded:
        (image,) = page.images.pages
        assert (image.width, image.height) == (1240, 1754)
        assert image.masked_path is not None and page.images.header_path.exists()
        if page.code is not None:
            with Image.open(image.path) as stored:
                assert read_code(stored, KEY) == PageCode(page.code, 0)  # stored upright


def test_a_scan_without_any_code_for_an_exam_with_sheets_is_cut_as_a_plain_scan(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_coded_scan([SheetPage(None, label=str(n)) for n in range(5)]))
    result = process_scan(scan, tmp_path / "out", Layout("BATCH", pages_per_copy=2, code_key=KEY))
    assert result.coded == []
    assert [len(copy.pages) for copy in result.copies] == [2, 2] and [p.source for p in result.loose] == [4]
    assert all(copy.pages[0].masked_path and not copy.pages[1].masked_path for copy in result.copies)


def test_a_long_scan_without_codes_is_not_read_for_codes_further_and_cut_as_plain(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    # Nothing on the first NO_CODE_PAGES pages: a code further on is never looked for.
    pages = [SheetPage(None, label=str(n)) for n in range(NO_CODE_PAGES)] + [SheetPage(encode(CODE, KEY))] * 2
    scan.write_bytes(make_coded_scan(pages))
    out = tmp_path / "out"
    result = process_scan(scan, out, Layout("BATCH", pages_per_copy=5, code_key=KEY))
    assert result.coded == [] and result.loose == []
    assert [len(copy.pages) for copy in result.copies] == [5, 5]
    assert sorted(path.name for path in out.iterdir()) == ["copy-000", "copy-001"]  # nothing else left


def test_codes_found_after_unreadable_first_pages_make_a_coded_scan(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    smudged, readable = SheetPage(encode(CODE, KEY), smudged=True), SheetPage(encode(CODE, KEY))
    pages = [smudged] * (NO_CODE_PAGES - 1) + [readable]
    scan.write_bytes(make_coded_scan(pages))
    result = process_scan(scan, tmp_path / "out", Layout("BATCH", pages_per_copy=2, code_key=KEY))
    assert [page.code for page in result.coded] == [None] * (NO_CODE_PAGES - 1) + [CODE]
