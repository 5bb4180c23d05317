"""Identification against the local endpoint (moto's server): one student holds at most one copy per
exam, decided by the transaction's uniqueness item under real concurrency."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.test_grading import account

pytestmark = pytest.mark.slow


def exam_with_staging_copies(count: int) -> tuple[str, list[str], str]:
    """An exam with ``count`` STAGING copies and one enrolled student: (exam id, copy ids, student id)."""
    from chalicelib.models.copies import Copy
    from chalicelib.models.exams import Exam
    from chalicelib.models.students import Enrolment, Student

    exam_id, student_id = uuid.uuid4().hex, uuid.uuid4().hex
    Exam(exam_id, name="Histoire", date="2026-11-22", upload_mode="BATCH", pages_per_copy=2,
         anonymous_prefix="H7QX").save()
    copy_ids = []
    for index in range(count):
        copy = Copy(uuid.uuid4().hex, exam_id=exam_id, upload_id="u", anonymous_id=f"H7QX-{index + 1:03d}",
                    page_count=2)
        copy.save()
        copy_ids.append(copy.id)
    Student(student_id, last_name="MARTIN", first_name="Lucas", identity_key=student_id).save()
    Enrolment(exam_id, student_id).save()
    return exam_id, copy_ids, student_id


def test_ten_concurrent_identifies_of_one_student_give_one_success(api):
    from chalicelib.models.copies import Copy
    from chalicelib.models.users import UniqueValue

    admin = account(api, "ident-admin", "admin")
    exam_id, copy_ids, student_id = exam_with_staging_copies(10)

    def identify(copy_id: str):
        response = api.http.post(
            f"/api/copies/{copy_id}/identify", headers=admin, body=json.dumps({"student_id": student_id})
        )
        return copy_id, response.status_code, json.loads(response.body)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(identify, copy_ids))

    winners = [(copy_id, body) for copy_id, status, body in answers if status == 200]
    assert len(winners) == 1, [status for _, status, _ in answers]
    winner_id, winner = winners[0]
    assert winner["student"]["id"] == student_id
    losers = [body for _, status, body in answers if status != 200]
    assert {status for _, status, _ in answers if status != 200} == {409}
    for body in losers:
        assert body["anonymous_id"] == winner["anonymous_id"] and body["copy_id"] == winner_id
    stored = [Copy.get(copy_id, consistent_read=True) for copy_id in copy_ids]
    assert [copy.id for copy in stored if copy.student_id] == [winner_id]
    assert sum(copy.status == "READY" for copy in stored) == 1
    claim = UniqueValue.get(f"exam-student#{exam_id}#{student_id}", consistent_read=True)
    assert claim.owner_id == winner_id

