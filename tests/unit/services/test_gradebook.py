"""The gradebook (one row per copy, one per roster student without a copy, unidentified copies last)
and the release check (students without a copy, copies not graded or not identified, students who
cannot sign in, each with its reasons)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.students import Enrolment, Student
from chalicelib.services import gradebook
from tests.unit.routes.test_results import exam_with_scheme, graded, student


def enrolled(exam_id: str, student_id: str, last: str, first: str, **fields) -> Student:
    record = student(student_id, last, first)
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()
    Enrolment(exam_id, student_id).save()
    return record


def copy(exam_id: str, copy_id: str, status: str, student_id: str | None = None) -> None:
    Copy(copy_id, exam_id=exam_id, upload_id="u", anonymous_id=f"AB-{copy_id}", status=status,
         student_id=student_id).save()


@pytest.fixture
def exam(api, admin) -> tuple[str, list[str]]:
    """Ana graded (6 + 9), Ben's copy being graded with one score saved, Cléo enrolled without a copy,
    and a copy nobody is identified on."""
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (6, 9.5))
    student("ben", "MARTIN", "Ben")
    graded(exam_id, "c-ben", "ben", q, (4, 0), status="LOCKED")
    ScoreSheet("c-ben", scores={q[0]: 4}, total=4, version=1).save()
    enrolled(exam_id, "cleo", "ROUX", "Cléo")
    copy(exam_id, "c-zz", "STAGING")
    return exam_id, q


def test_every_copy_and_every_roster_student_has_one_row_by_name_unidentified_last(exam):
    exam_id, q = exam

    book = gradebook.gradebook(exam_id)

    assert book["questions"] == [
        {"id": q[0], "label": "Q1", "max_points": 8},
        {"id": q[1], "label": "Q2", "max_points": 12},
    ]
    assert book["max_points"] == 20 and book["released_at"] is None
    rows = book["rows"]
    assert [(r["student"] or {}).get("last_name") for r in rows] == ["DUPONT", "MARTIN", "ROUX", None]
    ana, ben, cleo, nobody = rows
    assert ana["copy"] == {"id": "c-ana", "anonymous_id": "AB-c-ana", "status": "GRADED"}
    assert ana["scores"] == {q[0]: 6, q[1]: 9.5} and ana["total"] == 15.5
    assert ana["student"] == {"id": "ana", "last_name": "DUPONT", "first_name": "Ana", "class_name": None,
                              "group": None, "student_number": None}
    assert ben["copy"]["status"] == "LOCKED" and ben["scores"] == {q[0]: 4, q[1]: None} and ben["total"] == 4
    assert cleo["copy"] is None and cleo["total"] is None and cleo["scores"] == {q[0]: None, q[1]: None}
    assert nobody["student"] is None and nobody["copy"]["id"] == "c-zz" and nobody["total"] is None


def test_the_release_check_lists_what_needs_attention(exam):
    exam_id, _ = exam
    enrolled(exam_id, "dan", "BLANC", "Dan", active=False)

    check = gradebook.release_check(exam_id)

    assert check["attention_needed"] is True
    assert [s["id"] for s in check["students_without_copy"]] == ["dan", "cleo"]  # by name
    assert check["copies_not_graded"]["count"] == 2
    assert check["copies_not_graded"]["by_status"] == {"LOCKED": 1, "STAGING": 1}
    assert [c["id"] for c in check["copies_not_graded"]["copies"]] == ["c-ben", "c-zz"]
    assert check["copies_not_identified"] == [{"id": "c-zz", "anonymous_id": "AB-c-zz", "status": "STAGING"}]
    assert [(s["id"], s["reasons"]) for s in check["students_cannot_sign_in"]] == [("dan", ["disabled"])]


def test_nothing_needs_attention_when_every_student_is_graded_and_can_sign_in(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (8, 12))

    check = gradebook.release_check(exam_id)

    assert check["attention_needed"] is False
    assert check["students_without_copy"] == [] and check["students_cannot_sign_in"] == []
    assert check["copies_not_graded"] == {"count": 0, "by_status": {}, "copies": []}


def test_a_graded_copy_being_rendered_again_does_not_need_attention(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (8, 12), status="GRADING_IN_PROGRESS")  # keeps its previous PDF
    student("ben", "MARTIN", "Ben")
    graded(exam_id, "c-ben", "ben", q, (4, 0), status="GRADING_IN_PROGRESS")
    Copy("c-ben").update(actions=[Copy.final_pdf_key.remove()])  # a first render

    check = gradebook.release_check(exam_id)

    assert [c["id"] for c in check["copies_not_graded"]["copies"]] == ["c-ben"]


def test_signing_in_needs_an_identifier_a_password_an_active_account_and_a_live_initial_password():
    now = utcnow()

    def account(**fields) -> Student:
        base = {"last_name": "X", "first_name": "Y", "identity_key": "x|y|", "email": "x@college.example.org",
                "password_hash": "hash", "must_change_password": False, "active": True}
        return Student("s", **{**base, **fields})

    assert gradebook.sign_in_blockers(account(), now) == []
    assert gradebook.sign_in_blockers(account(email=None, login_id="lea.martin.482"), now) == []
    assert gradebook.sign_in_blockers(account(email=None), now) == ["no_sign_in_id"]
    assert gradebook.sign_in_blockers(account(password_hash=None), now) == ["no_password"]
    assert gradebook.sign_in_blockers(account(active=False), now) == ["disabled"]
    expired = {"must_change_password": True, "initial_password_expires_at": now - timedelta(days=1)}
    assert gradebook.sign_in_blockers(account(**expired), now) == ["initial_password_expired"]
    live = {"must_change_password": True, "initial_password_expires_at": now + timedelta(days=1)}
    assert gradebook.sign_in_blockers(account(**live), now) == []
    changed = {"must_change_password": False, "initial_password_expires_at": now - timedelta(days=1)}
    assert gradebook.sign_in_blockers(account(**changed), now) == []


def test_a_roster_larger_than_one_batch_is_read_whole(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    for n in range(130):
        Student(f"s{n:03}", last_name=f"N{n:03}", first_name="P", identity_key=f"n{n}", email=None,
                login_id=f"p.n{n}", password_hash="h").save()
        Enrolment(exam_id, f"s{n:03}").save()
        if n % 2 == 0:
            graded(exam_id, f"c{n:03}", f"s{n:03}", q, (1, 1))

    rows = gradebook.gradebook(exam_id)["rows"]

    assert len(rows) == 130 and all(row["student"]["last_name"] for row in rows)
    assert sum(1 for row in rows if row["total"] == 2) == 65
