"""Identification desk, dispatch and reassignment through the API."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from chalicelib.domain.roles import Role
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from chalicelib.models.ocr import OcrResult
from chalicelib.models.students import Enrolment, Student
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_exams import create_exam


def seed_copies(exam_id: str, count: int, status: str = "STAGING") -> list[Copy]:
    copies = []
    for index in range(count):
        copy = Copy(
            f"{exam_id[:6]}-c{index:02d}",
            exam_id=exam_id,
            upload_id="u1",
            anonymous_id=f"ABCD-{index + 1:03d}",
            status=status,
            page_count=2,
        )
        copy.save()
        copies.append(copy)
    return copies


def enrol(exam_id: str, student_id: str, last: str, first: str) -> Student:
    student = Student(student_id, last_name=last, first_name=first, identity_key=f"{last}|{first}|")
    student.save()
    Enrolment(exam_id, student_id).save()
    return student


def with_teachers(api, admin, exam_id: str, *names: str) -> list[str]:
    ids = [make_user(name, Role.TEACHER).id for name in names]
    api.http.put(
        f"/api/exams/{exam_id}/teachers", headers=admin.headers(), body=json.dumps({"teacher_ids": ids})
    )
    return ids


def test_identification_lists_staging_copies_with_suggestions(api, admin):
    exam = create_exam(api, admin)
    copy = seed_copies(exam["id"], 1)[0]
    OcrResult(
        copy.id,
        exam_id=exam["id"],
        engine="local",
        text="NOM : DUPONT Prénom : Élodie",
        suggestions=[
            {"student_id": "s1", "name": "DUPONT Élodie", "score": 0.97},
            {"student_id": "s2", "name": "DURAND Paul", "score": 0.41},
        ],
    ).save()
    body = json.loads(api.http.get(f"/api/exams/{exam['id']}/identification", headers=admin.headers()).body)
    entry = body["copies"][0]
    assert entry["anonymous_id"] == "ABCD-001" and entry["ocr_text"].startswith("NOM")
    assert entry["suggestions"][0]["student_id"] == "s1" and entry["auto_student_id"] == "s1"
    assert entry["header_url"]


def test_identify_moves_staging_to_ready_once(api, admin):
    exam = create_exam(api, admin)
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "s1", "DUPONT", "Élodie")
    first = api.http.post(
        f"/api/copies/{copy.id}/identify", headers=admin.headers(), body=json.dumps({"student_id": "s1"})
    )
    assert first.status_code == 200 and json.loads(first.body)["status"] == "READY"
    again = api.http.post(
        f"/api/copies/{copy.id}/identify", headers=admin.headers(), body=json.dumps({"student_id": "s1"})
    )
    assert again.status_code == 409
    queue = json.loads(api.http.get(f"/api/exams/{exam['id']}/identification", headers=admin.headers()).body)
    assert queue["copies"] == []


def test_identify_refuses_students_off_the_roster_or_already_identified(api, admin):
    exam = create_exam(api, admin)
    first, second = seed_copies(exam["id"], 2)
    enrol(exam["id"], "s1", "DUPONT", "Élodie")
    Student("s9", last_name="OTHER", first_name="One", identity_key="x").save()
    off_roster = api.http.post(
        f"/api/copies/{first.id}/identify", headers=admin.headers(), body=json.dumps({"student_id": "s9"})
    )
    assert off_roster.status_code == 400
    api.http.post(
        f"/api/copies/{first.id}/identify", headers=admin.headers(), body=json.dumps({"student_id": "s1"})
    )
    twice = api.http.post(
        f"/api/copies/{second.id}/identify", headers=admin.headers(), body=json.dumps({"student_id": "s1"})
    )
    assert twice.status_code == 409 and Copy.get(second.id).status == "STAGING"


def test_dispatch_balances_across_runs(api, admin):
    exam = create_exam(api, admin)
    teachers = with_teachers(api, admin, exam["id"], "t1", "t2", "t3")
    seed_copies(exam["id"], 7, status="READY")
    first = json.loads(
        api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}").body
    )
    assert first["assigned"] == 7 and sorted(first["distribution"].values()) == [2, 2, 3]
    for index in range(7, 11):
        Copy(
            f"late-{index}",
            exam_id=exam["id"],
            upload_id="u2",
            anonymous_id=f"ABCD-{index + 1:03d}",
            status="READY",
        ).save()
    second = json.loads(
        api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}").body
    )
    counts = second["distribution"]
    assert second["assigned"] == 4 and set(counts) == set(teachers)
    assert max(counts.values()) - min(counts.values()) <= 1 and sum(counts.values()) == 11


def test_an_exam_graded_by_question_does_not_dispatch_its_copies(api, admin):
    from chalicelib.models.exams import Exam

    exam = create_exam(api, admin)
    with_teachers(api, admin, exam["id"], "t1")
    seed_copies(exam["id"], 2, status="READY")
    Exam(exam["id"]).update(actions=[Exam.grading_mode.set("QUESTION")])
    refused = api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}")
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"]["reason"] == "exam_in_question_mode"
    assert all(copy.teacher_id is None for copy in Copy.exam_index.query(exam["id"]))


def test_concurrent_dispatches_assign_each_copy_once_and_stay_balanced(api, admin):
    exam = create_exam(api, admin)
    with_teachers(api, admin, exam["id"], "t1", "t2")
    seed_copies(exam["id"], 10, status="READY")

    def run(_):
        return api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [response.status_code for response in pool.map(run, range(4))]
    assert set(statuses) <= {200, 409} and 200 in statuses
    per_teacher: dict[str, int] = {}
    for copy in Copy.exam_index.query(exam["id"]):
        assert copy.teacher_id
        per_teacher[copy.teacher_id] = per_teacher.get(copy.teacher_id, 0) + 1
    assert sorted(per_teacher.values()) == [5, 5]


def test_dispatch_without_teachers_is_refused(api, admin):
    exam = create_exam(api, admin)
    seed_copies(exam["id"], 2, status="READY")
    assert (
        api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}").status_code
        == 400
    )


def test_dispatch_never_moves_locked_or_graded_copies(api, admin):
    exam = create_exam(api, admin)
    with_teachers(api, admin, exam["id"], "t1")
    graded, locked = seed_copies(exam["id"], 2, status="READY")
    graded.update(actions=[Copy.status.set("GRADED")])
    now = utcnow()
    Lock(
        locked.id,
        token="t",
        holder_id="x",
        holder_name="x",
        expires_at=now + timedelta(minutes=5),
        ttl=now + timedelta(minutes=5),
    ).save()
    result = json.loads(
        api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}").body
    )
    assert result["assigned"] == 0
    assert Copy.get(graded.id).teacher_id is None and Copy.get(locked.id).teacher_id is None


def test_admin_reassigns_one_copy_but_not_a_graded_one(api, admin):
    exam = create_exam(api, admin)
    first, second = with_teachers(api, admin, exam["id"], "t1", "t2")
    ready, graded = seed_copies(exam["id"], 2, status="READY")
    graded.update(actions=[Copy.status.set("GRADED"), Copy.teacher_id.set(first)])
    moved = api.http.post(
        f"/api/copies/{ready.id}/reassign", headers=admin.headers(), body=json.dumps({"teacher_id": second})
    )
    assert moved.status_code == 200 and Copy.get(ready.id).teacher_id == second
    refused = api.http.post(
        f"/api/copies/{graded.id}/reassign", headers=admin.headers(), body=json.dumps({"teacher_id": second})
    )
    assert refused.status_code == 409 and Copy.get(graded.id).teacher_id == first


def test_teachers_see_only_their_copies_and_no_identity(api, admin):
    exam = create_exam(api, admin)
    mine, theirs = with_teachers(api, admin, exam["id"], "t1", "t2")
    a, b = seed_copies(exam["id"], 2, status="READY")
    enrol(exam["id"], "s1", "DUPONT", "Élodie")
    a.update(actions=[Copy.teacher_id.set(mine), Copy.student_id.set("s1")])
    b.update(actions=[Copy.teacher_id.set(theirs)])
    session = sign_in(api, "t1")
    response = api.http.get(f"/api/exams/{exam['id']}/copies", headers=session.headers())
    body = json.loads(response.body)
    assert [copy["id"] for copy in body["copies"]] == [a.id]
    assert "DUPONT" not in response.body.decode() and "s1" not in response.body.decode()
    admin_view = json.loads(api.http.get(f"/api/exams/{exam['id']}/copies", headers=admin.headers()).body)
    assert {c["student"]["name"] for c in admin_view["copies"] if c["student"]} == {"DUPONT Élodie"}
