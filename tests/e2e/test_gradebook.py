"""The gradebook and the release warnings in the browser, in French, on the demo stack: every roster
student and every copy has a row; releasing lists what needs attention first and stays possible; the
printed gradebook is one A4 landscape table without the navigation."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_sign_in import sign_in
from tests.support.scans import make_scan

EXAM = "Physique — relevé"
ROSTER = (
    "Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\n"
    "ARNAUD Léa;12/03/2011;lea.arnaud@college.example.org;3B;G1\n"
    "BLANC Hugo;02/05/2011;hugo.blanc@college.example.org;3B;G2\n"
)


def admin_sets_up_an_exam_with_copies_not_identified(page: Page, base_url: str, tmp_path: Path) -> None:
    sign_in(page, base_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.get_by_test_id("exams-nav").click()
    page.get_by_test_id("new-exam-name").fill(EXAM)
    page.get_by_test_id("new-exam-subject").fill("Physique")
    page.get_by_test_id("new-exam-date").fill("2026-11-27")
    page.get_by_test_id("new-exam-mode").select_option("BATCH")
    page.get_by_test_id("new-exam-pages").fill("2")
    page.get_by_test_id("new-exam-submit").click()
    page.locator(f'[data-testid="exam-row"][data-exam-name="{EXAM}"]').click()

    page.get_by_test_id("tab-scheme").click()
    page.get_by_test_id("scheme-add-root").click()
    node = page.locator('[data-testid="scheme-node"][data-path="1"]')
    node.get_by_test_id("scheme-node-label").first.fill("Exercice 1")
    node.get_by_test_id("scheme-node-points").first.fill("12,5")
    page.get_by_test_id("scheme-save").click()
    expect(page.get_by_test_id("scheme-status")).to_be_visible()

    page.get_by_test_id("tab-roster").click()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    page.get_by_test_id("roster-file").set_input_files(str(roster))
    page.get_by_test_id("roster-import").click()
    expect(page.get_by_test_id("roster-created")).to_have_text("2", timeout=60_000)

    page.get_by_test_id("tab-uploads").click()
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_scan([("ARNAUD", "Léa")], pages_per_copy=2, seed=7))
    page.get_by_test_id("upload-file").set_input_files(str(scan))
    page.get_by_test_id("upload-submit").click()
    expect(page.locator('[data-testid="upload-row"][data-status="DONE"]')).to_have_count(1, timeout=90_000)


def test_the_gradebook_and_the_release_warnings(page: Page, platform_url: str, tmp_path: Path):
    admin_sets_up_an_exam_with_copies_not_identified(page, platform_url, tmp_path)
    page.get_by_test_id("tab-results").click()

    rows = page.get_by_test_id("gradebook-row")
    expect(rows).to_have_count(3)  # two roster students without a copy, one copy nobody is identified on
    expect(rows.nth(0).get_by_test_id("gradebook-name")).to_have_text("ARNAUD Léa")
    expect(rows.nth(0).get_by_test_id("gradebook-status")).to_have_text("Sans copie")
    expect(rows.nth(2).get_by_test_id("gradebook-name")).to_have_text("Copie non identifiée")
    expect(rows.nth(2).get_by_test_id("gradebook-status")).to_have_text("À identifier")
    expect(page.locator('thead th[data-column^="q:"]')).to_contain_text("/ 12,5")

    page.locator('[data-testid="gradebook-sort"][data-column="status"]').click()
    expect(rows.nth(0).get_by_test_id("gradebook-name")).to_have_text("Copie non identifiée")

    page.get_by_test_id("release-toggle").click()
    warnings = page.get_by_test_id("release-warning")
    expect(warnings).to_have_count(3)
    kind = '[data-testid="release-warning"][data-kind="{}"]'.format
    expect(page.locator(kind("without-copy"))).to_contain_text("2 élèves de la liste n’ont pas de copie")
    expect(page.locator(kind("not-graded"))).to_contain_text("À identifier")
    expect(page.locator(kind("not-identified"))).to_contain_text("1 copie n’est pas identifiée")
    expect(page.get_by_test_id("release-confirm")).to_have_text("Publier quand même")
    page.get_by_test_id("release-confirm").click()
    expect(page.get_by_test_id("release-toggle")).to_have_attribute("data-released", "true")

    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_test_id("tab-results")).to_be_hidden()
    expect(page.get_by_test_id("release-status")).to_be_hidden()
    expect(page.get_by_test_id("gradebook-table")).to_be_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(842, 595)}  # A4 landscape, in points
