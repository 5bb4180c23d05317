"""A session that ends mid-copy loses nothing (French interface): the next autosave is refused, the desk
goes to the sign-in page which says the session expired, and signing back in returns to the copy with
the unsaved score and remark restored, then saved. The question desk likewise: the rubric items
applied and the remark come back on that copy and question, with a notice, and are then saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient, dispatched_exam
from tests.e2e.test_sign_in import sign_in

REMARK = "Raisonnement juste, calcul à revoir."


def sign_in_again(page: Page) -> None:
    """On the sign-in page the expiry led to: the teacher signs in again (it returns where they were)."""
    page.get_by_test_id("login-username").fill("teacher1")
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def end_sessions_of(admin: ApiClient, username: str) -> None:
    """The server ends every session of ``username`` (as an expiry would): disabled, then enabled again."""
    teachers = admin.call("GET", "/api/users?role=teacher")["users"]
    user_id = next(u["id"] for u in teachers if u["username"] == username)
    admin.call("PATCH", f"/api/users/{user_id}", json={"active": False})
    admin.call("PATCH", f"/api/users/{user_id}", json={"active": True})


def test_a_session_ending_mid_copy_loses_no_edit(page: Page, platform_url: str):
    admin, exam, copies = dispatched_exam(platform_url, [("DURAND", "Léa")])
    copy_id = copies[0]["id"]
    leaf = exam["marking_scheme"]["nodes"][0]["children"][0]["id"]
    desk = f"{platform_url}/teacher/copies/{copy_id}"

    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/teacher$"))
    page.goto(desk)
    expect(page.get_by_test_id("page-image")).to_be_visible()
    expect(page.get_by_test_id("readonly-banner")).to_have_count(0)
    score = page.locator(f'[data-testid="score-input"][data-node-id="{leaf}"]')
    expect(score).to_be_editable()  # the lock is ours: the desk has finished opening the copy

    end_sessions_of(admin, "teacher1")  # mid-copy: the next request of the desk is refused
    page.locator(f'[data-testid="score-input"][data-node-id="{leaf}"]').fill("3,5")
    page.locator(f'[data-testid="remark-input"][data-node-id="{leaf}"]').fill(REMARK)

    expect(page.get_by_test_id("session-expired")).to_contain_text("Votre session a expiré", timeout=20_000)
    assert "expired=1" in page.url and copy_id in page.url  # ?next= names the copy

    sign_in_again(page)

    expect(page).to_have_url(desk)
    score = page.locator(f'[data-testid="score-input"][data-node-id="{leaf}"]')
    expect(score).to_have_value(re.compile(r"^3[,.]5$"))
    expect(page.locator(f'[data-testid="remark-input"][data-node-id="{leaf}"]')).to_have_value(REMARK)
    expect(page.get_by_test_id("readonly-banner")).to_have_count(0)

    teacher = ApiClient(platform_url, "teacher1")
    draft = teacher.call("GET", f"/api/copies/{copy_id}/draft")["payload"]
    assert draft["scores"][leaf] == 3.5
    assert draft["remarks"][leaf] == REMARK
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('korrigo:kept-draft:'))") == []


def test_a_session_ending_on_the_question_desk_loses_no_rubric_choice(page: Page, platform_url: str):
    from tests.e2e.test_question_grading import question_exam

    admin, exam, (q1, _q2), copies, items = question_exam(platform_url, [("BERNARD", "Inès")])
    copy_id = copies[0]["id"]
    desk = f"{platform_url}/teacher/exams/{exam['id']}/questions/{q1}?copy={copy_id}"

    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/teacher$"))
    page.goto(desk)
    expect(page.get_by_test_id("rubric-item").first).to_be_enabled()  # the question lock is ours

    end_sessions_of(admin, "teacher1")
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.get_by_test_id("question-remark").fill(REMARK)
    expect(page.get_by_test_id("question-score")).to_have_text("1,5 / 4")
    page.get_by_test_id("question-save").click()

    expect(page.get_by_test_id("session-expired")).to_contain_text("Votre session a expiré", timeout=20_000)
    sign_in_again(page)

    expect(page).to_have_url(re.compile(f"copy={copy_id}"))
    expect(page.get_by_test_id("question-kept-notice")).to_contain_text("ont été reprises")
    expect(page.get_by_test_id("question-score")).to_have_text("1,5 / 4")
    expect(page.get_by_test_id("question-remark")).to_have_value(REMARK)
    expect(page.get_by_test_id("rubric-item").first).to_be_enabled()
    page.get_by_test_id("question-save").click()
    expect(page.get_by_test_id("question-kept-notice")).to_have_count(0)

    teacher = ApiClient(platform_url, "teacher1")
    saved = teacher.call("GET", f"/api/copies/{copy_id}/questions/{q1}")["score"]
    assert sorted(saved["rubric_item_ids"]) == sorted([items["Méthode juste"], items["Erreur de signe"]])
    assert (saved["score"], saved["remark"]) == (1.5, REMARK)
    kept = "Object.keys(localStorage).filter(k => k.startsWith('korrigo:kept-question:'))"
    assert page.evaluate(kept) == []
