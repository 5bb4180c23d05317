"""An admin reads the audit trail in French at 1366 px: names, plain words, pickers, a table that fits."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in

EXAM_NAME = "Histoire — contrôle 2"


def test_the_audit_trail_names_people_and_exams_filters_by_picking_and_fits_its_card(
    page: Page, platform_url: str
):
    admin = ApiClient(platform_url, "admin")
    exam = admin.call(
        "POST", "/api/exams", 201,
        json={"name": EXAM_NAME, "subject": "Histoire", "date": "2026-11-20", "upload_mode": "INDIVIDUAL"},
    )
    admin.call("PATCH", f"/api/exams/{exam['id']}", json={"subject": "Histoire-géographie"})
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()

    page.get_by_test_id("audit-nav").click()
    created = page.locator('[data-testid="audit-row"][data-action="exam.create"]').filter(has_text=EXAM_NAME)
    expect(created.get_by_test_id("audit-action-label")).to_have_text("Examen créé")
    expect(created.get_by_test_id("audit-actor-name")).to_have_text("admin")
    expect(created.get_by_test_id("audit-outcome")).to_have_text("Réussi")

    table_width, card_width = page.evaluate(
        """() => {
            const table = document.querySelector('[data-testid="audit-table"]')
            return [table.scrollWidth, table.closest('.card').clientWidth]
        }"""
    )
    assert table_width <= card_width, (table_width, card_width)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.get_by_test_id("audit-filter-exam").select_option(label=EXAM_NAME)
    page.get_by_test_id("audit-filter-action").select_option(label="Examen modifié")
    page.get_by_test_id("audit-filter-submit").click()
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("audit-exam-link")).to_have_text(EXAM_NAME)
    assert "action=exam.update" in page.url and f"exam_id={exam['id']}" in page.url
