"""Regrade requests in the browser, in French.

- Copy mode: a pupil whose graded copy was released asks, on a phone, for one question to be looked at
  again; the teacher who graded it finds the request in the regrade queue and answers with a new score
  typed "5,5"; the copy is rendered again by the platform's event pump; the pupil reloads the page and
  reads the answer, the score before → after and the new total, and the downloaded copy is a PDF.
- Question mode: the teacher answers with the question's shared rubric (its region of the page shown,
  an item applied by its number key) and the pupil's released result follows.

The scene (exam, roster, scan, identification, dispatch, grading, release) is set through the API: the
browser part is the request and its answer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient, dispatched_exam
from tests.e2e.test_sign_in import sign_in

PUPIL = ("GARNIER", "Ines")
EMAIL = "ines.garnier@college.example.org"
NEW_PASSWORD = "Copper-Lantern-Meadow-73"
MESSAGE = "Ma démonstration de la question b) est complète : pouvez-vous la relire ?"
ANSWER = "Vous avez raison, la démonstration est juste : un point et demi de plus."


def leaf_ids(exam: dict) -> dict[str, str]:
    """Leaf label ("Exercice 1 › b)") → id, from the exam's marking scheme."""
    found: dict[str, str] = {}

    def walk(nodes: list[dict], prefix: str) -> None:
        for node in nodes:
            label = f"{prefix}{node['label']}"
            if node.get("children"):
                walk(node["children"], f"{label} › ")
            else:
                found[label] = node["id"]

    walk(exam["marking_scheme"]["nodes"], "")
    return found


def graded_and_released(base_url: str) -> tuple[ApiClient, dict, str, str]:
    """A released copy graded 3 + 4 + 7 = 14 / 20 by teacher1; returns the admin, the exam, the copy id and
    the pupil's initial password."""
    admin, exam, copies = dispatched_exam(base_url, [PUPIL])
    leaves = leaf_ids(exam)
    copy_id = copies[0]["id"]
    teacher = ApiClient(base_url, "teacher1")
    token = teacher.call("POST", f"/api/copies/{copy_id}/lock", 201)["token"]
    teacher.call(
        "PUT",
        f"/api/copies/{copy_id}/scores",
        json={
            "scores": {leaves["Exercice 1 › a)"]: 3, leaves["Exercice 1 › b)"]: 4, leaves["Exercice 2"]: 7},
            "remarks": {leaves["Exercice 1 › b)"]: "Démonstration incomplète."},
            "appreciation": "Ensemble correct.",
        },
        headers={"X-Lock-Token": token},
    )
    teacher.call("POST", f"/api/copies/{copy_id}/finalize", 202, headers={"X-Lock-Token": token})
    admin.wait_for(lambda: admin.call("GET", f"/api/copies/{copy_id}")["status"] == "GRADED")
    admin.call("POST", f"/api/exams/{exam['id']}/release")

    return admin, exam, copy_id, initial_password(admin, exam, PUPIL[0])


def initial_password(admin: ApiClient, exam: dict, last_name: str) -> str:
    """A fresh initial password of the roster's pupil ``last_name``, from its one-time credentials sheet."""
    student_id = next(
        s["id"]
        for s in admin.call("GET", f"/api/exams/{exam['id']}/students")["students"]
        if s["last_name"] == last_name
    )
    sheet_url = admin.call("POST", f"/api/students/{student_id}/reset-password")["credentials_csv_url"]
    sheet = admin.call("GET", sheet_url).content.decode("utf-8-sig")
    return next(iter(csv.DictReader(io.StringIO(sheet), delimiter=";")))["initial_password"]


def pupil_signs_in(page: Page, base_url: str, password: str) -> None:
    page.goto(f"{base_url}/student/login")
    page.get_by_test_id("student-login-email").fill(EMAIL)
    page.get_by_test_id("student-login-password").fill(password)
    page.get_by_test_id("student-login-submit").click()
    page.get_by_test_id("cp-current").fill(password)
    page.get_by_test_id("cp-new").fill(NEW_PASSWORD)
    page.get_by_test_id("cp-confirm").fill(NEW_PASSWORD)
    page.get_by_test_id("cp-submit").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Mes résultats")


