"""A whole journey through the HTTP API of a running ``make dev`` (the persistence and backup tests).

Admin: exam, marking scheme, teacher, roster job, scan upload → DONE, identification, dispatch;
teacher: lock, score, finalise → GRADED; then ``state`` reads back what a restart or a restore must keep.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Any

import requests

from tests.integration.test_dev_platform import DEMO_PASSWORD, Reply, Staff, call, login
from tests.support.scans import make_scan

ROSTER = ("last_name,first_name,email,class,group,student_number\n"
          "MARTIN,Léa,lea.martin@college.example.org,3B,G1,\n")


def _ok(reply, status: int = 200) -> Any:
    assert reply.status == status, (reply.status, reply.body[:500])
    return reply.json() if reply.body else None


def _poll(fetch, done, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s: {value}")
        time.sleep(0.3)


@dataclass
class Journey:
    exam_id: str
    copy_id: str
    node_id: str


def run_journey(port: int, name: str = "Histoire — interrogation 4") -> Journey:
    """Everything from an empty exam to a GRADED copy with its final PDF."""
    admin = login(port, "admin", DEMO_PASSWORD)
    exam = _ok(admin.call("POST", "/api/exams", {"name": name, "date": "2026-11-26", "subject": "Histoire",
                                                 "upload_mode": "BATCH", "pages_per_copy": 2}), 201)
    exam_id = exam["id"]
    scheme = _ok(admin.call("PUT", f"/api/exams/{exam_id}/marking-scheme",
                            {"nodes": [{"label": "Question unique", "points": 20}]}))
    node_id = scheme["nodes"][0]["id"]
    teacher_id = next(user["id"] for user in _ok(admin.call("GET", "/api/users?role=teacher"))["users"]
                      if user["username"] == "teacher1")
    _ok(admin.call("PUT", f"/api/exams/{exam_id}/teachers", {"teacher_ids": [teacher_id]}))

    job = _ok(_roster(admin, exam_id), 202)
    _poll(lambda: _ok(admin.call("GET", f"/api/exams/{exam_id}/account-jobs/{job['job_id']}")),
          lambda value: value["status"] in ("DONE", "FAILED"), 60, "the roster import")

    scan = make_scan([("MARTIN", "Léa")], pages_per_copy=2, seed=5)
    post = _ok(admin.call("POST", f"/api/exams/{exam_id}/uploads",
                          {"filename": "scan.pdf", "size": len(scan)}), 201)
    sent = requests.post(post["url"], data=post["fields"], timeout=60,
                         files={"file": ("scan.pdf", scan, "application/pdf")})
    assert sent.status_code in (200, 201, 204), sent.text
    upload = _poll(lambda: _ok(admin.call("GET", f"/api/exams/{exam_id}/uploads/{post['upload_id']}")),
                   lambda value: value["status"] in ("DONE", "FAILED"), 120, "the scan processing")
    assert upload["status"] == "DONE", upload

    copy_id = _ok(admin.call("GET", f"/api/exams/{exam_id}/copies"))["copies"][0]["id"]
    student_id = _ok(admin.call("GET", f"/api/exams/{exam_id}/students"))["students"][0]["id"]
    _ok(admin.call("POST", f"/api/copies/{copy_id}/identify", {"student_id": student_id}))
    _ok(admin.call("POST", f"/api/exams/{exam_id}/dispatch"))

    teacher = login(port, "teacher1", DEMO_PASSWORD)
    token = _ok(teacher.call("POST", f"/api/copies/{copy_id}/lock"), 201)["token"]
    headers = {"Cookie": teacher.cookie, "X-CSRF-Token": teacher.csrf, "X-Lock-Token": token}
    _ok(call(port, "PUT", f"/api/copies/{copy_id}/scores",
             {"scores": {node_id: 15.5}, "remarks": {node_id: "Bien"}, "appreciation": "Sérieux"}, headers))
    _ok(call(port, "POST", f"/api/copies/{copy_id}/finalize", None, headers), 202)
    _poll(lambda: _ok(admin.call("GET", f"/api/copies/{copy_id}"))["status"],
          lambda status: status in ("GRADED", "GRADING_FAILED"), 60, "the render")
    return Journey(exam_id, copy_id, node_id)


def _roster(admin: Staff, exam_id: str) -> Reply:
    """The roster as a CSV body (``call`` sends JSON only)."""
    connection = http.client.HTTPConnection("127.0.0.1", admin.port, timeout=30)
    try:
        connection.request("POST", f"/api/exams/{exam_id}/roster", body=ROSTER.encode(),
                           headers={"Cookie": admin.cookie, "X-CSRF-Token": admin.csrf,
                                    "Content-Type": "text/csv"})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def state(port: int, journey: Journey) -> dict[str, Any]:
    """What must survive: the exams, the exam's copies, the copy's scores and its final PDF's bytes."""
    admin = login(port, "admin", DEMO_PASSWORD)
    copy = _ok(admin.call("GET", f"/api/copies/{journey.copy_id}"))
    link = _ok(admin.call("GET", f"/api/copies/{journey.copy_id}/final-pdf"))["url"]
    pdf = requests.get(link, timeout=30)
    assert pdf.status_code == 200, pdf.status_code
    exams = _ok(admin.call("GET", "/api/exams"))["exams"]
    copies = _ok(admin.call("GET", f"/api/exams/{journey.exam_id}/copies"))["copies"]
    return {
        "exams": sorted((exam["id"], exam["name"]) for exam in exams),
        "copies": sorted((entry["id"], entry["status"], entry.get("anonymous_id")) for entry in copies),
        "scores": copy.get("scores"),
        "final_pdf": pdf.content,
        "history": [event.get("action") for event in
                    _ok(admin.call("GET", f"/api/copies/{journey.copy_id}/history")).get("events", [])],
    }
