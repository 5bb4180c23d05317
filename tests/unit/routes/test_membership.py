"""Exam membership is access: a teacher removed from an exam loses its copies, which return to dispatch."""

from __future__ import annotations

import json
from datetime import timedelta

from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from tests.unit.conftest import sign_in
from tests.unit.routes.test_copies import seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam


def set_teachers(api, admin, exam_id: str, ids: list[str]):
    response = api.http.put(
        f"/api/exams/{exam_id}/teachers", headers=admin.headers(), body=json.dumps({"teacher_ids": ids})
    )
    assert response.status_code == 200, response.body
    return response


def former_copy_routes(copy_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/api/copies/{copy_id}", None),
        ("POST", f"/api/copies/{copy_id}/lock", {}),
        ("POST", f"/api/copies/{copy_id}/lock/heartbeat", {}),
        ("DELETE", f"/api/copies/{copy_id}/lock", None),
        ("GET", f"/api/copies/{copy_id}/draft", None),
        ("PUT", f"/api/copies/{copy_id}/draft", {"version": 0, "client_id": "c", "payload": {}}),
        ("POST", f"/api/copies/{copy_id}/annotations",
         {"page_index": 0, "type": "tick", "geometry": {"x": 0.5, "y": 0.5}}),
        ("PUT", f"/api/copies/{copy_id}/scores", {"scores": {}}),
        ("POST", f"/api/copies/{copy_id}/finalize", {}),
        ("GET", f"/api/copies/{copy_id}/final-pdf", None),
        ("GET", f"/api/copies/{copy_id}/history", None),
    ]


def test_a_removed_teacher_gets_403_on_every_former_copy_and_lists_none(api, admin):
    exam = create_exam(api, admin)
    kept, removed = with_teachers(api, admin, exam["id"], "t1", "t2")
    ready, locked, graded = seed_copies(exam["id"], 3, status="READY")
    for copy in (ready, locked, graded):
        copy.update(actions=[Copy.teacher_id.set(removed)])
    graded.update(actions=[Copy.status.set("GRADED")])
    session = sign_in(api, "t2")
    lock = api.http.post(f"/api/copies/{locked.id}/lock", headers=session.headers(), body="{}")
    assert lock.status_code == 201
    assert len(json.loads(api.http.get("/api/teacher/copies", headers=session.headers()).body)["copies"]) == 3

    set_teachers(api, admin, exam["id"], [kept])

    for copy in (ready, locked, graded):
        for method, path, body in former_copy_routes(copy.id):
            response = api.http.request(
                method, path, headers=session.headers(), body=json.dumps(body) if body is not None else None
            )
            assert response.status_code == 403, (method, path, response.status_code)
    assert json.loads(api.http.get("/api/teacher/copies", headers=session.headers()).body)["copies"] == []
    assert api.http.get(f"/api/exams/{exam['id']}/copies", headers=session.headers()).status_code == 404


def test_removing_a_teacher_returns_ungraded_copies_to_dispatch_and_keeps_graded_ones(api, admin):
    exam = create_exam(api, admin)
    kept, removed = with_teachers(api, admin, exam["id"], "t1", "t2")
    ready, locked, rendering, failed, graded = seed_copies(exam["id"], 5, status="READY")
    for copy, status in (
        (ready, "READY"),
        (rendering, "GRADING_IN_PROGRESS"),
        (failed, "GRADING_FAILED"),
        (graded, "GRADED"),
    ):
        copy.update(actions=[Copy.teacher_id.set(removed), Copy.status.set(status)])
    locked.update(actions=[Copy.teacher_id.set(removed)])
    session = sign_in(api, "t2")
    api.http.post(f"/api/copies/{locked.id}/lock", headers=session.headers(), body="{}")

    set_teachers(api, admin, exam["id"], [kept])

    assert Copy.get(ready.id).teacher_id is None and Copy.get(ready.id).status == "READY"
    assert Copy.get(locked.id).teacher_id is None and Copy.get(locked.id).status == "READY"
    assert Lock.count(locked.id) == 0
    for copy in (rendering, failed, graded):
        assert Copy.get(copy.id).teacher_id == removed  # for the record
    breaks = [e for e in AuditEvent.copy_index.query(locked.id) if e.action == "lock.break"]
    assert len(breaks) == 1 and breaks[0].metadata["reason"] == "teacher_removed"
    assert breaks[0].metadata["teacher_id"] == removed

    dispatch = api.http.post(f"/api/exams/{exam['id']}/dispatch", headers=admin.headers(), body="{}")
    result = json.loads(dispatch.body)
    assert result["assigned"] == 2 and result["distribution"] == {kept: 2}


def test_an_admins_lock_on_a_removed_teachers_copy_is_left_alone(api, admin):
    exam = create_exam(api, admin)
    kept, removed = with_teachers(api, admin, exam["id"], "t1", "t2")
    copy = seed_copies(exam["id"], 1, status="READY")[0]
    copy.update(actions=[Copy.teacher_id.set(removed)])
    assert api.http.post(f"/api/copies/{copy.id}/lock", headers=admin.headers(), body="{}").status_code == 201
    set_teachers(api, admin, exam["id"], [kept])
    stored = Copy.get(copy.id)
    assert stored.status == "LOCKED" and stored.teacher_id is None and Lock.count(copy.id) == 1


def test_a_teacher_added_back_sees_their_graded_copies_again(api, admin):
    exam = create_exam(api, admin)
    (teacher,) = with_teachers(api, admin, exam["id"], "t1")
    graded = seed_copies(exam["id"], 1, status="GRADED")[0]
    graded.update(actions=[Copy.teacher_id.set(teacher)])
    session = sign_in(api, "t1")
    set_teachers(api, admin, exam["id"], [])
    assert api.http.get(f"/api/copies/{graded.id}", headers=session.headers()).status_code == 403
    set_teachers(api, admin, exam["id"], [teacher])
    assert api.http.get(f"/api/copies/{graded.id}", headers=session.headers()).status_code == 200


def test_an_expired_lock_of_the_removed_teacher_is_cleared_too(api, admin):
    exam = create_exam(api, admin)
    kept, removed = with_teachers(api, admin, exam["id"], "t1", "t2")
    copy = seed_copies(exam["id"], 1, status="LOCKED")[0]
    copy.update(actions=[Copy.teacher_id.set(removed)])
    past = utcnow() - timedelta(minutes=1)
    Lock(copy.id, token="t", holder_id=removed, holder_name="t2", expires_at=past, ttl=past).save()
    set_teachers(api, admin, exam["id"], [kept])
    assert Copy.get(copy.id).status == "READY" and Lock.count(copy.id) == 0
