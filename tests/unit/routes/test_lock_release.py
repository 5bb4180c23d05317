"""DELETE /api/copies/{copy_id}/lock: the holder releases, a repeat or a late release changes nothing,
another holder's lock is never touched, an admin without the token breaks the lock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from tests.unit.conftest import sign_in
from tests.unit.routes.test_copies import seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam


@pytest.fixture
def desk(api, admin):
    """A READY copy dispatched to a signed-in teacher."""
    exam = create_exam(api, admin)
    (teacher_id,) = with_teachers(api, admin, exam["id"], "grader")
    (copy,) = seed_copies(exam["id"], 1, status="READY")
    copy.update(actions=[Copy.teacher_id.set(teacher_id)])
    return copy.id, sign_in(api, "grader")


def lock(api, session, copy_id: str) -> str:
    response = api.http.post(f"/api/copies/{copy_id}/lock", headers=session.headers(), body="{}")
    assert response.status_code == 201, response.body
    return json.loads(response.body)["token"]


def release(api, session, copy_id: str, token: str | None = None) -> int:
    headers = session.headers() | ({"X-Lock-Token": token} if token else {})
    return api.http.delete(f"/api/copies/{copy_id}/lock", headers=headers).status_code


def state(copy_id: str) -> tuple:
    """Everything a release may change: the copy's status and time, the lock item, the audit trail."""
    copy = Copy.get(copy_id, consistent_read=True)
    lock_item = next(iter(Lock.batch_get([copy_id], consistent_read=True)), None)
    lock_state = (lock_item.token, lock_item.holder_id, lock_item.expires_at) if lock_item else None
    actions = sorted(event.action for event in AuditEvent.copy_index.query(copy_id))
    return copy.status, copy.updated_at, lock_state, actions


def test_the_holder_releases_and_a_repeat_answers_204_changing_nothing(api, desk):
    copy_id, teacher = desk
    token = lock(api, teacher, copy_id)

    assert release(api, teacher, copy_id, token) == 204
    after = state(copy_id)
    assert after[0] == "READY" and after[2] is None and after[3].count("lock.release") == 1

    assert release(api, teacher, copy_id, token) == 204
    assert state(copy_id) == after


def test_releasing_an_expired_lock_answers_204_changing_nothing(api, desk):
    copy_id, teacher = desk
    token = lock(api, teacher, copy_id)
    Lock(copy_id).update(actions=[Lock.expires_at.set(utcnow() - timedelta(seconds=1))])
    before = state(copy_id)

    assert release(api, teacher, copy_id, token) == 204
    assert state(copy_id) == before
    assert "lock.release" not in before[3]


def test_another_holders_lock_is_never_touched(api, admin, desk):
    copy_id, teacher = desk
    old_token = lock(api, teacher, copy_id)
    Lock(copy_id).update(actions=[Lock.expires_at.set(utcnow() - timedelta(seconds=1))])
    lock(api, admin, copy_id)  # the expired lock is taken over
    before = state(copy_id)
    assert before[0] == "LOCKED" and before[2][1] == admin.user_id

    assert release(api, teacher, copy_id, old_token) == 204
    assert release(api, teacher, copy_id) == 204
    assert release(api, teacher, copy_id, "forged") == 204
    assert state(copy_id) == before


def test_without_its_token_even_the_holder_releases_nothing(api, desk):
    copy_id, teacher = desk
    lock(api, teacher, copy_id)
    before = state(copy_id)

    assert release(api, teacher, copy_id) == 204
    assert state(copy_id) == before


def test_an_admin_without_the_token_still_breaks_the_lock(api, admin, desk):
    copy_id, teacher = desk
    lock(api, teacher, copy_id)

    assert release(api, admin, copy_id) == 204
    status, _, lock_state, actions = state(copy_id)
    assert status == "READY" and lock_state is None and "lock.break" in actions
    breaks = [e for e in AuditEvent.copy_index.query(copy_id) if e.action == "lock.break"]
    assert breaks[0].metadata["holder"]


def test_an_admin_releases_their_own_lock_with_its_token(api, admin, desk):
    copy_id, _ = desk
    token = lock(api, admin, copy_id)

    assert release(api, admin, copy_id, token) == 204
    status, _, lock_state, actions = state(copy_id)
    assert status == "READY" and lock_state is None
    assert "lock.release" in actions and "lock.break" not in actions
