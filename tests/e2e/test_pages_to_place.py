"""A batch scan that does not divide evenly, in the browser (French): the admin uploads 30 pages at 4 pages
per copy, sees 7 copies and 2 pages to place, adds one to a copy as its first page and makes a new copy
of the other; the list empties."""

from __future__ import annotations

import time
from pathlib import Path

import pymupdf
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in
from tests.support.scans import make_scan

NAMES = [("DUPONT", "Élodie"), ("MARTIN", "Noé"), ("BERNARD", "Chloé"), ("THOMAS", "Hugo"),
         ("PETIT", "Inès"), ("ROBERT", "Lucas"), ("RICHARD", "Jade"), ("DURAND", "Louis")]


def thirty_pages() -> bytes:
    """8 copies of 4 pages scanned, the last 2 pages missing: 7 full copies and 2 pages over."""
    doc = pymupdf.open(stream=make_scan(NAMES, pages_per_copy=4, seed=31))
    doc.select(list(range(30)))
    return doc.tobytes(garbage=1, no_new_id=True)


def test_the_pages_left_over_are_placed_and_the_list_empties(page: Page, platform_url: str, tmp_path: Path):
    admin = ApiClient(platform_url, "admin")
    exam = admin.call(
        "POST",
        "/api/exams",
        201,
        json={"name": f"Pages à placer {time.time_ns()}", "subject": "Mathématiques", "date": "2026-11-27",
              "upload_mode": "BATCH", "pages_per_copy": 4},
    )
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{platform_url}/admin/exams/{exam['id']}/uploads")

    scan = tmp_path / "lot.pdf"
    scan.write_bytes(thirty_pages())
    page.get_by_test_id("upload-file").set_input_files(str(scan))
    page.get_by_test_id("upload-submit").click()
    done = page.locator('[data-testid="upload-row"][data-status="DONE"]')
    expect(done).to_have_count(1, timeout=120_000)
    expect(done.get_by_test_id("upload-copies")).to_have_text("7")
    expect(done.get_by_test_id("upload-loose")).to_have_text("2 pages à placer")

    section = page.get_by_test_id("loose-pages")
    expect(section.locator("h2")).to_contain_text("Pages à placer")
    loose = page.get_by_test_id("loose-page")
    expect(loose).to_have_count(2)
    expect(loose.first).to_contain_text("Page 29 de lot.pdf")
    loose.first.get_by_test_id("loose-thumb").click()  # enlarged, then closed
    expect(page.get_by_test_id("loose-viewer").locator("img")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("loose-viewer")).to_have_count(0)

    # page 29 becomes the first page of a copy
    loose.first.get_by_test_id("loose-attach-open").click()
    form = page.get_by_test_id("loose-attach-form")
    expect(form.get_by_test_id("loose-attach-copy").locator("option")).to_have_count(8)  # 7 copies + prompt
    form.get_by_test_id("loose-attach-copy").select_option(index=1)
    expect(form.get_by_test_id("loose-attach-position")).to_have_value("5")
    form.get_by_test_id("loose-attach-position").fill("1")
    form.get_by_test_id("loose-attach-submit").click()
    expect(page.get_by_test_id("loose-notice")).to_contain_text("en position 1")
    expect(loose).to_have_count(1)
    expect(done.get_by_test_id("upload-loose")).to_have_text("1 page à placer")

    # page 30 becomes a new copy, to identify
    loose.first.get_by_test_id("loose-select").check()
    page.get_by_test_id("loose-new-copy").click()
    expect(page.get_by_test_id("loose-notice")).to_contain_text("Nouvelle copie")
    expect(loose).to_have_count(0)
    expect(done.get_by_test_id("upload-loose")).to_have_count(0)

    copies = admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
    assert sorted(copy["page_count"] for copy in copies) == [1, 4, 4, 4, 4, 4, 4, 5]
    assert admin.call("GET", f"/api/exams/{exam['id']}/loose-pages")["pages"] == []
