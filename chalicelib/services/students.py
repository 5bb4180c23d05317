"""Student accounts an admin manages: reset a password, disable or enable, end sessions (one or many).

Every change sets the account's ``sessions_valid_after``, so sessions end at once even when the
sessions index has not caught up; the sessions the index lists are deleted too. Everything is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind
from chalicelib.errors import BadRequest, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import Enrolment, Student
from chalicelib.services import audit, auth, credentials, exams, passwords, sessions
from chalicelib.settings import get_settings

BulkAction = Literal["disable", "enable", "revoke_sessions"]


def serialise(student: Student) -> dict[str, Any]:
    """The admin-facing shape of a student account (never the password hash)."""
    expires = student.initial_password_expires_at
    return {
        "id": student.id,
        "last_name": student.last_name,
        "first_name": student.first_name,
        "email": student.email,
        "login_id": student.login_id,
        "class_name": student.class_name,
        "group": student.group,
        "student_number": student.student_number,
        "birth_date": student.birth_date,
        "active": bool(student.active),
        "must_change_password": bool(student.must_change_password),
        "initial_password_expires_at": expires.isoformat() if expires else None,
    }


def get_student(student_id: str) -> Student:
    """The student ``student_id`` or 404."""
    try:
        return Student.get(student_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such student.", reason="student_not_found") from error


def _exam_of(student: Student, exam_id: str | None) -> str:
    """The exam a single-student action is filed under: the given one (enrolled), else an enrolment's."""
    if exam_id:
        exams.get_exam(exam_id)
        try:
            Enrolment.get(exam_id, student.id, consistent_read=True)
        except DoesNotExist as error:
            raise BadRequest(
                "This student is not on that exam's roster.",
                reason="student_not_on_roster",
            ) from error
        return exam_id
    enrolment = next(iter(Enrolment.student_index.query(student.id, limit=1)), None)
    return enrolment.exam_id if enrolment else ""


def reset_password(
    student_id: str, *, actor: Principal, origin: Origin, exam_id: str | None = None
) -> str:
    """Issue a new initial password (to change at first sign-in, expiring); returns the sheet's token.

    Every session of the student ends; the password is only in the one-time credentials sheet.
    """
    student = get_student(student_id)
    filed_under = _exam_of(student, exam_id)
    password = passwords.generate_password(personal=auth.personal_words(student))
    now = utcnow()
    try:
        student.update(
            actions=[
                Student.password_hash.set(passwords.hash_password(password)),
                Student.must_change_password.set(True),
                Student.initial_password_expires_at.set(
                    now + timedelta(days=get_settings().initial_password_days)
                ),
                Student.sessions_valid_after.set(now),
                Student.updated_at.set(now),
                Student.version.add(1),
            ],
            condition=Student.id.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise NotFound("No such student.", reason="student_not_found") from error
        raise
    closed = sessions.close_all_sessions(student.id)
    auth.clear_sign_in_failures(PrincipalKind.STUDENT, student.id)
    sign_in = student.email or student.login_id or ""
    token = credentials.store_sheet(
        filed_under,
        actor,
        [(student.last_name, student.first_name, student.class_name or "", sign_in, password)],
    )
    audit.record(
        "student.password_reset",
        actor=actor,
        origin=origin,
        target_type="student",
        target_id=student.id,
        exam_id=filed_under or None,
        metadata={"sessions_closed": closed},
    )
    return token


def _apply(student_id: str, action: BulkAction) -> bool:
    """Apply ``action`` to one student with one conditional write; False when nothing changed."""
    now = utcnow()
    if action == "enable":
        actions = [Student.active.set(True)]
        condition = Student.id.exists() & (Student.active == False)  # noqa: E712 - a DynamoDB condition
    elif action == "disable":
        actions = [Student.active.set(False), Student.sessions_valid_after.set(now)]
        condition = Student.id.exists() & (Student.active == True)  # noqa: E712 - a DynamoDB condition
    else:
        actions = [Student.sessions_valid_after.set(now)]
        condition = Student.id.exists()
    try:
        Student(student_id).update(
            actions=[*actions, Student.updated_at.set(now), Student.version.add(1)], condition=condition
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    if action != "enable":
        sessions.close_all_sessions(student_id)
    return True


AUDIT_ACTIONS: dict[str, str] = {
    "enable": "student.enable",
    "disable": "student.disable",
    "revoke_sessions": "student.sessions_revoke",
}


def _record(student_id: str, action: BulkAction, changed: bool, *, actor: Principal, origin: Origin,
            exam_id: str | None = None, bulk: bool = False) -> None:
    audit.record(
        AUDIT_ACTIONS[action],
        actor=actor,
        origin=origin,
        target_type="student",
        target_id=student_id,
        exam_id=exam_id,
        metadata={"changed": changed, **({"bulk": True} if bulk else {})},
    )


def set_active(student_id: str, active: bool, *, actor: Principal, origin: Origin) -> Student:
    """Enable or disable a student account; disabling ends its sessions at once."""
    get_student(student_id)
    action: BulkAction = "enable" if active else "disable"
    changed = _apply(student_id, action)
    _record(student_id, action, changed, actor=actor, origin=origin)
    return get_student(student_id)


def revoke_sessions(student_id: str, *, actor: Principal, origin: Origin) -> None:
    """End every session of a student (they sign in again)."""
    get_student(student_id)
    _apply(student_id, "revoke_sessions")
    _record(student_id, "revoke_sessions", True, actor=actor, origin=origin)


def apply_to_exam_students(
    exam_id: str, student_ids: list[str], action: BulkAction, *, actor: Principal, origin: Origin
) -> int:
    """Apply ``action`` to students of one exam's roster; returns how many changed.

    Every id must be on the roster (else 400 naming the others, nothing changed).
    """
    exams.get_exam(exam_id)
    wanted = list(dict.fromkeys(student_ids))
    enrolled = {
        enrolment.student_id
        for enrolment in Enrolment.batch_get([(exam_id, sid) for sid in wanted], consistent_read=True)
    }
    strangers = [sid for sid in wanted if sid not in enrolled]
    if strangers:
        raise BadRequest(
            f"{len(strangers)} of these students are not on this exam's roster.",
            reason="students_not_on_roster",
            params={"n": len(strangers)},
            extra={"student_ids": strangers},
        )
    changed = 0
    for student_id in wanted:
        done = _apply(student_id, action)
        changed += done
        _record(student_id, action, done, actor=actor, origin=origin, exam_id=exam_id, bulk=True)
    return changed
