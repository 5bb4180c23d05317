"""Browser end-to-end tests: the real platform (``python -m infra.local.dev``) and Debian's Chromium."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from infra.local.launcher import LaunchError, LocalPlatform

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KORRIGO_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "Korrigo-demo-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def platform_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole local platform with its demo data, on free ports, stopped at the end."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The SPA is not built: run `make e2e` (it builds frontend/dist first).")
    platform = LocalPlatform(tmp_path_factory.mktemp("platform"))
    try:
        platform.start()
    except LaunchError as error:
        pytest.fail(f"make dev did not start: {error}")
    try:
        yield platform.url
    finally:
        platform.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page per test."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class ApiClient:
    """A signed-in HTTP client of the running platform (for setting the scene quickly)."""

    def __init__(self, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
        import requests

        self.base_url, self.http = base_url, requests.Session()
        response = self.http.post(
            f"{base_url}/api/login", json={"username": username, "password": password}, timeout=30
        )
        response.raise_for_status()
        self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        self.user = response.json()["user"]

    def call(self, method: str, path: str, expected: int = 200, **kwargs):
        response = self.http.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        return (
            response.json()
            if response.content and "json" in response.headers.get("Content-Type", "")
            else response
        )

    def upload(self, exam_id: str, data: bytes) -> str:
        import requests

        post = self.call(
            "POST", f"/api/exams/{exam_id}/uploads", 201, json={"filename": "scan.pdf", "size": len(data)}
        )
        response = requests.post(
            post["url"],
            data=post["fields"],
            files={"file": ("scan.pdf", data, "application/pdf")},
            timeout=60,
        )
        assert response.status_code in (200, 201, 204), response.text
        return post["upload_id"]

    def import_roster(self, exam_id: str, names: list[tuple[str, str]], class_name: str = "3A") -> None:
        """Import a Pronote roster of ``names`` and wait for its job (the pump runs the accounts function)."""
        rows = "".join(
            f"{last} {first};01/02/2011;{first.lower()}.{last.lower()}@college.example.org;{class_name};G1\n"
            for last, first in names
        )
        job = self.call(
            "POST",
            f"/api/exams/{exam_id}/roster",
            202,
            data=("Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\n" + rows).encode(),
            headers={"Content-Type": "text/csv"},
        )["job_id"]
        progress = f"/api/exams/{exam_id}/account-jobs/{job}"
        self.wait_for(lambda: self.call("GET", progress)["status"] == "DONE")

    def wait_for(self, check, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError("the platform did not get there in time")


def dispatched_exam(
    base_url: str, names: list[tuple[str, str]], teacher: str = "teacher1", pages_per_copy: int = 2
) -> tuple[ApiClient, dict, list[dict]]:
    """Through the API: an exam with a scheme and roster, a processed scan, identified and dispatched."""
    from tests.support.scans import make_scan

    admin = ApiClient(base_url, "admin")
    exam = admin.call(
        "POST",
        "/api/exams",
        201,
        json={
            "name": f"Devoir {time.time_ns()}",
            "subject": "Mathématiques",
            "date": "2026-11-25",
            "upload_mode": "BATCH",
            "pages_per_copy": pages_per_copy,
        },
    )
    admin.call(
        "PUT",
        f"/api/exams/{exam['id']}/marking-scheme",
        json={
            "nodes": [
                {
                    "label": "Exercice 1",
                    "children": [{"label": "a)", "points": 4}, {"label": "b)", "points": 6}],
                },
                {"label": "Exercice 2", "points": 10},
            ]
        },
    )
    admin.import_roster(exam["id"], names, class_name="3B")
    upload_id = admin.upload(exam["id"], make_scan(names, pages_per_copy=pages_per_copy, seed=11))
    admin.wait_for(
        lambda: admin.call("GET", f"/api/exams/{exam['id']}/uploads/{upload_id}")["status"] == "DONE"
    )
    students = {
        (s["last_name"], s["first_name"]): s["id"]
        for s in admin.call("GET", f"/api/exams/{exam['id']}/students")["students"]
    }
    from chalicelib.services.scans import copy_id_for

    queued = {entry["id"] for entry in admin.call("GET", f"/api/exams/{exam['id']}/identification")["copies"]}
    for position, name in enumerate(names):  # anonymous ids are a permutation: the scan position says who
        copy_id = copy_id_for(upload_id, position)
        assert copy_id in queued
        admin.call("POST", f"/api/copies/{copy_id}/identify", json={"student_id": students[name]})
    teacher_id = next(
        u["id"] for u in admin.call("GET", "/api/users?role=teacher")["users"] if u["username"] == teacher
    )
    admin.call("PUT", f"/api/exams/{exam['id']}/teachers", json={"teacher_ids": [teacher_id]})
    admin.call("POST", f"/api/exams/{exam['id']}/dispatch", json={})
    copies = admin.call("GET", f"/api/exams/{exam['id']}/copies")["copies"]
    return admin, admin.call("GET", f"/api/exams/{exam['id']}"), copies
