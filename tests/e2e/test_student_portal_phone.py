"""The student portal on a phone (390 × 844, French): one card per result, nothing clipped.

The API's answers for a signed-in pupil with two released results are served by the browser
(``page.route``): the point is the layout of the real SPA in Chromium, not the data path (the whole
journey test covers it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

STUDENT = {
    "id": "s1",
    "username": "zoe.lefevre@college.example.org",
    "email": "zoe.lefevre@college.example.org",
    "role": "student",
    "kind": "student",
    "must_change_password": False,
    "first_name": "Zoé",
    "last_name": "LEFÈVRE",
}


def result(copy_id: str, exam: str, date: str, total: float, max_points: float) -> dict:
    return {
        "id": copy_id,
        "exam_id": f"exam-{copy_id}",
        "exam_name": exam,
        "subject": "Mathématiques",
        "date": date,
        "anonymous_id": "7F3A-001",
        "total": total,
        "max_points": max_points,
        "questions": [],
        "appreciation": "",
        "released_at": "2026-06-20T08:00:00Z",
    }


LONG_NAME = "Contrôle commun de mathématiques — fonctions affines et statistiques"
RESULTS = [
    result("c1", LONG_NAME, "2026-06-12", 14.5, 20),
    result("c2", "Devoir surveillé n° 3", "2026-05-02", 9.25, 10),
]


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A French phone-sized page whose API answers are those of a signed-in pupil."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def answer(route: Route) -> None:
        path = route.request.url.split("?")[0].split("/api", 1)[1]
        bodies = {
            "/me": {"user": STUDENT, "csrf_token": "token"},
            "/students/me/copies": {"copies": RESULTS},
        }
        if path in bodies:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(bodies[path]))
        else:
            missing = json.dumps({"error": {"code": "not_found", "message": "Not found."}})
            route.fulfill(status=404, content_type="application/json", body=missing)

    page.route("**/api/**", answer)
    yield page
    context.close()


def test_the_results_are_cards_that_fit_a_phone(phone: Page, platform_url: str):
    phone.goto(f"{platform_url}/student")
    expect(phone.get_by_test_id("dashboard-title")).to_have_text("Mes résultats")
    cards = phone.get_by_test_id("result-row")
    expect(cards).to_have_count(2)
    expect(phone.get_by_test_id("results-table")).to_have_count(0)
    expect(cards.nth(0).get_by_test_id("result-total")).to_contain_text("14,5 / 20")
    expect(cards.nth(1).get_by_test_id("result-total")).to_contain_text("9,25 / 10")
    expect(cards.nth(0).get_by_test_id("result-date")).to_have_text("12 juin 2026")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    for index in range(2):
        for part in ("result-link", "result-total", "result-download"):
            box = cards.nth(index).get_by_test_id(part).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (index, part, box)
    expect(cards.nth(0).get_by_test_id("result-download")).to_have_text("Télécharger la copie")
