"""A rubric edit against the local endpoint: one PATCH of an item's points re-scores the 20 graded copies
using it (question score, score sheet, copy total) through the rescore function, and the render function
re-renders each one's final PDFs (a new attempt) showing the new total — a released copy included."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pymupdf
import pytest

from tests.integration.conftest import account
from tests.integration.test_grading import page_jpeg, request

pytestmark = pytest.mark.slow
COPIES = 20
SCHEME = {"nodes": [{"id": "q1", "label": "Question 1", "points": 4, "children": []},
                    {"id": "q2", "label": "Question 2", "points": 6, "children": []}]}


class Pumps:
    """The rescore and render queues fed to their functions, one poll at a time."""

    def __init__(self) -> None:
        from chalicelib.resources import EVENT_ROUTES
        from functions import render, rescore
        from infra.local.pump import QueuePump

        routes = {route.function: route for route in EVENT_ROUTES}
        stop = threading.Event()
        self.pumps = [QueuePump(routes["rescore"], rescore.handler, stop, wait_seconds=1),
                      QueuePump(routes["render"], render.handler, stop, wait_seconds=1)]

    def until(self, check, rounds: int = 60) -> None:
        for _ in range(rounds):
            if check():
                return
            for pump in self.pumps:
                pump.poll_once()
        raise AssertionError("the copies never settled")


def stored_copies(copy_ids: list[str]):
    from chalicelib import aws
    from chalicelib.models.copies import Copy

    return aws.batch_get(*[Copy(copy_id) for copy_id in copy_ids])


def all_graded(copy_ids: list[str], attempt: int):
    return lambda: all(
        c.status == "GRADED" and int(c.grading_attempts) == attempt for c in stored_copies(copy_ids)
    )


def pdf_text(key: str) -> str:
    from chalicelib import storage

    document = pymupdf.open(stream=storage.get_bytes(key), filetype="pdf")
    return "".join(page.get_text() for page in document)


@pytest.fixture
def graded_exam(provisioned, empty_route_queues):
    """A question-mode exam whose 20 copies were graded with the items "juste" (Q1 = 4) and "signe"
    (-1) applied on Q1 and "ok" (Q2 = 6): each 9 / 10, rendered once; the first copy's pupil has the
    results (the exam is released)."""
    from chalicelib import storage
    from chalicelib.models.base import utcnow
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.exams import Exam
    from chalicelib.models.questions import QuestionScore, RubricItem
    from chalicelib.services import finalize, rescoring

    exam_id = uuid.uuid4().hex
    exam = Exam(exam_id, name="Maths — bac blanc", subject="Maths", date="2026-11-20",
                upload_mode="INDIVIDUAL", marking_scheme=SCHEME, max_points=10, anonymous_prefix="RBRC",
                grading_mode="QUESTION", question_teachers={}, question_slots=1, released_at=utcnow())
    exam.save()
    items = {}
    for position, (item_id, question, kind, points, comment) in enumerate(
        [("juste", "q1", "absolute", 4, None), ("signe", "q1", "delta", -1, "Attention aux signes"),
         ("ok", "q2", "absolute", 6, None)], start=1
    ):
        items[item_id] = RubricItem(exam_id, item_id, question_id=question, position=position,
                                    label=item_id.capitalize(), kind=kind, points=points, comment=comment,
                                    deleted=False, created_by="admin", version=1)
        items[item_id].save()
    image = page_jpeg("1")
    size = pymupdf.Pixmap(image)
    copy_ids = []
    for index in range(COPIES):
        copy = Copy(uuid.uuid4().hex, exam_id=exam_id, upload_id="u", anonymous_id=f"RBRC-{index + 1:03d}",
                    status="GRADING_IN_PROGRESS", page_count=1, grading_attempts=1,
                    student_id="s-released" if index == 0 else f"s-{index}")
        copy.save()
        key = storage.page_key(exam_id, copy.id, 0)
        storage.put_bytes(key, image, "image/jpeg")
        Page(copy.id, 0, image_key=key, masked_image_key=key, width=size.width, height=size.height).save()
        scores = {
            "q1": QuestionScore(copy.id, "q1", exam_id=exam_id, rubric_item_ids=["juste", "signe"], score=3,
                                complete=True, graded_by="t1", version=1),
            "q2": QuestionScore(copy.id, "q2", exam_id=exam_id, rubric_item_ids=["ok"], score=6,
                                complete=True, graded_by="t2", version=1),
        }
        for score in scores.values():
            score.save()
        sheet = rescoring.assemble_sheet(copy.id, exam, scores, items)
        sheet.save()
        finalize.start_render(copy, exam, sheet, 1)
        copy_ids.append(copy.id)
    return exam_id, copy_ids


def test_a_rubric_edit_rescores_twenty_graded_copies_and_re_renders_their_pdfs(api, graded_exam):
    from chalicelib.models.grading import ScoreSheet
    from chalicelib.models.questions import QuestionScore

    exam_id, copy_ids = graded_exam
    pumps = Pumps()
    pumps.until(all_graded(copy_ids, 1))
    first = stored_copies(copy_ids)
    assert {float(c.total) for c in first} == {9.0}
    assert "Total : 9 / 10" in pdf_text(first[0].final_pdf_key)
    admin = account(api, "rubric-admin", "admin")

    status, body = request(api, admin, "PATCH", f"/api/exams/{exam_id}/rubrics/signe",
                           {"version": 1, "points": -1.5})

    assert status == 200, body
    assert body["rescore"] == {"copies": COPIES, "status": "PENDING"}
    pumps.until(all_graded(copy_ids, 2))
    after = stored_copies(copy_ids)
    for before, copy in zip(first, after, strict=True):
        assert float(copy.total) == 8.5
        assert copy.final_pdf_key.endswith("/2.pdf") and copy.final_pdf_key != before.final_pdf_key
        assert QuestionScore.get(copy.id, "q1", consistent_read=True).score == Decimal("2.5")
        sheet = ScoreSheet.get(copy.id, consistent_read=True)
        assert float(sheet.total) == 8.5 and "Signe (-1,5 pt) — Attention aux signes" in sheet.remarks["q1"]
    released = after[0]
    text = pdf_text(released.final_pdf_key)
    assert "Total : 8,5 / 10" in text and "-1,5 pt" in text
    assert "Total : 8,5 / 10" in pdf_text(released.final_masked_pdf_key)
    assert "Total : 9 / 10" in pdf_text(first[0].final_pdf_key)  # the earlier attempt's PDF is kept

    status, stats = request(api, admin, "GET", f"/api/exams/{exam_id}/stats")
    assert status == 200 and stats["mean"] == 8.5
    assert {row["item_id"]: row["count"] for row in stats["rubric"]} == {"juste": COPIES, "signe": COPIES,
                                                                          "ok": COPIES}
