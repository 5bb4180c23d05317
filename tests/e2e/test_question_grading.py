"""Question-first grading in the browser (French): an exam dispatched by question to a teacher, with a
shared rubric per question; the teacher goes through the copies one question at a time, applying rubric
items with their number keys and "Valider et suivante" with Ctrl+Entrée; the scores are stored per copy
and question, and completing the last question of a copy finalises it (GRADED, rendered)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in

NAMES = [("LEROY", "Camille"), ("MOREAU", "Jules"), ("SIMON", "Zoé")]


def question_exam(base_url: str, names: list[tuple[str, str]], teacher: str = "teacher1"):
    """Through the API: an exam with two questions, roster, processed scan, identified copies, dispatched
    by question (both questions to ``teacher``), a rubric per question and a region for question 1."""
    from chalicelib.services.scans import copy_id_for
    from tests.support.scans import make_scan

    admin = ApiClient(base_url, "admin")
    exam = admin.call(
        "POST",
        "/api/exams",
        201,
        json={
            "name": f"Devoir par question {time.time_ns()}",
            "subject": "Mathématiques",
            "date": "2026-11-30",
            "upload_mode": "BATCH",
            "pages_per_copy": 2,
        },
    )
    exam_id = exam["id"]
    admin.call(
        "PUT",
        f"/api/exams/{exam_id}/marking-scheme",
        json={"nodes": [{"label": "Question 1", "points": 4}, {"label": "Question 2", "points": 6}]},
    )
    admin.import_roster(exam_id, names, class_name="4C")
    upload_id = admin.upload(exam_id, make_scan(names, pages_per_copy=2, seed=23))
    admin.wait_for(lambda: admin.call("GET", f"/api/exams/{exam_id}/uploads/{upload_id}")["status"] == "DONE")
    students = {
        (s["last_name"], s["first_name"]): s["id"]
        for s in admin.call("GET", f"/api/exams/{exam_id}/students")["students"]
    }
    for position, name in enumerate(names):
        admin.call(
            "POST",
            f"/api/copies/{copy_id_for(upload_id, position)}/identify",
            json={"student_id": students[name]},
        )
    teacher_id = next(
        u["id"] for u in admin.call("GET", "/api/users?role=teacher")["users"] if u["username"] == teacher
    )
    admin.call("PUT", f"/api/exams/{exam_id}/teachers", json={"teacher_ids": [teacher_id]})
    exam = admin.call("GET", f"/api/exams/{exam_id}")
    q1, q2 = (node["id"] for node in exam["marking_scheme"]["nodes"])
    admin.call(
        "PUT",
        f"/api/exams/{exam_id}/question-dispatch",
        json={"mode": "QUESTION", "assignments": {q1: [teacher_id], q2: [teacher_id]}},
    )
    admin.call(
        "PUT",
        f"/api/exams/{exam_id}/question-regions",
        json={"regions": {q1: {"page": 0, "x": 0.05, "y": 0.2, "w": 0.9, "h": 0.4}}},
    )
    rubric = [
        (q1, "Méthode juste", "delta", 2),
        (q1, "Résultat exact", "delta", 2),
        (q1, "Erreur de signe", "delta", -0.5),
        (q2, "Tout juste", "absolute", 6),
        (q2, "En partie juste", "absolute", 3),
        (q2, "Justification manquante", "delta", -1),
    ]
    items = {
        label: admin.call(
            "POST",
            f"/api/exams/{exam_id}/rubrics",
            201,
            json={"question_id": question_id, "label": label, "kind": kind, "points": points},
        )["id"]
        for question_id, label, kind, points in rubric
    }
    copies = admin.call("GET", f"/api/exams/{exam_id}/copies")["copies"]
    return admin, exam, (q1, q2), sorted(copies, key=lambda c: c["anonymous_id"]), items


def grade_question(
    page: Page, copies: list[dict], keys: list[list[str]], scores: list[str], maximum: int
) -> None:
    """Grades every copy of the open question desk with number keys, then Ctrl+Entrée."""
    for copy, presses, expected in zip(copies, keys, scores, strict=True):
        expect(page).to_have_url(re.compile(f"copy={copy['id']}"))
        expect(page.get_by_test_id("question-copy-id")).to_have_attribute(
            "data-anonymous-id", copy["anonymous_id"]
        )
        expect(page.get_by_test_id("rubric-item").first).to_be_enabled()  # the question lock is ours
        for key in presses:
            page.keyboard.press(key)
        expect(page.get_by_test_id("question-score")).to_have_text(f"{expected} / {maximum}")
        page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("question-all-done")).to_contain_text(
        "Toutes les copies sont notées pour cette question"
    )


def test_question_first_grading_with_rubric_keys(browser: Browser, platform_url: str):
    admin, exam, (q1, q2), copies, _items = question_exam(platform_url, NAMES)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
        expect(page.get_by_test_id("dashboard-title")).to_be_visible()
        rows = page.locator(f'[data-testid="my-question-row"][data-exam-name="{exam["name"]}"]')
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("0 / 3 copies notées")
        rows.first.get_by_test_id("question-desk-link").click()

        expect(page.get_by_test_id("question-title")).to_contain_text("Question 1 · sur 4 points")
        expect(page.get_by_test_id("question-region")).to_have_attribute("data-cropped", "true")
        expect(page.get_by_test_id("rubric-item")).to_have_count(3)
        grade_question(page, copies, [["1", "2"], ["1", "3"], ["2"]], ["4", "1,5", "2"], 4)

        stored = admin.call("GET", f"/api/exams/{exam['id']}/questions/{q1}/copies")
        assert (stored["complete"], stored["total"]) == (3, 3)
        assert [c["score"] for c in stored["copies"]] == [4, 1.5, 2]
        assert all(c["status"] == "READY" for c in stored["copies"])  # question 2 is still to grade

        page.goto(f"{platform_url}/teacher/exams/{exam['id']}/questions/{q2}")
        expect(page.get_by_test_id("question-title")).to_contain_text("Question 2 · sur 6 points")
        expect(page.get_by_test_id("question-region")).to_have_attribute(
            "data-cropped", "false"
        )  # whole page
        grade_question(page, copies, [["1"], ["2", "3"], ["2"]], ["6", "2", "3"], 6)
    finally:
        context.close()

    ids = [c["id"] for c in copies]

    def all_graded() -> bool:
        listed = {
            c["id"]: c["status"] for c in admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
        }
        return all(listed[i] == "GRADED" for i in ids)

    admin.wait_for(all_graded, 120)
    for copy_id, (first, second) in zip(ids, [(4, 6), (1.5, 2), (2, 3)], strict=True):
        sheet = admin.call("GET", f"/api/copies/{copy_id}")["scores"]
        assert sheet["scores"] == {q1: first, q2: second}
        assert sheet["total"] == first + second
        assert admin.call("GET", f"/api/copies/{copy_id}/final-pdf")["url"]


def test_a_rubric_edit_in_the_question_desk_rescores_graded_copies(browser: Browser, platform_url: str):
    admin, exam, (q1, q2), copies, items = question_exam(platform_url, NAMES[:2])
    teacher = ApiClient(platform_url, "teacher1")
    for copy in copies:  # graded through the API: « Méthode juste » on question 1 of every copy
        for question_id, applied in ((q1, ["Méthode juste", "Résultat exact"]), (q2, ["Tout juste"])):
            path = f"/api/copies/{copy['id']}/questions/{question_id}"
            token = teacher.call("POST", f"{path}/lock", 201)["token"]
            teacher.call(
                "PUT",
                f"{path}/score",
                json={"version": 0, "rubric_item_ids": [items[label] for label in applied], "complete": True},
                headers={"X-Lock-Token": token},
            )
    ids = [c["id"] for c in copies]

    def graded_with(total: float) -> bool:
        listed = {
            c["id"]: c["status"] for c in admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
        }
        return all(
            listed[i] == "GRADED" and admin.call("GET", f"/api/copies/{i}")["scores"]["total"] == total
            for i in ids
        )

    admin.wait_for(lambda: graded_with(10), 120)

    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, platform_url, "admin", DEMO_PASSWORD)
        expect(page.get_by_test_id("dashboard-title")).to_be_visible()
        page.goto(f"{platform_url}/teacher/exams/{exam['id']}/questions/{q1}")
        expect(page.get_by_test_id("question-read-only")).to_contain_text("Corrigée")
        page.get_by_test_id("rubric-editor-toggle").click()
        expect(page.get_by_test_id("rubric-rescore-warning")).to_contain_text(
            "y compris celles déjà corrigées"
        )
        page.get_by_test_id("rubric-edit").first.click()
        page.get_by_test_id("rubric-edit-points").fill("1,5")
        page.get_by_test_id("rubric-edit-save").click()
        expect(page.get_by_test_id("rubric-editor-message")).to_contain_text("2 copies recalculées")
        expect(page.get_by_test_id("rubric-item").first).to_contain_text("+1,5")

        admin.wait_for(lambda: graded_with(9.5), 120)
        for copy_id in ids:
            assert admin.call("GET", f"/api/copies/{copy_id}")["scores"]["scores"] == {q1: 3.5, q2: 6}

        page.goto(f"{platform_url}/admin/exams/{exam['id']}/results")
        row = page.locator(f'[data-testid="stats-rubric-row"][data-item-id="{items["Méthode juste"]}"]')
        expect(row).to_have_attribute("data-count", "2")
        expect(row).to_contain_text("+1,5")
    finally:
        context.close()
