"""A teacher grades in the browser (French, the default): draw, score, reload and find the work, finalise →
GRADED, someone else opening the copy meanwhile gets the read-only view with the lock holder's name; and
three copies graded in a row with "Finaliser et suivante" from the keyboard only, at 1366 × 768."""

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


def leaf_ids(exam: dict) -> list[str]:
    """The scheme's questions in sheet order: Exercice 1 a), b), Exercice 2."""
    leaves = [node["id"] for node in exam["marking_scheme"]["nodes"][0]["children"]]
    return [*leaves, exam["marking_scheme"]["nodes"][1]["id"]]


def test_teacher_grades_a_copy_end_to_end(page: Page, browser: Browser, platform_url: str):
    _admin, exam, copies = dispatched_exam(platform_url, [("MARTIN", "Noé")])
    copy = copies[0]
    teacher_api = ApiClient(platform_url, "teacher1")

    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Tableau de bord enseignant")
    row = page.locator(f'[data-testid="teacher-copy-row"][data-anonymous-id="{copy["anonymous_id"]}"]')
    row.get_by_test_id("grade-link").click()
    expect(page.get_by_test_id("page-image")).to_be_visible()
    expect(page.get_by_test_id("readonly-banner")).to_have_count(0)

    page.get_by_test_id("tool-rect").click()
    drag(page, "annotation-canvas", (0.2, 0.4), (0.5, 0.5))
    teacher_api.wait_for(
        lambda: len(teacher_api.call("GET", f"/api/copies/{copy['id']}")["annotations"]) == 1, 15
    )

    leaves = leaf_ids(exam)
    for node_id, points in zip(leaves, ("3,5", "6", "7.25"), strict=True):
        page.locator(f'[data-testid="score-input"][data-node-id="{node_id}"]').fill(points)
    page.get_by_test_id("appreciation-input").fill("Bon travail, rédaction à soigner.")
    expect(page.get_by_test_id("score-total")).to_have_text("16,75 / 20")
    saved = re.compile("Saved|Enregistr")
    expect(page.get_by_test_id("autosave-status")).to_contain_text(saved, timeout=15_000)

    other = browser.new_context(locale="fr-FR")
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
    for node_id, points in zip(leaves, ("3,5", "6", "7,25"), strict=True):
        expect(page.locator(f'[data-testid="score-input"][data-node-id="{node_id}"]')).to_have_value(points)
    expect(page.get_by_test_id("appreciation-input")).to_have_value("Bon travail, rédaction à soigner.")
    assert len(teacher_api.call("GET", f"/api/copies/{copy['id']}")["annotations"]) == 1

    page.get_by_test_id("finalize-button").click()
    page.get_by_test_id("finalize-confirm").get_by_role("button", name="Enregistrer et finaliser").click()
    expect(page.get_by_test_id("copy-status")).to_have_attribute("data-status", "GRADED", timeout=60_000)
    expect(page.get_by_test_id("copy-status")).to_have_text("Corrigée")
    expect(page.get_by_test_id("final-pdf-link")).to_be_visible()
    assert teacher_api.call("GET", f"/api/copies/{copy['id']}")["status"] == "GRADED"


def in_view(page: Page, test_id: str) -> bool:
    """Wholly inside the 768 px high window and not under the desk's sticky header."""
    header = page.locator(".desk__header").bounding_box()
    box = page.get_by_test_id(test_id).first.bounding_box()
    assert header is not None and box is not None
    top = 0 if test_id == "finalize-next-button" else header["y"] + header["height"] - 1
    return box["y"] >= top and box["y"] + box["height"] <= 768


def test_three_copies_in_a_row_with_finalise_and_next_from_the_keyboard(browser: Browser, platform_url: str):
    names = [("DUBOIS", "Léa"), ("PETIT", "Hugo"), ("ROUX", "Inès")]
    _admin, _exam, copies = dispatched_exam(platform_url, names)
    ordered = sorted(copies, key=lambda c: c["anonymous_id"])
    teacher_api = ApiClient(platform_url, "teacher1")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
        expect(page.get_by_test_id("dashboard-title")).to_be_visible()
        page.goto(f"{platform_url}/teacher/copies/{ordered[0]['id']}")

        for index, copy in enumerate(ordered):
            expect(page).to_have_url(re.compile(f"/teacher/copies/{copy['id']}$"))
            expect(page.get_by_test_id("desk-anonymous-id")).to_have_text(copy["anonymous_id"])
            expect(page.get_by_test_id("tool-rect")).to_be_enabled()  # the lock is ours
            if index == 0:  # 1366 × 768: the toolbar, the scores and Finalise stay in view when scrolling
                page.get_by_test_id("page-scroll").hover()
                page.mouse.wheel(0, 2000)
                page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
                for test_id in ("desk-toolbar", "finalize-next-button", "score-total"):
                    assert in_view(page, test_id), test_id
            page.keyboard.press("Escape")
            page.keyboard.press("n")  # the first question's score
            for points in ("3,5", "6", "7.25"):
                page.keyboard.type(points)
                page.keyboard.press("Enter")
            expect(page.get_by_test_id("score-total")).to_have_text("16,75 / 20")
            page.keyboard.press("Control+Enter")
            dialog = page.get_by_test_id("finalize-confirm")
            expect(dialog).to_contain_text("La copie suivante non corrigée s’ouvre ensuite.")
            expect(page.get_by_test_id("finalize-submit")).to_be_focused()
            page.keyboard.press("Enter")

        expect(page).to_have_url(re.compile(r"/teacher\?allGraded="))
        expect(page.get_by_test_id("teacher-all-graded")).to_contain_text("Plus aucune copie à corriger")

        ids = {copy["id"] for copy in copies}

        def all_graded() -> bool:
            mine = teacher_api.call("GET", "/api/teacher/copies")["copies"]
            return {c["id"] for c in mine if c["id"] in ids and c["status"] == "GRADED"} == ids

        teacher_api.wait_for(all_graded, 90)
        for copy in copies:
            sheet = teacher_api.call("GET", f"/api/copies/{copy['id']}")["scores"]
            assert sheet["total"] == 16.75
    finally:
        context.close()
