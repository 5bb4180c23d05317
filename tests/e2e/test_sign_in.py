"""A person signs in from the browser and lands on their role's dashboard."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_demo_admin_signs_in_and_sees_the_admin_dashboard(page: Page, platform_url: str):
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Admin dashboard")
    expect(page.get_by_test_id("current-user")).to_contain_text("admin")
    page.reload()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Admin dashboard")


def test_wrong_password_shows_a_generic_error_and_stays_on_the_login_page(page: Page, platform_url: str):
    sign_in(page, platform_url, "teacher2", "not-the-password-123")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    assert page.url.startswith(f"{platform_url}/login")


def test_teacher_lands_on_the_teacher_dashboard_and_cannot_open_admin_pages(page: Page, platform_url: str):
    sign_in(page, platform_url, "teacher1", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Teacher dashboard")
    page.goto(f"{platform_url}/admin/users")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Teacher dashboard")


def test_signing_out_returns_to_the_login_page_and_protects_the_dashboard(page: Page, platform_url: str):
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.goto(f"{platform_url}/admin")
    expect(page.get_by_test_id("login-username")).to_be_visible()
