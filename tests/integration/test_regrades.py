"""A regrade request end to end against the local endpoint: a copy graded and rendered for real, the
exam released, the student asks about one question, the teacher answers with a new score, the copy is
rendered again, and the student sees the new score in the portal and in the downloaded PDF."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pymupdf
import pytest

from tests.integration.conftest import account
from tests.integration.test_grading import RenderPump, grade, graded_copy_setup, request

pytestmark = pytest.mark.slow
STUDENT_PASSWORD = "Violet-Harbour-Cedar-57"


@pytest.fixture(scope="module")
def render_pump(provisioned) -> RenderPump:
    return RenderPump()


@pytest.fixture(scope="module")
def teacher(api) -> dict[str, str]:
    return account(api, "regrade-grader", "teacher")


@pytest.fixture(scope="module")
def teacher_id(teacher) -> str:
    from chalicelib.services import auth

    return auth.find_staff("regrade-grader").id


def enrolled_student(copy_id: str) -> str:
    """A student with a password who can sign in, identified on the copy; their email."""
    from chalicelib.models.copies import Copy
    from chalicelib.models.students import Enrolment, Student
    from chalicelib.models.users import UniqueValue
    from chalicelib.services import passwords

    student_id = uuid.uuid4().hex
    email = f"lucas.{student_id[:8]}@college.example.org"
    Student(
        student_id,
        last_name="MARTIN",
        first_name="Lucas",
        email=email,
        identity_key=f"MARTIN|Lucas|{student_id}",
        birth_date="2011-04-03",
        password_hash=passwords.hash_password(STUDENT_PASSWORD),
        must_change_password=False,
    ).save()
    UniqueValue(f"student-email#{email}", owner_id=student_id).save()
    copy = Copy.get(copy_id)
    Enrolment(copy.exam_id, student_id).save()
    copy.update(actions=[Copy.student_id.set(student_id)])
    return email


def student_session(api, email: str) -> dict[str, str]:
    response = api.http.post(
        "/api/students/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": email, "password": STUDENT_PASSWORD}),
    )
    assert response.status_code == 200, response.body
    return {
        "Content-Type": "application/json",
        "Cookie": response.headers["Set-Cookie"].split(";")[0],
        "X-CSRF-Token": json.loads(response.body)["csrf_token"],
    }


def summary_text(pdf: bytes) -> str:
    """The text of the final PDF's last page (the score summary)."""
    return pymupdf.open(stream=pdf, filetype="pdf")[-1].get_text()


def test_a_regrade_answered_with_a_new_score_reaches_the_students_portal_and_pdf(
    api, teacher, teacher_id, render_pump
):
    from chalicelib.models.audit import AuditEvent
    from chalicelib.models.copies import Copy

    copy_id, _ = graded_copy_setup(teacher_id)  # q1 /8, q2 /12
    email = enrolled_student(copy_id)
    token = grade(api, teacher, copy_id)  # q1 6,5 + q2 9 = 15,5
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)[0] == 202
    assert render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})["status"] == "GRADED"
    exam_id = Copy.get(copy_id).exam_id
    admin = account(api, "regrade-admin", "admin")
    assert request(api, admin, "POST", f"/api/exams/{exam_id}/release", {})[0] == 200
    student = student_session(api, email)
    _, before = request(api, student, "GET", f"/api/students/me/copies/{copy_id}")
    assert before["total"] == 15.5

    status, filed = request(
        api, student, "POST", f"/api/students/me/copies/{copy_id}/regrades",
        {"question_id": "q1", "message": "Ma démonstration de la question 1 est complète."},
    )
    assert status == 201 and filed["status"] == "OPEN" and filed["score_before"] == 6.5
    status, _ = request(api, student, "POST", f"/api/students/me/copies/{copy_id}/regrades",
                        {"question_id": "q1", "message": "Encore ?"})
    assert status == 409

    _, queue = request(api, teacher, "GET", "/api/regrades?status=OPEN")
    mine = [r for r in queue["requests"] if r["copy_id"] == copy_id]
    assert len(mine) == 1 and "student_name" not in mine[0] and "MARTIN" not in json.dumps(queue)
    status, detail = request(api, teacher, "GET", f"/api/regrades/{copy_id}/q1")
    assert status == 200 and detail["score"] == {"score": 6.5} and detail["page"]["url"]
    status, answered = request(
        api, teacher, "POST", f"/api/regrades/{copy_id}/q1/answer",
        {"version": detail["version"], "score": 8,
         "answer": "Vous avez raison : la démonstration est complète."},
    )
    assert status == 200 and answered["status"] == "ANSWERED"
    assert (answered["score_before"], answered["score_after"]) == (6.5, 8)

    rendered = render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})
    assert rendered["status"] == "GRADED" and rendered["grading_attempts"] == 2

    _, portal = request(api, student, "GET", "/api/students/me/copies")
    listed = next(copy for copy in portal["copies"] if copy["id"] == copy_id)
    assert listed["total"] == 17
    _, result = request(api, student, "GET", f"/api/students/me/copies/{copy_id}")
    assert result["total"] == 17 and result["questions"][0]["score"] == 8
    _, regrades = request(api, student, "GET", f"/api/students/me/copies/{copy_id}/regrades")
    assert regrades["requests"][0]["answer"] == "Vous avez raison : la démonstration est complète."
    assert regrades["requests"][0]["score_after"] == 8
    assert [q["score"] for q in regrades["questions"]] == [8, 9]

    status, link = request(api, student, "GET", f"/api/students/me/copies/{copy_id}/download")
    assert status == 200
    with urllib.request.urlopen(link["url"], timeout=30) as response:  # noqa: S310 - the local endpoint
        text = summary_text(response.read())
    assert "Total : 17 / 20" in text and "15,5" not in text

    actions = [event.action for event in AuditEvent.copy_index.query(copy_id)]
    assert {"regrade.request", "regrade.answer"} <= set(actions)
    assert actions.count("copy.graded") == 2
