"""The identification desk in the browser: a wrong confirmation is warned about, undone, then put right."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from chalicelib.services.scans import copy_id_for
from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in
from tests.support.scans import make_scan

NAMES = [("LEROY", "Ines"), ("FAURE", "Hugo")]


def scanned_exam(base_url: str) -> tuple[ApiClient, str, dict[str, str]]:
    """An exam with a roster and a processed scan: (admin, exam id, copy id → the right student's id)."""
    admin = ApiClient(base_url, "admin")
    exam = admin.call(
        "POST",
        "/api/exams",
        201,
        json={"name": f"Identification {time.time_ns()}", "subject": "Histoire", "date": "2026-11-26",
              "upload_mode": "BATCH", "pages_per_copy": 2},
    )
    admin.import_roster(exam["id"], NAMES, class_name="3C")
    upload_id = admin.upload(exam["id"], make_scan(NAMES, pages_per_copy=2, seed=23))
    admin.wait_for(
        lambda: admin.call("GET", f"/api/exams/{exam['id']}/uploads/{upload_id}")["status"] == "DONE"
    )
    students = {
        (s["last_name"], s["first_name"]): s["id"]
        for s in admin.call("GET", f"/api/exams/{exam['id']}/students")["students"]
    }
    right = {copy_id_for(upload_id, position): students[name] for position, name in enumerate(NAMES)}
    return admin, exam["id"], right


def copies_of(admin: ApiClient, exam_id: str) -> list[dict]:
    return admin.call("GET", f"/api/exams/{exam_id}/copies")["copies"]


def test_confirm_the_wrong_student_undo_it_then_confirm_the_right_one(page: Page, platform_url: str):
    admin, exam_id, right = scanned_exam(platform_url)
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{platform_url}/admin/exams/{exam_id}/identification")
    expect(page.get_by_test_id("ident-counter")).to_contain_text("/ 2", timeout=60_000)

    shown = page.get_by_test_id("ident-anonymous-id").inner_text()
    copy = next(c for c in copies_of(admin, exam_id) if c["anonymous_id"] == shown)
    right_id = right[copy["id"]]
    students = {sid: name for name, sid in zip(NAMES, right.values(), strict=True)}
    (right_last, right_first), (wrong_last, wrong_first) = students[right_id], next(
        name for sid, name in students.items() if sid != right_id
    )

    search = page.get_by_test_id("ident-search")
    search.fill(f"{wrong_last} {wrong_first}")
    expect(page.locator('[data-testid="ident-suggestion"]').first).to_contain_text(wrong_last)
    search.press("Enter")
    expect(page.get_by_test_id("ident-warning")).to_contain_text(wrong_last)
    page.get_by_test_id("ident-warning-confirm").click()
    expect(page.get_by_test_id("ident-last")).to_contain_text(wrong_last)

    page.get_by_test_id("ident-undo").click()
    expect(page.get_by_test_id("ident-info")).to_contain_text("de nouveau à identifier")  # the French desk
    expect(page.get_by_test_id("ident-anonymous-id")).to_have_text(shown)

    search.fill(f"{right_last} {right_first}")
    expect(page.locator('[data-testid="ident-suggestion"]').first).to_contain_text(right_last)
    search.press("Enter")
    confirmed = page.get_by_test_id("ident-last").filter(has_text=right_last)
    warning = page.get_by_test_id("ident-warning")
    expect(warning.or_(confirmed)).to_be_visible()
    if warning.is_visible():  # no warning when it is the OCR's confident match
        search.press("Enter")
    expect(confirmed).to_be_visible()

    stored = admin.call("GET", f"/api/copies/{copy['id']}")
    listed = next(c for c in copies_of(admin, exam_id) if c["id"] == copy["id"])
    assert stored["status"] == "READY" and listed["student"]["id"] == right_id
    history = [e["action"] for e in admin.call("GET", f"/api/copies/{copy['id']}/history")["events"]]
    assert history.count("copy.identify") == 2 and history.count("copy.unidentify") == 1
