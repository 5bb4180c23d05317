"""A person signs in from the browser and lands on their role's dashboard; the sign-in pages are in
French and log no error in the console."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_demo_admin_signs_in_and_sees_the_admin_dashboard(page: Page, platform_url: str):
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text("admin")
    page.reload()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin$"))


def test_wrong_password_shows_a_generic_error_and_stays_on_the_login_page(page: Page, platform_url: str):
    sign_in(page, platform_url, "teacher2", "not-the-password-123")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    assert page.url.startswith(f"{platform_url}/login")


def test_teacher_lands_on_the_teacher_dashboard_and_cannot_open_admin_pages(page: Page, platform_url: str):
    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/teacher$"))
    page.goto(f"{platform_url}/admin/users")
    expect(page).to_have_url(re.compile(r"/teacher$"))
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_signing_out_returns_to_the_login_page_and_protects_the_dashboard(page: Page, platform_url: str):
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.goto(f"{platform_url}/admin")
    expect(page.get_by_test_id("login-username")).to_be_visible()


def test_the_sign_in_pages_are_french_and_log_no_console_error(page: Page, platform_url: str):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    refused: list[str] = []  # which request a console "Failed to load resource" was about
    page.on("response",
            lambda r: refused.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None)

    page.goto(f"{platform_url}/login")
    expect(page.get_by_test_id("login-submit")).to_have_text("Se connecter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion du personnel")
    page.get_by_test_id("to-student-login").click()
    expect(page.get_by_test_id("student-login-submit")).to_have_text("Se connecter")
    page.goto(f"{platform_url}/student/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion élève")
    page.wait_for_load_state("networkidle")
    assert errors == [], refused

    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/teacher$"))
    ends = page.evaluate("fetch('/api/me').then(r => r.headers.get('X-Session-Expires'))")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ends or ""), ends  # the warning's clock
    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == [], refused
