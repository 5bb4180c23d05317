"""Personalised answer sheets through the API: admins only, one run at a time, 202 then a signed link."""

from __future__ import annotations

import json
import threading
from urllib.parse import unquote

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.sheets import Booklet, SheetJob
from chalicelib.models.students import Enrolment, Student
from tests.unit.routes.test_exams import create_exam


def enrol(exam_id: str, student_id: str, last: str, first: str) -> Student:
    student = Student(student_id, last_name=last, first_name=first, identity_key=f"{last}|{first}|")
    student.save()
    Enrolment(exam_id, student_id).save()
    return student


def ask(api, session, exam_id: str, body: object = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps({"extra_blank_booklets": 0} if body is None else body)
    return api.http.post(f"/api/exams/{exam_id}/sheets", headers=session.headers(), body=data)


def status(api, session, exam_id: str) -> dict:
    response = api.http.get(f"/api/exams/{exam_id}/sheets", headers=session.headers())
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def run_sheets() -> None:
    """What the sheets function does in AWS: every queued run input through the real handler."""
    from chalicelib.resources import EVENT_ROUTES
    from functions import sheets
    from infra.local.pump import QueuePump

    route = next(r for r in EVENT_ROUTES if r.function == "sheets")
    pump = QueuePump(route, sheets.handler, threading.Event(), wait_seconds=0)
    while pump.poll_once():
        pass


@pytest.fixture
def exam(api, admin) -> dict:
    exam = create_exam(api, admin)
    enrol(exam["id"], "st-martin", "Martin", "Léa")
    enrol(exam["id"], "st-dupont", "Dupont", "Élodie")
    return exam


def test_nothing_asked_yet_reads_none(api, admin, exam):
    assert status(api, admin, exam["id"]) == {"status": "NONE"}


def test_an_admin_queues_the_sheets_and_gets_the_link_once_printed(api, admin, exam):
    response = ask(api, admin, exam["id"], {"extra_blank_booklets": 2})
    assert response.status_code == 202, response.body
    assert json.loads(response.body)["status"] == "PENDING"
    assert status(api, admin, exam["id"])["status"] == "PENDING"
    [event] = [e for e in AuditEvent.scan() if e.action == "sheets.generate"]
    assert event.actor_id == admin.user_id and event.metadata["extra_blank_booklets"] == 2

    run_sheets()
    done = status(api, admin, exam["id"])
    assert (done["status"], done["pages"], done["booklets"]) == ("DONE", 16, 4)
    assert "X-Amz-Signature=" in done["url"] and "copies-maths-controle-3.pdf" in unquote(done["url"])
    booklets = {b.sheet_id: (b.student_id, b.number) for b in Booklet.query(exam["id"])}
    assert booklets == {"s001": ("st-dupont", None), "s002": ("st-martin", None),
                        "a001": (None, 1), "a002": (None, 2)}


def test_a_second_request_while_one_runs_is_a_conflict(api, admin, exam):
    assert ask(api, admin, exam["id"]).status_code == 202
    again = ask(api, admin, exam["id"])
    assert again.status_code == 409 and json.loads(again.body)["error"]["reason"] == "sheets_pending"
    run_sheets()
    assert ask(api, admin, exam["id"]).status_code == 202  # once printed, a new run may start


def test_only_admins_and_only_known_exams(api, admin, teacher, exam):
    assert ask(api, teacher, exam["id"]).status_code == 403
    assert api.http.get(f"/api/exams/{exam['id']}/sheets", headers=teacher.headers()).status_code == 403
    missing = ask(api, admin, "no-such-exam")
    assert missing.status_code == 404 and json.loads(missing.body)["error"]["reason"] == "exam_not_found"
    assert api.http.get("/api/exams/no-such-exam/sheets", headers=admin.headers()).status_code == 404
    assert SheetJob.count() == 0


@pytest.mark.parametrize("body", [
    {"extra_blank_booklets": -1},
    {"extra_blank_booklets": 201},
    {"extra_blank_booklets": "3"},
    {"extra_blank_booklets": 2.0},
    {"extra_blank_booklets": True},
    {"extra_blank_booklets": 1, "pages": 3},
    [1],
])
def test_bad_bodies_are_400(api, admin, exam, body):
    response = ask(api, admin, exam["id"], body)
    assert response.status_code == 400, response.body
    assert SheetJob.count() == 0


def test_an_exam_without_a_page_count_or_anything_to_print_is_refused(api, admin):
    individual = create_exam(api, admin, upload_mode="INDIVIDUAL", pages_per_copy=None)
    refused = ask(api, admin, individual["id"], {"extra_blank_booklets": 3})
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"]["reason"] == "sheets_need_page_count"
    empty = create_exam(api, admin)
    nothing = ask(api, admin, empty["id"])
    assert nothing.status_code == 409
    assert json.loads(nothing.body)["error"]["reason"] == "sheets_nothing_to_print"
    assert ask(api, admin, empty["id"], {"extra_blank_booklets": 3}).status_code == 202
