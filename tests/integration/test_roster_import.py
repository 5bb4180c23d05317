"""A roster of 1,000 new students through the real event path: API 202 → S3 jobs/ → SQS → the accounts
function (driven by the local pump) → progress on the job → the one-time credentials sheet."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from typing import Any

import pytest

pytestmark = pytest.mark.slow

STUDENTS = 1000
PASSWORD = "Granite-Harbor-Lamp-72"


@pytest.fixture(scope="module")
def api(provisioned: dict[str, Any]):
    from chalice.test import Client

    from tests.support.chalice_app import thread_safe_app

    with Client(thread_safe_app()) as client:
        yield client


@pytest.fixture(scope="module")
def admin(api) -> dict[str, str]:
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import users

    users.create_user(username="roster-admin", email="roster-admin@school.example.org", password=PASSWORD,
                      role=Role.ADMIN, must_change_password=False, actor=None, origin=Origin(ip="test"))
    response = api.http.post("/api/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"username": "roster-admin", "password": PASSWORD}))
    body = json.loads(response.body)
    return {"Cookie": response.headers["Set-Cookie"].split(";")[0], "X-CSRF-Token": body["csrf_token"],
            "Content-Type": "application/json"}


def get(api, admin, path: str) -> dict[str, Any]:
    response = api.http.get(path, headers=admin)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def roster_csv() -> str:
    lines = ["Élèves;Né(e) le;Adresse E-mail;Classe;Groupe"]
    for i in range(STUDENTS):
        # Every tenth pupil has no e-mail: a generated sign-in id instead.
        email = "" if i % 10 == 0 else f"eleve{i}@college.example.org"
        lines.append(f"NOM{i:04d} Prénom;{1 + i % 28:02d}/0{1 + i % 9}/2011;{email};3B;G1")
    return "\r\n".join(lines) + "\r\n"


def test_a_thousand_new_students_import_as_a_job_and_their_sheet_downloads(api, admin, empty_route_queues):
    from chalicelib.models.students import Student
    from chalicelib.resources import EVENT_ROUTES
    from chalicelib.services import passwords
    from functions import accounts
    from infra.local.pump import QueuePump

    exam = json.loads(api.http.post("/api/exams", headers=admin, body=json.dumps(
        {"name": "Brevet blanc", "date": "2026-12-01", "upload_mode": "INDIVIDUAL"})).body)
    started = time.monotonic()
    response = api.http.post(f"/api/exams/{exam['id']}/roster", headers={**admin, "Content-Type": "text/csv"},
                             body=roster_csv().encode())
    answered = time.monotonic() - started
    accepted = json.loads(response.body)
    assert response.status_code == 202, response.body
    assert (accepted["status"], accepted["total"], accepted["errors"]) == ("PENDING", STUDENTS, [])

    route = next(route for route in EVENT_ROUTES if route.function == "accounts")
    stop = threading.Event()
    pump = QueuePump(route, accounts.handler, stop, wait_seconds=1)

    def run_pump() -> None:
        while not stop.is_set():
            pump.poll_once()

    worker = threading.Thread(target=run_pump, daemon=True)
    worker.start()
    job_path = f"/api/exams/{exam['id']}/account-jobs/{accepted['job_id']}"
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 900
        while True:
            job = get(api, admin, job_path)
            seen.append(job["processed"])
            if job["status"] in ("DONE", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        stop.set()
        worker.join(timeout=60)
    took = time.monotonic() - started
    print(f"\nroster import of {STUDENTS} new students: API answered in {answered:.2f} s, "
          f"job DONE in {took:.1f} s ({took / STUDENTS * 1000:.0f} ms a student)")
    assert (job["status"], job["processed"], job["created"]) == ("DONE", STUDENTS, STUDENTS), job
    assert any(0 < value < STUDENTS for value in seen)  # progress was visible while it ran

    sheet = api.http.get(job["credentials_csv_url"], headers=admin)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/csv")
    text = sheet.body.decode("utf-8") if isinstance(sheet.body, bytes) else sheet.body
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == STUDENTS and len({row["sign_in"] for row in rows}) == STUDENTS
    assert api.http.get(job["credentials_csv_url"], headers=admin).status_code == 404

    students = {s.email or s.login_id: s for s in Student.scan()}
    by_email = next(row for row in rows if "@" in row["sign_in"])
    by_login = next(row for row in rows if "@" not in row["sign_in"])
    for row in (by_email, by_login, rows[-1]):
        assert passwords.verify_password(students[row["sign_in"]].password_hash, row["initial_password"])
