"""Regrade requests through the API: students file on their own released copies within the window, one
open request per question; the copy's teacher (or an admin) answers, possibly with a new score that
re-renders the copy; admins list every request of an exam with its state."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import RegradeRequest
from chalicelib.models.students import Enrolment
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_results import student, student_headers

SCHEME = {
    "nodes": [
        {"id": "q1", "label": "Question 1", "points": 8, "children": []},
        {"id": "q2", "label": "Question 2", "points": 12, "children": []},
    ]
}


def released_exam(teacher_ids: set[str], *, released_days_ago: float = 1, window: int = 7) -> str:
    """An exam with a two-question scheme, released ``released_days_ago`` days ago."""
    Exam(
        "exam-1",
        name="Physique — devoir 2",
        subject="Physique",
        date="2026-11-21",
        upload_mode="BATCH",
        pages_per_copy=2,
        marking_scheme=SCHEME,
        max_points=20,
        anonymous_prefix="K9QZ",
        teacher_ids=teacher_ids or None,
        released_at=utcnow() - timedelta(days=released_days_ago) if released_days_ago >= 0 else None,
        regrade_window_days=window,
    ).save()
    return "exam-1"


def graded_copy(copy_id: str, student_id: str, teacher_id: str | None, scores=(6.0, 9.0), status="GRADED"):
    """A graded copy of exam-1 with its score sheet, final PDF key and two pages (the first masked)."""
    Copy(
        copy_id,
        exam_id="exam-1",
        upload_id="u",
        anonymous_id=f"K9QZ-{copy_id}",
        status=status,
        page_count=2,
        student_id=student_id,
        teacher_id=teacher_id,
        grading_attempts=1,
        final_pdf_key=f"final/exam-1/{copy_id}/1.pdf",
        final_masked_pdf_key=f"final/exam-1/{copy_id}/1-masked.pdf",
        total=sum(scores),
    ).save()
    Enrolment("exam-1", student_id).save()
    ScoreSheet(
        copy_id,
        scores={"q1": scores[0], "q2": scores[1]},
        remarks={"q2": "Unités"},
        appreciation="Bien",
        total=sum(scores),
        version=1,
    ).save()
    for index in range(2):
        Page(
            copy_id,
            index,
            image_key=f"pages/{copy_id}/{index}.jpg",
            masked_image_key=f"pages/{copy_id}/{index}-masked.jpg" if index == 0 else None,
            width=1240,
            height=1754,
        ).save()


def call(api, headers, method, path, body=None):
    response = api.http.request(
        method, path, headers=headers, body=json.dumps(body) if body is not None else None
    )
    return response.status_code, (json.loads(response.body) if response.body else None)


@pytest.fixture
def world(api, admin, teacher):
    """Ana's copy graded by mrsmith, Ben's by mrjones (both teach the exam), released yesterday."""
    make_user("mrjones")
    jones = sign_in(api, "mrjones")
    released_exam({teacher.user_id, jones.user_id})
    student("ana", "DUPONT", "Ana")
    student("ben", "MARTIN", "Ben")
    graded_copy("c-ana", "ana", teacher.user_id)
    graded_copy("c-ben", "ben", jones.user_id, scores=(8.0, 12.0))
    return {
        "admin": admin.headers(),
        "smith": teacher.headers(),
        "jones": jones.headers(),
        "ana": student_headers(api, "ana@college.example.org"),
        "ben": student_headers(api, "ben@college.example.org"),
    }


def file(api, headers, copy_id="c-ana", question_id="q1", message="J’ai justifié la réponse page 2."):
    return call(api, headers, "POST", f"/api/students/me/copies/{copy_id}/regrades",
                {"question_id": question_id, "message": message})


def test_a_student_files_a_request_on_a_question_of_their_released_copy(api, world):
    status, filed = file(api, world["ana"])

    assert status == 201
    assert filed["status"] == "OPEN" and filed["question_label"] == "Question 1"
    assert filed["score_before"] == 6 and filed["answer"] is None and filed["version"] == 1
    assert "student_name" not in filed and filed["anonymous_id"] == "K9QZ-c-ana"
    status, mine = call(api, world["ana"], "GET", "/api/students/me/copies/c-ana/regrades")
    assert status == 200 and mine["can_request"] is True and mine["window_closes_at"]
    questions = [(q["id"], q["score"], q["max_points"]) for q in mine["questions"]]
    assert questions == [("q1", 6, 8), ("q2", 9, 12)]
    assert [r["question_id"] for r in mine["requests"]] == ["q1"]
    events = [e for e in AuditEvent.scan() if e.action == "regrade.request"]
    assert len(events) == 1 and events[0].copy_id == "c-ana" and events[0].metadata["question_id"] == "q1"


def test_a_second_open_request_on_the_same_question_is_refused(api, world):
    assert file(api, world["ana"])[0] == 201
    status, body = file(api, world["ana"], message="Encore")
    assert status == 409 and body["error"]["reason"] == "regrade_open"
    assert RegradeRequest.get("c-ana", "q1").message == "J’ai justifié la réponse page 2."
    assert file(api, world["ana"], question_id="q2")[0] == 201  # another question is another request


def test_a_student_cannot_file_or_read_on_another_students_copy(api, world):
    for method in ("GET", "POST"):
        status, body = call(api, world["ana"], method, "/api/students/me/copies/c-ben/regrades",
                            {"question_id": "q1", "message": "x"} if method == "POST" else None)
        assert status == 404 and body["error"]["reason"] == "result_not_found"
    assert file(api, world["ana"], copy_id="nope")[0] == 404
    assert list(RegradeRequest.scan()) == []


def test_nothing_can_be_filed_before_release(api, world):
    Exam("exam-1").update(actions=[Exam.released_at.remove()])
    assert call(api, world["ana"], "GET", "/api/students/me/copies/c-ana/regrades")[0] == 404
    assert file(api, world["ana"])[0] == 404


@pytest.mark.parametrize(("days_ago", "window"), [(8, 7), (0.01, 0)])
def test_after_the_window_or_without_one_a_request_is_refused(api, world, days_ago, window):
    Exam("exam-1").update(
        actions=[
            Exam.released_at.set(utcnow() - timedelta(days=days_ago)),
            Exam.regrade_window_days.set(window),
        ]
    )
    _, mine = call(api, world["ana"], "GET", "/api/students/me/copies/c-ana/regrades")
    assert mine["can_request"] is False
    status, body = file(api, world["ana"])
    assert status == 409 and body["error"]["reason"] == "regrade_window_closed"
    assert list(RegradeRequest.scan()) == []


BAD_FILINGS = [
    {"question_id": "q1"},
    {"question_id": "q1", "message": ""},
    {"question_id": "q1", "message": "   "},
    {"question_id": "q1", "message": "x" * 2001},
    {"question_id": "q1", "message": "ok", "score": 8},
    {"question_id": 1, "message": "ok"},
]


def test_bad_filing_bodies_get_400(api, world):
    for body in BAD_FILINGS:
        status, answer = call(api, world["ana"], "POST", "/api/students/me/copies/c-ana/regrades", body)
        assert status == 400 and answer["error"]["reason"], body
    assert list(RegradeRequest.scan()) == []


def test_an_unknown_question_is_a_400(api, world):
    status, body = file(api, world["ana"], question_id="q9")
    assert status == 400 and body["error"]["reason"] == "question_unknown"


def test_staff_cannot_use_the_student_routes_nor_students_the_staff_ones(api, world):
    assert call(api, world["smith"], "GET", "/api/students/me/copies/c-ana/regrades")[0] == 403
    assert call(api, world["ana"], "GET", "/api/regrades")[0] == 403
    assert call(api, world["ana"], "GET", "/api/regrades/c-ana/q1")[0] == 403


def test_the_copys_teacher_sees_it_in_their_queue_without_the_students_identity(api, world):
    file(api, world["ana"])
    assert file(api, world["ben"], copy_id="c-ben")[0] == 201

    _, smith = call(api, world["smith"], "GET", "/api/regrades")
    _, jones = call(api, world["jones"], "GET", "/api/regrades?status=OPEN")

    assert [r["copy_id"] for r in smith["requests"]] == ["c-ana"]
    assert [r["copy_id"] for r in jones["requests"]] == ["c-ben"]
    assert "student_name" not in smith["requests"][0]
    assert call(api, world["smith"], "GET", "/api/regrades?status=ANSWERED")[1]["requests"] == []
    assert call(api, world["smith"], "GET", "/api/regrades?status=nope")[0] == 400
    status, detail = call(api, world["smith"], "GET", "/api/regrades/c-ana/q1")
    assert status == 200 and detail["mode"] == "COPY" and detail["score"] == {"score": 6}
    assert detail["question"] == {"id": "q1", "label": "Question 1", "max_points": 8, "region": None}
    assert "masked" in detail["page"]["url"] and "student_name" not in detail
    assert "Ana" not in json.dumps(detail) and "DUPONT" not in json.dumps(detail)


def test_a_teacher_of_another_copy_gets_403_and_one_off_the_exam_404(api, world):
    file(api, world["ana"])
    for method, path, body in (
        ("GET", "/api/regrades/c-ana/q1", None),
        ("POST", "/api/regrades/c-ana/q1/answer", {"version": 1, "answer": "Non"}),
        ("POST", "/api/regrades/c-ana/q1/answer", {"version": 1}),  # a bad body: still 403 first
    ):
        status, error = call(api, world["jones"], method, path, body)
        assert status == 403 and error["error"]["reason"] == "regrade_not_yours", path
    Exam("exam-1").update(actions=[Exam.teacher_ids.delete({Copy.get("c-ana").teacher_id})])
    status, error = call(api, world["smith"], "GET", "/api/regrades/c-ana/q1")
    assert status == 404 and error["error"]["reason"] == "regrade_not_found"
    assert call(api, world["smith"], "GET", "/api/regrades")[1]["requests"] == []
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN"


BAD_ANSWERS = [
    {"version": 1},
    {"answer": "Non"},
    {"version": 1, "answer": ""},
    {"version": 1, "answer": "x" * 2001},
    {"version": "1", "answer": "Non"},
    {"version": 1, "answer": "Non", "score": "7"},
    {"version": 1, "answer": "Non", "score": True},
    {"version": 1, "answer": "Non", "student_id": "ana"},
    {"version": 1, "answer": "Non", "score": 9},  # above the question's 8 points
    {"version": 1, "answer": "Non", "score": 6.3},  # off the quarter-point step
    {"version": 1, "answer": "Non", "rubric_item_ids": ["r1"]},  # graded on the copy: a score only
    {"version": 1, "answer": "Non", "adjustment": 1},
]


def test_bad_answers_get_400_and_change_nothing(api, world):
    file(api, world["ana"])
    for body in BAD_ANSWERS:
        status, error = call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer", body)
        assert status == 400 and error["error"]["reason"], (body, error)
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN"
    assert Copy.get("c-ana").status == "GRADED" and float(ScoreSheet.get("c-ana").total) == 15


def test_an_answer_on_a_stale_version_is_a_409(api, world):
    file(api, world["ana"])
    status, error = call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer",
                         {"version": 2, "answer": "Non"})
    assert status == 409 and error["error"]["reason"] == "regrade_changed"
    assert call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer",
                {"version": 1, "answer": "La justification est incomplète."})[0] == 200
    status, error = call(api, world["admin"], "POST", "/api/regrades/c-ana/q1/answer",
                         {"version": 2, "answer": "Encore"})
    assert status == 409 and error["error"]["reason"] == "regrade_not_open"


def test_an_answer_without_a_score_change_keeps_the_copy_as_it_is(api, world):
    file(api, world["ana"])

    status, answered = call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer",
                            {"version": 1, "answer": "La justification est incomplète.", "score": 6})

    assert status == 200 and answered["status"] == "ANSWERED" and answered["version"] == 2
    assert answered["score_before"] == answered["score_after"] == 6
    assert answered["answered_by_name"] == "mrsmith"
    copy = Copy.get("c-ana")
    assert copy.status == "GRADED" and int(copy.grading_attempts) == 1
    _, mine = call(api, world["ana"], "GET", "/api/students/me/copies/c-ana/regrades")
    assert mine["requests"][0]["answer"] == "La justification est incomplète."
    events = [e for e in AuditEvent.scan() if e.action == "regrade.answer"]
    assert len(events) == 1 and events[0].metadata["rescored"] is False


def test_an_answer_with_a_new_score_rescores_and_rerenders_the_copy_which_stays_released(api, world):
    file(api, world["ana"])

    status, answered = call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer",
                            {"version": 1, "answer": "Vous avez raison.", "score": 7.5})

    assert status == 200 and (answered["score_before"], answered["score_after"]) == (6, 7.5)
    sheet = ScoreSheet.get("c-ana")
    assert sheet.scores == {"q1": 7.5, "q2": 9} and float(sheet.total) == 16.5 and int(sheet.version) == 2
    assert sheet.remarks == {"q2": "Unités"} and sheet.appreciation == "Bien"
    copy = Copy.get("c-ana")
    assert copy.status == "GRADING_IN_PROGRESS" and int(copy.grading_attempts) == 2
    assert copy.final_pdf_key  # the previous PDF stays until the new one lands
    assert Exam.get("exam-1").released_at is not None
    rescore = [e.action for e in AuditEvent.scan() if e.copy_id == "c-ana"]
    assert sorted(rescore) == ["regrade.answer", "regrade.request"]
    # still shown meanwhile
    _, mine = call(api, world["ana"], "GET", "/api/students/me/copies/c-ana/regrades")
    assert mine["requests"][0]["score_after"] == 7.5
    status, _ = call(api, world["ana"], "POST", "/api/students/me/copies/c-ana/regrades",
                     {"question_id": "q2", "message": "Et la 2 ?"})
    assert status == 201


def test_a_new_score_while_the_copy_renders_is_a_409_and_nothing_changes(api, world):
    file(api, world["ana"])
    Copy("c-ana").update(actions=[Copy.status.set("GRADING_IN_PROGRESS")])
    status, error = call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer",
                         {"version": 1, "answer": "Oui", "score": 8})
    assert status == 409 and error["error"]["reason"] == "copy_rendering"
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN" and int(ScoreSheet.get("c-ana").version) == 1


def test_an_answered_question_can_be_asked_again_keeping_the_history(api, world):
    file(api, world["ana"])
    call(api, world["smith"], "POST", "/api/regrades/c-ana/q1/answer", {"version": 1, "answer": "Non."})

    status, again = file(api, world["ana"], message="Pourtant page 2…")

    assert status == 201 and again["status"] == "OPEN" and again["version"] == 3 and again["answer"] is None
    stored = RegradeRequest.get("c-ana", "q1")
    assert [(h["message"], h["answer"]) for h in stored.history] == [
        ("J’ai justifié la réponse page 2.", "Non.")
    ]


def test_admins_list_every_request_of_an_exam_with_its_state_and_the_students_name(api, world):
    file(api, world["ana"])
    file(api, world["ben"], copy_id="c-ben", question_id="q2")
    call(api, world["jones"], "POST", "/api/regrades/c-ben/q2/answer", {"version": 1, "answer": "Non."})

    status, listed = call(api, world["admin"], "GET", "/api/exams/exam-1/regrades")

    assert status == 200
    states = {(r["copy_id"], r["question_id"]): (r["status"], r["student_name"]) for r in listed["requests"]}
    assert states == {("c-ana", "q1"): ("OPEN", "Ana DUPONT"), ("c-ben", "q2"): ("ANSWERED", "Ben MARTIN")}
    _, opened = call(api, world["admin"], "GET", "/api/exams/exam-1/regrades?status=OPEN")
    assert [r["copy_id"] for r in opened["requests"]] == ["c-ana"]
    assert len(call(api, world["admin"], "GET", "/api/regrades")[1]["requests"]) == 2
    assert call(api, world["smith"], "GET", "/api/exams/exam-1/regrades")[0] == 403
    assert call(api, world["admin"], "GET", "/api/exams/nope/regrades")[0] == 404
    status, detail = call(api, world["admin"], "GET", "/api/regrades/c-ana/q1")
    assert detail["student_name"] == "Ana DUPONT" and "masked" not in detail["page"]["url"]
