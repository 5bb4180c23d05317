"""Question locks at the service level: one holder per copy and question, free across questions; a
copy-mode lock and question locks exclude each other whichever comes first, even from a process whose
exam snapshot predates the switch to question mode; the exam changed since the snapshot is read again;
every refusal writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.errors import Conflict, Forbidden
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock
from chalicelib.services import copy_reads, locks, question_locks

ORIGIN = Origin(ip="test")
SCHEME = {"nodes": [{"id": "q1", "label": "Q1", "points": 4, "children": []},
                    {"id": "q2", "label": "Q2", "points": 6, "children": []}]}


def person(user_id: str, role: Role = Role.TEACHER) -> Principal:
    return Principal(user_id, PrincipalKind.STAFF, role, user_id, "s", "c", False)


ALICE, BOB, ADMIN = person("alice"), person("bob"), person("boss", Role.ADMIN)


@pytest.fixture
def exam(mocked_aws: None) -> Exam:
    aws.connect()
    stored = Exam("e1", name="Devoir", date="2026-11-30", upload_mode="BATCH", pages_per_copy=2,
                  marking_scheme=SCHEME, max_points=10, anonymous_prefix="ABCD",
                  teacher_ids={"alice", "bob"}, grading_mode="QUESTION",
                  question_teachers={"q1": ["alice"], "q2": ["bob"]}, question_slots=1)
    stored.save()
    Copy("c1", exam_id="e1", upload_id="u", anonymous_id="ABCD-001", status="READY", page_count=2).save()
    return Exam.get("e1", consistent_read=True)


def audit_actions() -> list[str]:
    return sorted(event.action for event in AuditEvent.copy_index.query("c1"))


def test_two_questions_of_one_copy_are_locked_by_two_teachers_at_once(exam):
    first = question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    second = question_locks.acquire("c1", "q2", BOB, ORIGIN)
    assert first.created and second.created
    assert Lock.get("c1#q1").holder_id == "alice" and Lock.get("c1#q2").holder_id == "bob"
    assert Copy.get("c1").status == "READY"
    again = question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    assert (again.token, again.created) == (first.token, False)


def test_a_question_lock_is_refused_to_a_teacher_it_is_not_dispatched_to(exam):
    with pytest.raises(Forbidden) as refused:
        question_locks.acquire("c1", "q2", ALICE, ORIGIN)
    assert refused.value.reason == "question_not_assigned" and Lock.count("c1#q2") == 0


def test_a_lock_taken_meanwhile_by_another_grader_wins(exam):
    Exam("e1").update(actions=[Exam.question_teachers.set({"q1": ["alice", "bob"], "q2": ["bob"]})])
    question_locks.acquire("c1", "q1", BOB, ORIGIN)
    with pytest.raises(Conflict) as refused:
        question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    assert refused.value.reason == "lock_held_by_other" and refused.value.params == {"name": "bob"}
    assert Lock.get("c1#q1").holder_id == "bob"


def test_an_expired_question_lock_is_taken_over(exam):
    question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    Lock("c1#q1").update(actions=[Lock.expires_at.set(utcnow() - timedelta(seconds=1))])
    Exam("e1").update(actions=[Exam.question_teachers.set({"q1": ["alice", "bob"], "q2": ["bob"]}),
                               Exam.version.add(1)])
    grant = question_locks.acquire("c1", "q1", BOB, ORIGIN)
    assert grant.created and Lock.get("c1#q1").holder_id == "bob"


def test_a_copy_mode_lock_is_refused_while_a_question_lock_is_live_and_the_reverse(exam):
    question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    with pytest.raises(Conflict) as refused:
        locks.acquire("c1", ADMIN, ORIGIN)
    assert refused.value.reason == "question_locks_live"
    assert Copy.get("c1").status == "READY" and Lock.count("c1") == 0

    question_locks.release("c1", "q1", ALICE, Lock.get("c1#q1").token, ORIGIN)
    assert locks.acquire("c1", ADMIN, ORIGIN).created
    with pytest.raises(Conflict) as refused:
        question_locks.acquire("c1", "q2", BOB, ORIGIN)
    assert refused.value.reason == "copy_locked_whole" and Lock.count("c1#q2") == 0


def test_a_copy_mode_lock_with_an_old_snapshot_still_sees_the_question_locks(exam):
    Exam("e1").update(actions=[Exam.grading_mode.set("COPY"), Exam.question_slots.set(0)])
    copy_reads.exam_snapshot("e1", fresh=True)  # this process saw the exam never in question mode
    Exam("e1").update(actions=[Exam.grading_mode.set("QUESTION"), Exam.question_slots.set(1),
                               Exam.version.add(1)])
    question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    copy_reads.forget_all()
    with pytest.raises(Conflict) as refused:
        locks.acquire("c1", ADMIN, ORIGIN)
    assert refused.value.reason == "question_locks_live"


def test_a_copy_mode_lock_of_an_exam_never_in_question_mode_checks_no_question_lock(exam):
    Exam("e1").update(actions=[Exam.grading_mode.set("COPY"), Exam.question_slots.set(0)])
    later = utcnow() + timedelta(minutes=5)
    Lock("c1#q1", token="t", holder_id="x", holder_name="x", expires_at=later, ttl=later).save()
    assert locks.acquire("c1", ADMIN, ORIGIN).created  # the stray item is not consulted


def test_the_question_lock_checks_the_exam_it_was_granted_on(exam):
    question_locks.read("c1", "q1", ALICE)  # snapshot kept
    Exam("e1").update(actions=[Exam.question_teachers.set({"q1": ["bob"], "q2": ["bob"]}),
                               Exam.version.add(1)])
    with pytest.raises(Forbidden):
        question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    assert Lock.count("c1#q1") == 0


def test_release_is_idempotent_and_an_admin_break_is_audited(exam):
    grant = question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    question_locks.release("c1", "q1", ALICE, grant.token, ORIGIN)
    question_locks.release("c1", "q1", ALICE, grant.token, ORIGIN)
    assert Lock.count("c1#q1") == 0 and audit_actions().count("question_lock.release") == 1

    question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    question_locks.release("c1", "q1", ADMIN, None, ORIGIN)
    assert Lock.count("c1#q1") == 0 and "question_lock.break" in audit_actions()


def test_a_heartbeat_needs_the_live_lock(exam):
    grant = question_locks.acquire("c1", "q1", ALICE, ORIGIN)
    assert question_locks.heartbeat("c1", "q1", ALICE, grant.token) > grant.expires_at - timedelta(seconds=1)
    with pytest.raises(Conflict) as refused:
        question_locks.heartbeat("c1", "q1", ALICE, "not-the-token")
    assert refused.value.reason == "lock_lost"
