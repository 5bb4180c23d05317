"""Personalised answer sheets in the browser (French): the admin generates the QR-coded booklets of a
3-pupil roster, downloads the PDF, and uploads a copier's scan of it (grey 150 DPI JPEG pages, noise,
slight skew, shuffled, one page upside down); the 3 copies come out identified by their code, with
nothing left to identify by hand and no page to place. A page whose code is smudged waits in the pages
to place with its guess, which pre-fills the form that puts it back in its copy."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pymupdf
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in
from tests.support.scans import copier_scan

NAMES = [("DUPONT", "Élodie"), ("MARTIN", "Noé"), ("LEFÈVRE", "Zoé")]
PAGES_PER_COPY = 2


def printed_sheets(
    page: Page, platform_url: str, names: list[tuple[str, str]]
) -> tuple[ApiClient, dict, bytes]:
    """An exam of ``names`` (API), then in the browser: its sheets generated on the uploads tab and the PDF
    downloaded."""
    admin = ApiClient(platform_url, "admin")
    exam = admin.call(
        "POST",
        "/api/exams",
        201,
        json={"name": f"Copies QR {time.time_ns()}", "subject": "Mathématiques", "date": "2026-11-30",
              "upload_mode": "BATCH", "pages_per_copy": PAGES_PER_COPY},
    )
    admin.import_roster(exam["id"], names, class_name="3C")
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{platform_url}/admin/exams/{exam['id']}/uploads")

    sheets = page.get_by_test_id("sheets")
    expect(sheets.locator("h2")).to_have_text("Copies personnalisées (QR)")
    expect(sheets.get_by_test_id("sheets-status")).to_have_attribute("data-status", "NONE")  # never generated
    sheets.get_by_test_id("sheets-generate").click()
    expect(sheets.get_by_test_id("sheets-status")).to_have_attribute("data-status", "DONE", timeout=60_000)
    total = len(names) * PAGES_PER_COPY
    expect(sheets.get_by_test_id("sheets-status")).to_contain_text(f"Prêt : {len(names)} livret")
    with page.expect_download() as download:
        sheets.get_by_test_id("sheets-download").click()
    printed = Path(download.value.path()).read_bytes()
    assert pymupdf.open(stream=printed, filetype="pdf").page_count == total
    return admin, exam, printed


def upload(page: Page, path: Path, data: bytes):
    """Upload a scan on the uploads tab and wait for it to be processed; its row in the list."""
    path.write_bytes(data)
    page.get_by_test_id("upload-file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()
    done = page.locator('[data-testid="upload-row"][data-status="DONE"]')
    expect(done).to_have_count(1, timeout=90_000)
    return done


def test_a_scan_of_the_printed_sheets_identifies_every_copy_by_its_code(
    page: Page, platform_url: str, tmp_path: Path
):
    admin, exam, printed = printed_sheets(page, platform_url, NAMES)
    expect(page.get_by_test_id("sheets-status")).to_contain_text("Prêt : 3 livrets, 6 pages.")

    order = list(range(len(NAMES) * PAGES_PER_COPY))
    random.Random(14).shuffle(order)
    scan = copier_scan(printed, order=order, upside_down={order[2]}, seed=14)
    done = upload(page, tmp_path / "copieur.pdf", scan)
    expect(done.get_by_test_id("upload-copies")).to_have_text("3")
    expect(done.get_by_test_id("upload-pages")).to_have_text("6")
    expect(done.get_by_test_id("upload-loose")).to_have_count(0)  # every page found its copy
    expect(page.get_by_test_id("loose-pages")).to_have_count(0)

    page.get_by_test_id("tab-identification").click()
    expect(page.get_by_test_id("ident-done")).to_be_visible()  # nothing to identify by hand
    page.get_by_test_id("ident-show-identified").check()
    rows = page.get_by_test_id("ident-identified-row")
    expect(rows).to_have_count(3)
    expect(rows.get_by_test_id("copy-by-code")).to_have_count(3)
    expect(rows.get_by_test_id("copy-by-code").first).to_have_text("Identifiée par code")
    expect(rows.get_by_test_id("copy-missing-pages")).to_have_count(0)
    for last, _first in NAMES:
        expect(rows.filter(has_text=last)).to_have_count(1)

    copies = admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
    assert len({c["student"]["id"] for c in copies}) == 3  # one copy per pupil
    assert all(c["status"] == "READY" and c["page_count"] == PAGES_PER_COPY for c in copies)
    assert all(c["identified_by"] == "code" and c["missing_pages"] == [] and c["duplicate_pages"] == []
               for c in copies)


def test_a_page_with_a_smudged_code_waits_with_its_guess_and_goes_back_where_guessed(
    page: Page, platform_url: str, tmp_path: Path
):
    admin, exam, printed = printed_sheets(page, platform_url, NAMES[:1])
    done = upload(page, tmp_path / "tache.pdf", copier_scan(printed, smudged={1}, seed=15))
    expect(done.get_by_test_id("upload-copies")).to_have_text("1")
    expect(done.get_by_test_id("upload-loose")).to_have_text("1 page à placer")
    [copy] = admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
    # not reported missing: its printed line « Copie s001 · page 2 / 2 » was read, it waits to be placed
    assert (copy["identified_by"], copy["missing_pages"], copy["page_count"]) == ("code", [], 1)

    loose = page.get_by_test_id("loose-page")
    expect(loose).to_have_count(1)
    expect(loose.get_by_test_id("loose-reason")).to_have_text("Code illisible")
    expect(loose.get_by_test_id("loose-guess")).to_have_text(
        f"Probablement la page 2 de la copie {copy['anonymous_id']}"
    )
    loose.get_by_test_id("loose-attach-open").click()
    form = page.get_by_test_id("loose-attach-form")
    expect(form.get_by_test_id("loose-attach-copy")).to_have_value(str(copy["id"]))  # pre-filled
    expect(form.get_by_test_id("loose-attach-position")).to_have_value("2")
    form.get_by_test_id("loose-attach-submit").click()
    expect(page.get_by_test_id("loose-notice")).to_contain_text(f"{copy['anonymous_id']} en position 2")
    expect(loose).to_have_count(0)
    assert admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"][0]["page_count"] == 2
