"""Hostile and unusable files: each ends in ScanRejected with a clear reason, before anything is rendered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from functions.pdf import Layout, Limits, ScanRejected, process_scan
from functions.pdf.validate import inspect_pdf
from tests.support import scans

BATCH = Layout("BATCH", 4)


@pytest.fixture(scope="module")
def good_scan() -> bytes:
    names = [("DUPONT", "Élodie"), ("MARTIN", "Noé"), ("PETIT", "Léa")]
    return scans.make_scan(names, pages_per_copy=4, seed=8)


def reject(tmp_path: Path, data: bytes, layout: Layout = BATCH, limits: Limits = Limits()) -> str:  # noqa: B008
    """Process ``data`` and return the rejection reason; nothing may have been rendered."""
    source = tmp_path / "upload.pdf"
    source.write_bytes(data)
    out = tmp_path / "out"
    with pytest.raises(ScanRejected) as rejected:
        process_scan(source, out, layout, limits)
    assert not [path for path in out.rglob("*") if path.is_file()] if out.exists() else True
    return rejected.value.message


def test_a_jpeg_photo_is_not_a_pdf(tmp_path: Path) -> None:
    reason = reject(tmp_path, scans.not_a_pdf())

    assert "not a PDF" in reason and "JPEG" in reason


def test_a_text_file_is_not_a_pdf(tmp_path: Path) -> None:
    assert "not a PDF" in reject(tmp_path, b"NOM;PRENOM\nDUPONT;Elodie\n")


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    assert "empty" in reject(tmp_path, b"")


def test_an_encrypted_pdf_is_rejected(tmp_path: Path) -> None:
    assert "encrypted" in reject(tmp_path, scans.encrypted_pdf())


def test_a_truncated_pdf_is_rejected_as_damaged(tmp_path: Path) -> None:
    reason = reject(tmp_path, scans.truncated_pdf(), Layout("INDIVIDUAL"))

    assert "damaged or truncated" in reason


def test_garbage_after_the_pdf_header_is_rejected_as_damaged(tmp_path: Path) -> None:
    assert "damaged" in reject(tmp_path, b"%PDF-1.7\n" + bytes(range(256)) * 20)


def test_a_pdf_without_pages_is_rejected(tmp_path: Path) -> None:
    assert "no pages" in reject(tmp_path, scans.empty_pdf())


def test_too_many_pages_are_rejected_with_the_count_and_the_limit(tmp_path: Path) -> None:
    reason = reject(tmp_path, scans.many_pages_pdf(13), Layout("INDIVIDUAL"), Limits(max_pages=12))

    assert "13 pages" in reason and "limit of 12 pages" in reason


def test_a_page_too_large_for_the_pixel_cap_is_rejected_before_rendering(tmp_path: Path) -> None:
    started = time.monotonic()
    reason = reject(tmp_path, scans.huge_page_pdf(), Layout("INDIVIDUAL"))

    assert "Page 1 is too large" in reason and "900 million pixels" in reason
    assert time.monotonic() - started < 5  # a 900-megapixel render would take far longer


def test_a_file_above_the_byte_cap_is_rejected(tmp_path: Path, good_scan: bytes) -> None:
    reason = reject(tmp_path, good_scan, limits=Limits(max_bytes=100_000))

    assert "above the" in reason and "limit" in reason


def test_a_drawing_bomb_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    reason = reject_rendering(tmp_path, scans.xobject_bomb_pdf(), Limits(timeout_seconds=1.5),
                              Layout("INDIVIDUAL"))

    assert "could not be rendered within the limits" in reason and "longer than 1.5 s" in reason
    assert time.monotonic() - started < 10


def test_validation_reads_a_drawing_bomb_without_rendering_it(tmp_path: Path) -> None:
    source = tmp_path / "bomb.pdf"
    source.write_bytes(scans.xobject_bomb_pdf())
    started = time.monotonic()

    plan = inspect_pdf(source, Layout("INDIVIDUAL"), Limits())

    assert time.monotonic() - started < 1
    assert plan.source_pages == 1


def test_the_timeout_guard_stops_a_normal_scan_given_no_time(tmp_path: Path, good_scan: bytes) -> None:
    reason = reject_rendering(tmp_path, good_scan, Limits(timeout_seconds=0.001))

    assert "could not be rendered within the limits" in reason and "longer than" in reason


def test_the_memory_guard_stops_a_normal_scan_given_too_little_memory(tmp_path: Path,
                                                                      good_scan: bytes) -> None:
    # At 1200 DPI a page is a 139 MB grey image: far more than 16 MB of headroom plus whatever free heap
    # the forked child inherits from this (busy) test process.
    reason = reject_rendering(tmp_path, good_scan, Limits(dpi=1200, max_page_pixels=10**9, memory_mb=16))

    assert "could not be rendered within the limits" in reason and "memory" in reason


def test_the_memory_guard_stops_a_page_whose_pixmap_does_not_fit(tmp_path: Path) -> None:
    limits = Limits(max_page_pixels=10**9, memory_mb=150)  # a 6000-point page is 156 MB of grey pixels

    reason = reject_rendering(tmp_path, scans.huge_page_pdf(side_points=6000), limits, Layout("INDIVIDUAL"))

    assert "could not be rendered within the limits" in reason and "memory" in reason


def reject_rendering(tmp_path: Path, data: bytes, limits: Limits, layout: Layout = BATCH) -> str:
    """Like ``reject``, for the guards that act while rendering (partial files are allowed there)."""
    source = tmp_path / "upload.pdf"
    source.write_bytes(data)
    with pytest.raises(ScanRejected) as rejected:
        process_scan(source, tmp_path / "out", layout, limits)
    return rejected.value.message
