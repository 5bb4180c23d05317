"""Logs hold no secrets: a whole journey on the real local platform, then every log is searched.

The platform is ``python -m infra.local.dev`` on free ports (as ``make dev`` runs it): the emulator, the
API, the pump and the gateway each write ``<state dir>/*.log``. The journey signs in (staff and student,
failures included), imports a roster (job) and downloads its credentials, uploads a scan (→ DONE),
identifies, dispatches, grades, finalises (→ GRADED), releases, downloads the student's copy and resets
passwords (an admin's reset of a student through a one-time credentials link, the student's change).
Every password, session cookie, CSRF token, initial password, credentials-link token and pre-signed
signature it met is then looked for in every log file and in the runner's console.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.launcher import LocalPlatform
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO_PASSWORD = "Log-Redaction-Demo-7531"  # printed on the console on purpose: looked for in the logs only
NAMES = [("MARTIN", "Lucas"), ("DUPONT", "Élodie")]


class Secrets:
    """Every secret the journey handles, to be looked for in the logs afterwards."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, what: str, value: str | None) -> None:
        assert value, f"the journey met no {what}"
        self.values[value] = what

    def from_response(self, what: str, response: requests.Response) -> None:
        """The session cookie a response sets, and the CSRF token it returns."""
        for cookie in response.cookies:
            if cookie.name == "korrigo_session" and cookie.value:
                self.add(f"{what}'s session cookie", cookie.value)
        body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        if isinstance(body, dict) and body.get("csrf_token"):
            self.add(f"{what}'s CSRF token", body["csrf_token"])

    def from_signed_url(self, what: str, url: str) -> None:
        """The signature of a pre-signed URL (the ``X-Amz-Signature=`` marker itself is looked for too)."""
        match = re.search(r"X-Amz-Signature=([0-9a-f]+)", url)
        assert match, url
        self.add(f"the signature of {what}", match.group(1))


