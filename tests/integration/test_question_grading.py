"""Question-first grading against the local endpoint: two teachers grade question 1 and question 2 of
the same 20 copies at once through the API, with no lost write, every copy finalised exactly once (one
``copy.finalize`` event, one render attempt) and rendered: GRADED with total = q1 + q2 and both final
PDFs stored."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.conftest import account
from tests.integration.test_grading import RenderPump, page_jpeg, request

pytestmark = pytest.mark.slow
COPIES = 20


def question_exam(teacher_ids: dict[str, str]) -> tuple[str, list[str]]:
    """An exam in question mode (q1 to one teacher, q2 to the other) with 20 READY copies of two real
    pages each and a rubric of two items per question."""
    from chalicelib import storage
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.exams import Exam
    from chalicelib.models.questions import RubricItem

    exam_id = uuid.uuid4().hex
    Exam(
        exam_id,
        name="Mathématiques — devoir 3",
        subject="Mathématiques",
        date="2026-11-28",
        upload_mode="BATCH",
        pages_per_copy=2,
        marking_scheme={"nodes": [
            {"id": "q1", "label": "Question 1", "points": 8, "children": []},
            {"id": "q2", "label": "Question 2", "points": 12, "children": []},
        ]},
        max_points=20,
        anonymous_prefix="QZ7K",
        teacher_ids=set(teacher_ids.values()),
        grading_mode="QUESTION",
        question_teachers={"q1": [teacher_ids["q1"]], "q2": [teacher_ids["q2"]]},
        question_slots=1,
    ).save()
    import pymupdf

    images = [page_jpeg(str(index + 1)) for index in range(2)]
    sizes = [pymupdf.Pixmap(image) for image in images]
    copy_ids = []
    for number in range(COPIES):
        copy_id = uuid.uuid4().hex
        Copy(copy_id, exam_id=exam_id, upload_id="u", anonymous_id=f"QZ7K-{number + 1:03d}", status="READY",
             page_count=2, student_id=f"s-{number}").save()
        for index, image in enumerate(images):
            key = storage.page_key(exam_id, copy_id, index)
            storage.put_bytes(key, image, "image/jpeg")
            Page(copy_id, index, image_key=key, masked_image_key=key, width=sizes[index].width,
                 height=sizes[index].height).save()
        copy_ids.append(copy_id)
    for item_id, question, kind, points in (
        ("q1-all", "q1", "absolute", 8), ("q1-sign", "q1", "delta", -1.5),
        ("q2-all", "q2", "absolute", 12), ("q2-unit", "q2", "delta", -2),
    ):
        RubricItem(exam_id, item_id, question_id=question, position=0, label=item_id, kind=kind,
                   points=points, created_by="admin").save()
    return exam_id, copy_ids


def grade_question(api, headers, copy_ids: list[str], question: str, first: list[str], last: list[str]):
    """Lock the question of each copy, save a first score, then the final one (complete), release."""
    outcomes = []
    for copy_id in copy_ids:
        base = f"/api/copies/{copy_id}/questions/{question}"
        status, grant = request(api, headers, "POST", f"{base}/lock", {})
        assert status == 201, grant
        token = grant["token"]
        status, saved = request(api, headers, "PUT", f"{base}/score",
                                {"version": 0, "rubric_item_ids": first, "complete": False}, token)
        assert status == 200, saved
        status, saved = request(api, headers, "PUT", f"{base}/score",
                                {"version": 1, "rubric_item_ids": last, "complete": True}, token)
        assert status == 200, saved
        outcomes.append(saved["finalised"])
        status, _ = request(api, headers, "DELETE", f"{base}/lock", None, token)
        assert status == 204
    return outcomes


def test_two_teachers_grade_two_questions_of_twenty_copies_at_once(api, provisioned):
    from chalicelib import storage
    from chalicelib.models.audit import AuditEvent
    from chalicelib.models.copies import Copy
    from chalicelib.models.questions import QuestionScore
    from chalicelib.services import auth

    sessions = {"q1": account(api, "question-one", "teacher"), "q2": account(api, "question-two", "teacher")}
    ids = {"q1": auth.find_staff("question-one").id, "q2": auth.find_staff("question-two").id}
    exam_id, copy_ids = question_exam(ids)
    plans = {
        "q1": (["q1-all"], ["q1-all", "q1-sign"]),  # 8 then 6.5
        "q2": (["q2-all", "q2-unit"], ["q2-all"]),  # 10 then 12
    }
    order = {"q1": copy_ids, "q2": list(reversed(copy_ids))}  # they meet in the middle
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            question: pool.submit(grade_question, api, sessions[question], order[question], question,
                                  *plans[question])
            for question in ("q1", "q2")
        }
        finalised = {question: future.result() for question, future in futures.items()}
    assert sum(finalised["q1"]) + sum(finalised["q2"]) == COPIES  # each copy finalised by one of them

    for copy_id in copy_ids:  # no lost write: every score is its teacher's last value
        q1, q2 = QuestionScore.get(copy_id, "q1"), QuestionScore.get(copy_id, "q2")
        assert (float(q1.score), list(q1.rubric_item_ids), q1.complete) == (6.5, ["q1-all", "q1-sign"], True)
        assert (float(q2.score), list(q2.rubric_item_ids), q2.complete) == (12.0, ["q2-all"], True)

    pump = RenderPump()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        statuses = {Copy.get(copy_id, consistent_read=True).status for copy_id in copy_ids}
        if statuses <= {"GRADED", "GRADING_FAILED"}:
            break
        pump.pump.poll_once()
    s3 = storage.aws.client("s3")
    for copy_id in copy_ids:
        copy = Copy.get(copy_id, consistent_read=True)
        assert copy.status == "GRADED" and int(copy.grading_attempts) == 1, (copy.status, copy.grading_error)
        assert float(copy.total) == 18.5
        events = [event.action for event in AuditEvent.copy_index.query(copy_id)]
        assert events.count("copy.finalize") == 1 and events.count("copy.graded") == 1
        for key in (copy.final_pdf_key, copy.final_masked_pdf_key):
            assert s3.head_object(Bucket=storage.get_settings().files_bucket, Key=key)["ContentLength"] > 0
    status, listing = request(api, sessions["q1"], "GET", f"/api/exams/{exam_id}/questions/q1/copies")
    assert status == 200 and (listing["complete"], listing["total"]) == (COPIES, COPIES)
