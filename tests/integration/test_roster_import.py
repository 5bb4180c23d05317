"""A roster of 1,000 new students through the real event path: API 202 → S3 jobs/ → SQS → the accounts
function (driven by the local pump) → progress on the job → the one-time credentials sheet; a re-import
that renames a student asks first, and applies the rename once confirmed."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from typing import Any

import pytest

from tests.integration.conftest import account

pytestmark = pytest.mark.slow

STUDENTS = 1000


@pytest.fixture(scope="module")
def admin(api) -> dict[str, str]:
    return account(api, "roster-admin")


def get(api, admin, path: str) -> dict[str, Any]:
    response = api.http.get(path, headers=admin)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def run_job(api, admin, exam_id: str, job_id: str, seen: list[int] | None = None,
            timeout: float = 900) -> dict[str, Any]:
    """Pump the accounts queue through the real handler until the job is finished; the job's last view."""
    from chalicelib.resources import EVENT_ROUTES
    from functions import accounts
    from infra.local.pump import QueuePump

    route = next(route for route in EVENT_ROUTES if route.function == "accounts")
    stop = threading.Event()
    pump = QueuePump(route, accounts.handler, stop, wait_seconds=1)

    def run_pump() -> None:
        while not stop.is_set():
            pump.poll_once()

    worker = threading.Thread(target=run_pump, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            job = get(api, admin, f"/api/exams/{exam_id}/account-jobs/{job_id}")
            if seen is not None:
                seen.append(job["processed"])
            if job["status"] in ("DONE", "FAILED") or time.monotonic() > deadline:
                return job
            time.sleep(0.2 if seen is None else 1)
    finally:
        stop.set()
        worker.join(timeout=60)


def roster_csv() -> str:
    lines = ["Élèves;Né(e) le;Adresse E-mail;Classe;Groupe"]
    for i in range(STUDENTS):
        # Every tenth pupil has no e-mail: a generated sign-in id instead.
        email = "" if i % 10 == 0 else f"eleve{i}@college.example.org"
        lines.append(f"NOM{i:04d} Prénom;{1 + i % 28:02d}/0{1 + i % 9}/2011;{email};3B;G1")
    return "\r\n".join(lines) + "\r\n"


def test_a_thousand_new_students_import_as_a_job_and_their_sheet_downloads(api, admin, empty_route_queues):
    from chalicelib.models.students import Student
    from chalicelib.services import passwords

    exam = json.loads(api.http.post("/api/exams", headers=admin, body=json.dumps(
        {"name": "Brevet blanc", "date": "2026-12-01", "upload_mode": "INDIVIDUAL"})).body)
    started = time.monotonic()
    response = api.http.post(f"/api/exams/{exam['id']}/roster", headers={**admin, "Content-Type": "text/csv"},
                             body=roster_csv().encode())
    answered = time.monotonic() - started
    accepted = json.loads(response.body)
    assert response.status_code == 202, response.body
    assert (accepted["status"], accepted["total"], accepted["errors"]) == ("PENDING", STUDENTS, [])

    seen: list[int] = []
    job = run_job(api, admin, exam["id"], accepted["job_id"], seen)
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


def test_a_reimport_that_renames_a_student_asks_first_and_applies_the_confirmed_rename(
        api, admin, empty_route_queues):
    from chalicelib.models.audit import AuditEvent
    from chalicelib.models.students import Student

    exam = json.loads(api.http.post("/api/exams", headers=admin, body=json.dumps(
        {"name": "Bac blanc", "date": "2026-12-02", "upload_mode": "INDIVIDUAL"})).body)
    csv_headers = {**admin, "Content-Type": "text/csv"}
    path = f"/api/exams/{exam['id']}/roster"
    first = ("Nom;Prénom;Classe;Courriel\r\nDupont;Marie;1G2;marie.dupont@lycee.example.org\r\n"
             "Dupont;Marie;1G3;marie.dupont2@lycee.example.org\r\n").encode("cp1252")
    accepted = json.loads(api.http.post(path, headers=csv_headers, body=first).body)
    assert run_job(api, admin, exam["id"], accepted["job_id"], timeout=120)["created"] == 2
    marie = next(s for s in Student.scan() if s.email == "marie.dupont@lycee.example.org")

    renamed = first.replace(b"Dupont;Marie;1G2", b"Dupont-Martin;Marie;1G2")
    asked = api.http.post(path, headers=csv_headers, body=renamed)
    body = json.loads(asked.body)
    assert asked.status_code == 409 and body["error"]["reason"] == "roster_renames_unconfirmed"
    assert [(r["student_id"], r["old"]["last_name"], r["new"]["last_name"]) for r in body["renames"]] == [
        (marie.id, "Dupont", "Dupont-Martin")]
    assert Student.get(marie.id, consistent_read=True).last_name == "Dupont"

    confirmed = api.http.post(f"{path}?confirm_renames={body['confirm_token']}", headers=csv_headers,
                              body=renamed)
    assert confirmed.status_code == 202, confirmed.body
    done = run_job(api, admin, exam["id"], json.loads(confirmed.body)["job_id"], timeout=120)
    assert (done["status"], done["created"], done["updated"]) == ("DONE", 0, 2)
    names = sorted((s.last_name, s.email) for s in Student.scan() if "@lycee." in (s.email or ""))
    assert names == [("Dupont", "marie.dupont2@lycee.example.org"),
                     ("Dupont-Martin", "marie.dupont@lycee.example.org")]  # namesakes never merged
    [event] = [e for e in AuditEvent.scan() if e.action == "roster.student_renamed"]
    assert (event.metadata["old_name"], event.metadata["new_name"]) == ("Dupont Marie", "Dupont-Martin Marie")
