"""A teacher grades a copy in the browser: draw, score, reload and find the work, finalise → GRADED;
someone else opening the copy meanwhile gets the read-only view with the lock holder's name."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient, dispatched_exam
from tests.e2e.test_sign_in import sign_in


def drag(page: Page, test_id: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = page.get_by_test_id(test_id).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(
        box["x"] + box["width"] * (start[0] + end[0]) / 2,
        box["y"] + box["height"] * (start[1] + end[1]) / 2,
        steps=5,
    )
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=5)
    page.mouse.up()


def test_teacher_grades_a_copy_end_to_end(page: Page, browser: Browser, platform_url: str):
    _admin, exam, copies = dispatched_exam(platform_url, [("MARTIN", "Noé")])
    copy = copies[0]
    teacher_api = ApiClient(platform_url, "teacher1")

    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Teacher dashboard")
    row = page.locator(f'[data-testid="teacher-copy-row"][data-anonymous-id="{copy["anonymous_id"]}"]')
    row.get_by_test_id("grade-link").click()
    expect(page.get_by_test_id("page-image")).to_be_visible()
    expect(page.get_by_test_id("readonly-banner")).to_have_count(0)

    page.get_by_test_id("tool-rect").click()
    drag(page, "annotation-canvas", (0.2, 0.4), (0.5, 0.5))
    teacher_api.wait_for(
        lambda: len(teacher_api.call("GET", f"/api/copies/{copy['id']}")["annotations"]) == 1, 15
    )

    leaves = [node["id"] for node in exam["marking_scheme"]["nodes"][0]["children"]]
    leaves.append(exam["marking_scheme"]["nodes"][1]["id"])
    for node_id, points in zip(leaves, ("3.5", "6", "7.25"), strict=True):
        page.locator(f'[data-testid="score-input"][data-node-id="{node_id}"]').fill(points)
    page.get_by_test_id("appreciation-input").fill("Bon travail, rédaction à soigner.")
    expect(page.get_by_test_id("score-total")).to_contain_text(re.compile(r"16[.,]75"))
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Saved", timeout=15_000)

    other = browser.new_context()
    try:
        admin_page = other.new_page()
        sign_in(admin_page, platform_url, "admin", DEMO_PASSWORD)
        expect(admin_page.get_by_test_id("dashboard-title")).to_be_visible()
        admin_page.goto(f"{platform_url}/teacher/copies/{copy['id']}")
        expect(admin_page.get_by_test_id("readonly-banner")).to_contain_text("teacher1")
    finally:
        other.close()

    page.reload()
    expect(page.get_by_test_id("page-image")).to_be_visible()
    for node_id, points in zip(leaves, ("3.5", "6", "7.25"), strict=True):
        expect(page.locator(f'[data-testid="score-input"][data-node-id="{node_id}"]')).to_have_value(points)
    expect(page.get_by_test_id("appreciation-input")).to_have_value("Bon travail, rédaction à soigner.")
    assert len(teacher_api.call("GET", f"/api/copies/{copy['id']}")["annotations"]) == 1

    page.get_by_test_id("finalize-button").click()
    page.get_by_test_id("finalize-confirm").get_by_role("button", name="Finalise").click()
    expect(page.get_by_test_id("copy-status")).to_have_text("GRADED", timeout=60_000)
    expect(page.get_by_test_id("final-pdf-link")).to_be_visible()
    assert teacher_api.call("GET", f"/api/copies/{copy['id']}")["status"] == "GRADED"