def test_a_pupil_asks_for_a_regrade_and_reads_the_answer(browser: Browser, platform_url: str):
    admin, exam, copy_id, password = graded_and_released(platform_url)
    question_b = leaf_ids(exam)["Exercice 1 › b)"]

    phone = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True, accept_downloads=True
    )
    pupil = phone.new_page()
    pupil.set_default_timeout(20_000)
    pupil_signs_in(pupil, platform_url, password)
    pupil.get_by_test_id("result-row").filter(has_text=exam["name"]).get_by_test_id("result-link").click()
    expect(pupil.get_by_test_id("result-total")).to_contain_text("14 / 20")

    # The request, in French, while the window (7 days by default) is open.
    expect(pupil.get_by_test_id("regrade-window")).to_contain_text("Vous pouvez demander la révision")
    pupil.get_by_test_id("regrade-question").select_option(question_b)
    pupil.get_by_test_id("regrade-message").fill(MESSAGE)
    pupil.get_by_test_id("regrade-send").click()
    expect(pupil.get_by_test_id("regrade-sent")).to_be_visible()
    item = pupil.get_by_test_id("regrade-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-status", "OPEN")
    expect(item.get_by_test_id("regrade-status")).to_have_text("En attente")
    expect(item.get_by_test_id("regrade-item-message")).to_have_text(MESSAGE)
    assert pupil.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    box = pupil.get_by_test_id("regrade-send").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box

    # The teacher who graded the copy answers from the queue with a new score.
    desk = browser.new_context(locale="fr-FR")
    teacher = desk.new_page()
    teacher.set_default_timeout(20_000)
    sign_in(teacher, platform_url, "teacher1", DEMO_PASSWORD)
    expect(teacher.get_by_test_id("dashboard-title")).to_have_text("Tableau de bord enseignant")
    expect(teacher.get_by_test_id("regrades-nav")).to_contain_text("Révisions")
    teacher.get_by_test_id("regrades-nav").click()
    expect(teacher.get_by_test_id("regrade-queue-title")).to_have_text("Demandes de révision")
    row = teacher.get_by_test_id("regrade-row").filter(has_text=exam["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Exercice 1 › b)")
    row.get_by_test_id("regrade-open").click()
    panel = teacher.get_by_test_id("regrade-panel")
    expect(panel.get_by_test_id("regrade-panel-message")).to_have_text(MESSAGE)
    expect(panel.get_by_test_id("regrade-current-score")).to_have_text("Note actuelle : 4 / 6")
    expect(panel.get_by_test_id("regrade-page-image")).to_be_visible()
    panel.get_by_test_id("regrade-score").fill("5,5")
    expect(panel.get_by_test_id("regrade-new-score")).to_have_text("Note après réponse : 5,5 / 6")
    panel.get_by_test_id("regrade-answer").fill(ANSWER)
    panel.get_by_test_id("regrade-submit").click()
    expect(panel.get_by_test_id("regrade-answered")).to_contain_text("Réponse envoyée")
    expect(teacher.get_by_test_id("regrade-row").filter(has_text=exam["name"])).to_have_count(0)
    desk.close()

    # The pump renders the copy again; it stays released.
    admin.wait_for(lambda: admin.call("GET", f"/api/copies/{copy_id}")["status"] == "GRADED")
    requests = admin.call("GET", f"/api/exams/{exam['id']}/regrades")["requests"]
    assert [(r["status"], r["score_before"], r["score_after"]) for r in requests] == [("ANSWERED", 4, 5.5)]

    # The pupil reloads and reads the answer and the new total.
    pupil.reload()
    expect(pupil.get_by_test_id("result-total")).to_contain_text("15,5 / 20")
    item = pupil.get_by_test_id("regrade-item")
    expect(item).to_have_attribute("data-status", "ANSWERED")
    expect(item.get_by_test_id("regrade-status")).to_have_text("Répondue")
    expect(item.get_by_test_id("regrade-item-answer")).to_have_text(ANSWER)
    expect(item.get_by_test_id("regrade-item-score")).to_have_text("Note : 4 → 5,5")
    question = pupil.locator(f'[data-testid="result-question"][data-question-id="{question_b}"]')
    expect(question.get_by_test_id("result-question-score")).to_contain_text("5,5 / 6")
    # One open request per question: b) can be asked about again only because this one is answered.
    expect(pupil.locator(f'[data-testid="regrade-question"] option[value="{question_b}"]')).to_be_enabled()
    with pupil.expect_download() as download:
        pupil.get_by_test_id("download-pdf").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    phone.close()


QUESTION_PUPIL = ("ROUSSEL", "Nael")


def graded_by_question_and_released(base_url: str) -> tuple[ApiClient, dict, str, dict[str, str]]:
    """An exam dispatched by question to teacher1, question b) with a region and a rubric, graded
    3 + (5 − 1 = 4) + 7 = 14 / 20 and released; returns the admin, the exam, the copy id and the rubric
    item ids by label."""
    admin, exam, copies = dispatched_exam(base_url, [QUESTION_PUPIL])
    leaves = leaf_ids(exam)
    a, b, two = leaves["Exercice 1 › a)"], leaves["Exercice 1 › b)"], leaves["Exercice 2"]
    copy_id = copies[0]["id"]
    teacher = ApiClient(base_url, "teacher1")
    mine = [teacher.user["id"]]
    admin.call(
        "PUT",
        f"/api/exams/{exam['id']}/question-dispatch",
        json={"mode": "QUESTION", "assignments": {a: mine, b: mine, two: mine}},
    )
    admin.call(
        "PUT",
        f"/api/exams/{exam['id']}/question-regions",
        json={"regions": {b: {"page": 0, "x": 0.05, "y": 0.3, "w": 0.9, "h": 0.35}}},
    )
    items = {
        label: teacher.call(
            "POST",
            f"/api/exams/{exam['id']}/rubrics",
            201,
            json={"question_id": b, "label": label, "kind": kind, "points": points},
        )["id"]
        for label, kind, points in (
            ("Démonstration complète", "absolute", 5),
            ("Justification manquante", "delta", -1),
            ("Rédaction soignée", "delta", 0.5),
        )
    }
    for question, applied, adjustment in (
        (a, [], 3),
        (b, [items["Démonstration complète"], items["Justification manquante"]], 0),
        (two, [], 7),
    ):
        path = f"/api/copies/{copy_id}/questions/{question}"
        token = teacher.call("POST", f"{path}/lock", 201)["token"]
        teacher.call(
            "PUT",
            f"{path}/score",
            json={"version": 0, "rubric_item_ids": applied, "adjustment": adjustment, "complete": True},
            headers={"X-Lock-Token": token},
        )
        teacher.call("DELETE", f"{path}/lock", 204, headers={"X-Lock-Token": token})
    admin.wait_for(lambda: admin.call("GET", f"/api/copies/{copy_id}")["status"] == "GRADED")
    admin.call("POST", f"/api/exams/{exam['id']}/release")
    return admin, exam, copy_id, items


def pupil_files_by_api(base_url: str, password: str, copy_id: str, question_id: str) -> requests.Session:
    """The pupil signs in, changes the initial password and asks for a regrade (through the API)."""
    pupil = requests.Session()
    email = f"{QUESTION_PUPIL[1].lower()}.{QUESTION_PUPIL[0].lower()}@college.example.org"
    signed_in = pupil.post(
        f"{base_url}/api/students/login", json={"email": email, "password": password}, timeout=30
    )
    assert signed_in.status_code == 200, signed_in.text
    pupil.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    changed = pupil.post(
        f"{base_url}/api/students/me/password",
        json={"current_password": password, "new_password": NEW_PASSWORD},
        timeout=30,
    )
    assert changed.status_code in (200, 204), changed.text
    pupil.headers["X-CSRF-Token"] = pupil.get(f"{base_url}/api/me", timeout=30).json()["csrf_token"]
    filed = pupil.post(
        f"{base_url}/api/students/me/copies/{copy_id}/regrades",
        json={"question_id": question_id, "message": MESSAGE},
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    return pupil


def test_a_regrade_answered_with_the_shared_rubric(browser: Browser, platform_url: str):
    admin, exam, copy_id, items = graded_by_question_and_released(platform_url)
    question_b = leaf_ids(exam)["Exercice 1 › b)"]
    pupil = pupil_files_by_api(
        platform_url, initial_password(admin, exam, QUESTION_PUPIL[0]), copy_id, question_b
    )

    desk = browser.new_context(locale="fr-FR")
    teacher = desk.new_page()
    teacher.set_default_timeout(20_000)
    sign_in(teacher, platform_url, "teacher1", DEMO_PASSWORD)
    expect(teacher.get_by_test_id("dashboard-title")).to_have_text("Tableau de bord enseignant")
    teacher.goto(f"{platform_url}/teacher/regrades")
    row = teacher.get_by_test_id("regrade-row").filter(has_text=exam["name"])
    expect(row).to_have_count(1)
    row.get_by_test_id("regrade-open").click()
    panel = teacher.get_by_test_id("regrade-panel")
    expect(panel.get_by_test_id("regrade-current-score")).to_have_text("Note actuelle : 4 / 6")
    expect(panel.get_by_test_id("regrade-page")).to_have_attribute("data-cropped", "true")
    toggles = panel.get_by_test_id("regrade-rubric-item")
    expect(toggles).to_have_count(3)
    expect(toggles.nth(0)).to_have_attribute("aria-pressed", "true")
    expect(toggles.nth(1)).to_have_attribute("aria-pressed", "true")
    panel.get_by_test_id("regrade-panel-message").click()  # the keys act outside the text fields
    teacher.keyboard.press("2")  # the missing justification is there after all
    teacher.keyboard.press("3")  # and the writing is careful
    expect(toggles.nth(1)).to_have_attribute("aria-pressed", "false")
    expect(toggles.nth(2)).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_test_id("regrade-new-score")).to_have_text("Note après réponse : 5,5 / 6")
    panel.get_by_test_id("regrade-answer").fill(ANSWER)
    panel.get_by_test_id("regrade-submit").click()
    expect(panel.get_by_test_id("regrade-answered")).to_contain_text("Réponse envoyée")
    desk.close()

    admin.wait_for(lambda: admin.call("GET", f"/api/copies/{copy_id}")["status"] == "GRADED")
    result = pupil.get(f"{platform_url}/api/students/me/copies/{copy_id}", timeout=30).json()
    assert result["total"] == 15.5
    regrades_url = f"{platform_url}/api/students/me/copies/{copy_id}/regrades"
    asked = pupil.get(regrades_url, timeout=30).json()["requests"]
    assert [(r["status"], r["score_before"], r["score_after"], r["answer"]) for r in asked] == [
        ("ANSWERED", 4, 5.5, ANSWER)
    ]
    now = admin.call("GET", f"/api/regrades/{copy_id}/{question_b}")["score"]
    assert set(now["rubric_item_ids"]) == {items["Démonstration complète"], items["Rédaction soignée"]}
    assert now["score"] == 5.5