class Client:
    """One browser-like caller of the gateway: cookies kept, the CSRF token sent back."""

    def __init__(self, base_url: str, secrets: Secrets) -> None:
        self.base_url, self.secrets, self.http = base_url, secrets, requests.Session()

    def call(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        if response.content and "json" in response.headers.get("Content-Type", ""):
            return response.json()
        return response

    def sign_in(self, who: str, path: str, body: dict[str, str], expected: int = 200) -> Any:
        response = self.http.post(f"{self.base_url}{path}", json=body, timeout=30)
        assert response.status_code == expected, (path, response.status_code, response.text)
        if expected == 200:
            self.secrets.from_response(who, response)
            self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return response.json()

    def refresh_csrf(self, who: str) -> None:
        """After a password change: the new session's CSRF token (from /api/me)."""
        for cookie in self.http.cookies:
            if cookie.name == "korrigo_session":
                self.secrets.add(f"{who}'s new session cookie", cookie.value)
        token = self.call("GET", "/api/me")["csrf_token"]
        self.secrets.add(f"{who}'s new CSRF token", token)
        self.http.headers["X-CSRF-Token"] = token

    def fetch(self, url: str) -> bytes:
        """A pre-signed read through the gateway's /storage."""
        response = requests.get(url, timeout=60)
        assert response.status_code == 200, (url, response.status_code, response.text)
        return response.content


def eventually(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    return wait_until(check, timeout, what, interval=0.5)


def sheet(data: bytes) -> dict[str, str]:
    """A credentials sheet: sign-in → initial password."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
    return {row["sign_in"]: row["initial_password"] for row in rows}


# --- the journey ---------------------------------------------------------------------------------------

def journey(base_url: str, secrets: Secrets) -> None:
    from chalicelib.services.scans import copy_id_for
    from tests.support.scans import make_scan

    secrets.add("the demo password", DEMO_PASSWORD)
    admin = Client(base_url, secrets)
    wrong_staff = "Wrong-Staff-Password-8642"
    secrets.add("a mistyped staff password", wrong_staff)
    admin.sign_in("admin", "/api/login", {"username": "admin", "password": wrong_staff}, expected=401)
    admin.sign_in("admin", "/api/login", {"username": "admin", "password": DEMO_PASSWORD})

    exam = admin.call("POST", "/api/exams", 201, json={
        "name": f"Redaction {time.time_ns()}", "subject": "Maths", "date": "2026-11-25",
        "upload_mode": "BATCH", "pages_per_copy": 1})
    exam_id = exam["id"]
    admin.call("PUT", f"/api/exams/{exam_id}/marking-scheme",
               json={"nodes": [{"id": "q1", "label": "Exercice 1", "points": 20}]})
    teacher_id = next(u["id"] for u in admin.call("GET", "/api/users?role=teacher")["users"]
                      if u["username"] == "teacher1")
    admin.call("PUT", f"/api/exams/{exam_id}/teachers", json={"teacher_ids": [teacher_id]})

    # roster import (a job) and its one-time credentials sheet
    rows = "".join(f"{last} {first};01/02/2011;{first.lower()}.{last.lower()}@college.example.org;3B;G1\n"
                   for last, first in NAMES)
    job = admin.call("POST", f"/api/exams/{exam_id}/roster", 202, headers={"Content-Type": "text/csv"},
                     data=("Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\n" + rows).encode())
    progress = f"/api/exams/{exam_id}/account-jobs/{job['job_id']}"
    done = eventually(lambda: (p := admin.call("GET", progress))["status"] == "DONE" and p, "the import")
    initial = sheet(admin.call("GET", done["credentials_csv_url"]).content)
    assert len(initial) == len(NAMES)
    for password in initial.values():
        secrets.add("an initial password", password)

    # scan upload (a pre-signed POST through /storage) → DONE, identification, dispatch
    scan = make_scan(NAMES, pages_per_copy=1, seed=3)
    post = admin.call("POST", f"/api/exams/{exam_id}/uploads", 201,
                      json={"filename": "scan.pdf", "size": len(scan)})
    secrets.add("the upload policy's signature", post["fields"]["x-amz-signature"])
    uploaded = requests.post(post["url"], data=post["fields"],
                             files={"file": ("scan.pdf", scan, "application/pdf")}, timeout=60)
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    upload_path = f"/api/exams/{exam_id}/uploads/{post['upload_id']}"
    eventually(lambda: admin.call("GET", upload_path)["status"] == "DONE", "the scan's processing")
    students = {(s["last_name"], s["first_name"]): s for s in
                admin.call("GET", f"/api/exams/{exam_id}/students")["students"]}
    for position, name in enumerate(NAMES):
        admin.call("POST", f"/api/copies/{copy_id_for(post['upload_id'], position)}/identify",
                   json={"student_id": students[name]["id"]})
    admin.call("POST", f"/api/exams/{exam_id}/dispatch", json={})

    # grading and finalise → GRADED, the teacher's signed link to the final PDF
    teacher = Client(base_url, secrets)
    teacher.sign_in("teacher1", "/api/login", {"username": "teacher1", "password": DEMO_PASSWORD})
    copy_id = copy_id_for(post["upload_id"], 0)
    lock = teacher.call("POST", f"/api/copies/{copy_id}/lock", 201)
    secrets.add("a grading lock token", lock["token"])
    headers = {"X-Lock-Token": lock["token"]}
    teacher.call("PUT", f"/api/copies/{copy_id}/scores", json={"scores": {"q1": 15}}, headers=headers)
    teacher.call("POST", f"/api/copies/{copy_id}/finalize", 202, json={}, headers=headers)
    eventually(lambda: teacher.call("GET", f"/api/copies/{copy_id}")["status"] == "GRADED", "GRADED")
    link = teacher.call("GET", f"/api/copies/{copy_id}/final-pdf")["url"]
    secrets.from_signed_url("the teacher's final-PDF link", link)
    assert teacher.fetch(link).startswith(b"%PDF")
    admin.call("POST", f"/api/exams/{exam_id}/release", json={})

    # the student: a failure, the first sign-in, the forced change, the download
    lucas = students[NAMES[0]]
    sign_in_id = lucas["email"] or lucas["login_id"]
    student = Client(base_url, secrets)
    wrong_student = "Wrong-Student-Password-9753"
    secrets.add("a mistyped student password", wrong_student)
    student.sign_in("student", "/api/students/login", {"email": sign_in_id, "password": wrong_student}, 401)
    first = student.sign_in("student", "/api/students/login",
                            {"email": sign_in_id, "password": initial[sign_in_id]})
    assert first["must_change_password"] is True
    chosen = "Violet-Orchard-Lantern-42"
    secrets.add("the student's chosen password", chosen)
    student.call("POST", "/api/students/me/password", 204,
                 json={"current_password": initial[sign_in_id], "new_password": chosen})
    student.refresh_csrf("student")
    [mine] = student.call("GET", "/api/students/me/copies")["copies"]
    download = student.call("GET", f"/api/students/me/copies/{mine['id']}/download")["url"]
    secrets.from_signed_url("the student's download link", download)
    assert student.fetch(download).startswith(b"%PDF")

    # an admin resets the student's password: a one-time credentials link, then a new first sign-in
    reset = admin.call("POST", f"/api/students/{lucas['id']}/reset-password", json={})
    token = reset["credentials_csv_url"].rsplit("/", 1)[1]
    secrets.add("the credentials link's token", token)
    renewed = sheet(admin.call("GET", reset["credentials_csv_url"]).content)[sign_in_id]
    secrets.add("the reset initial password", renewed)
    again = Client(base_url, secrets)
    again.sign_in("student (after reset)", "/api/students/login", {"email": sign_in_id, "password": renewed})


# --- the test -----------------------------------------------------------------------------------------

@pytest.fixture
def platform(tmp_path: Path) -> Iterator[LocalPlatform]:
    with LocalPlatform(tmp_path / "state", env={"KORRIGO_DEMO_PASSWORD": DEMO_PASSWORD}) as runner:
        yield runner


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    found = [f"{what} ({value[:6]}…)" for value, what in secrets.items() if value in text]
    if "X-Amz-Signature=" in text:
        found.append("a pre-signed URL's X-Amz-Signature=")
    return found


def test_a_whole_journey_leaves_no_secret_in_any_log(platform: LocalPlatform):
    secrets = Secrets()
    journey(f"http://127.0.0.1:{platform.port}", secrets)
    platform.stop()  # SIGTERM: every process flushes and closes its log

    log_files = sorted(path for path in platform.state_dir.rglob("*.log") if path.is_file())
    assert {path.name for path in log_files} >= {"emulator.log", "api.log", "pump.log", "gateway.log"}
    found = {path.name: leaks(path.read_text(errors="replace"), secrets.values) for path in log_files}
    assert "/api/credentials/" in (platform.state_dir / "api.log").read_text()  # the download was logged
    console = {value: what for value, what in secrets.values.items() if value != DEMO_PASSWORD}
    found["the runner's console"] = leaks(platform.output, console)
    assert {name: leaked for name, leaked in found.items() if leaked} == {}
