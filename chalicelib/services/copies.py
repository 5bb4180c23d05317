"""Copies as admins and teachers see them: listing, identification, dispatch and reassignment."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import storage
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from chalicelib.models.ocr import OcrResult
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import User
from chalicelib.services import audit, exams
from chalicelib.services.mutex import exclusive

MOVABLE = ("STAGING", "READY")


def get_copy(copy_id: str) -> Copy:
    """The copy or 404."""
    try:
        return Copy.get(copy_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such copy.") from error


def visible_copy(copy_id: str, caller: Principal) -> Copy:
    """The copy if the caller may see it: admins all, a teacher only the copies dispatched to them (403)."""
    copy = get_copy(copy_id)
    if caller.is_admin:
        return copy
    if copy.teacher_id != caller.id:
        raise Forbidden("This copy is not assigned to you.")
    return copy


def student_name(student: Student) -> str:
    """How a student is shown to admins."""
    return f"{student.last_name.upper()} {student.first_name}"


def serialise(
    copy: Copy,
    *,
    students: dict[str, Student] | None = None,
    teachers: dict[str, User] | None = None,
    with_identity: bool,
) -> dict[str, Any]:
    """The API shape of a copy; ``with_identity`` is False for teachers (no student anywhere)."""
    data: dict[str, Any] = {
        "id": copy.id,
        "exam_id": copy.exam_id,
        "anonymous_id": copy.anonymous_id,
        "status": copy.status,
        "page_count": int(copy.page_count),
        "teacher_id": copy.teacher_id,
        "teacher_username": teachers[copy.teacher_id].username
        if teachers and copy.teacher_id in teachers
        else None,
        "grading_error": copy.grading_error,
        "updated_at": copy.updated_at.isoformat(),
    }
    if with_identity:
        student = (students or {}).get(copy.student_id or "")
        data["upload_id"] = copy.upload_id
        data["student"] = {"id": student.id, "name": student_name(student)} if student else None
    return data


def list_copies(exam_id: str, caller: Principal) -> list[dict[str, Any]]:
    """Admins: every copy with its identity; teachers: their own copies, anonymous."""
    exam = exams.visible_exam(exam_id, caller)
    if caller.is_admin:
        copies = list(Copy.exam_index.query(exam.id))
    else:
        copies = sorted(
            Copy.teacher_index.query(caller.id, Copy.exam_id == exam.id), key=lambda copy: copy.anonymous_id
        )
    teacher_ids = {copy.teacher_id for copy in copies if copy.teacher_id}
    teachers = {user.id: user for user in User.batch_get(list(teacher_ids))} if teacher_ids else {}
    students: dict[str, Student] = {}
    if caller.is_admin:
        student_ids = list({copy.student_id for copy in copies if copy.student_id})
        students = {s.id: s for s in Student.batch_get(student_ids)} if student_ids else {}
    return [
        serialise(copy, students=students, teachers=teachers, with_identity=caller.is_admin)
        for copy in copies
    ]


def identification_queue(exam_id: str) -> list[dict[str, Any]]:
    """STAGING copies with header image, OCR text and ranked suggestions (batch-level auto matches)."""
    from chalicelib.services.matching import batch_auto_matches

    exams.get_exam(exam_id)
    copies = [copy for copy in Copy.exam_index.query(exam_id) if copy.status == "STAGING"]
    results = {r.copy_id: r for r in OcrResult.batch_get([c.id for c in copies])} if copies else {}
    taken = {copy.student_id for copy in Copy.exam_index.query(exam_id) if copy.student_id}
    auto = batch_auto_matches({cid: r.suggestions for cid, r in results.items()}, exclude=taken)
    queue = []
    for copy in copies:
        result = results.get(copy.id)
        queue.append(
            {
                "id": copy.id,
                "anonymous_id": copy.anonymous_id,
                "upload_id": copy.upload_id,
                "header_url": storage.presigned_get(storage.header_key(exam_id, copy.id)),
                "ocr_text": result.text if result else None,
                "ocr_status": "done" if result else "pending",
                "suggestions": result.suggestions if result else [],
                "auto_student_id": auto.get(copy.id),
            }
        )
    return queue


def identify(copy_id: str, student_id: str, *, actor: Principal, origin: Origin) -> Copy:
    """STAGING → READY for the given student of the exam's roster (conditional: one winner)."""
    copy = get_copy(copy_id)
    try:
        Enrolment.get(copy.exam_id, student_id)
    except DoesNotExist as error:
        raise BadRequest("This student is not on the exam's roster.") from error
    other = next(iter(Copy.student_index.query(student_id, Copy.exam_id == copy.exam_id)), None)
    if other is not None and other.id != copy.id:
        raise Conflict(f"This student is already identified on copy {other.anonymous_id}.")
    try:
        copy.update(
            actions=[
                Copy.status.set("READY"),
                Copy.student_id.set(student_id),
                Copy.updated_at.set(utcnow()),
                Copy.version.add(1),
            ],
            condition=Copy.status == "STAGING",
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict("This copy is already identified.") from error
        raise
    audit.record(
        "copy.identify",
        actor=actor,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"student_id": student_id},
    )
    return copy


def _is_locked(copy_id: str) -> bool:
    try:
        lock = Lock.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return False
    return lock.expires_at > utcnow()


def dispatch(exam_id: str, *, actor: Principal, origin: Origin) -> dict[str, Any]:
    """Give every READY, unassigned copy to the least-loaded teacher (max − min ≤ 1 across runs)."""
    exam = exams.get_exam(exam_id)
    teachers = sorted(exam.teacher_ids or [])
    if not teachers:
        raise BadRequest("Assign teachers to the exam before dispatching.")
    with exclusive(
        f"dispatch#{exam_id}",
        holder=actor.id,
        busy="Another dispatch of this exam is running; try again in a moment.",
    ):
        copies = list(Copy.exam_index.query(exam_id))
        load = Counter({teacher: 0 for teacher in teachers})
        load.update(copy.teacher_id for copy in copies if copy.teacher_id in load)
        assigned = 0
        for copy in copies:
            if copy.status != "READY" or (copy.teacher_id in load) or _is_locked(copy.id):
                continue
            teacher = min(teachers, key=lambda t: (load[t], t))
            try:
                copy.update(
                    actions=[
                        Copy.teacher_id.set(teacher),
                        Copy.updated_at.set(utcnow()),
                        Copy.version.add(1),
                    ],
                    condition=(Copy.status == "READY") & (Copy.version == copy.version),
                )
            except UpdateError as error:
                if condition_failed(error):
                    continue  # changed meanwhile (locked, reassigned): leave it
                raise
            load[teacher] += 1
            assigned += 1
    distribution = {teacher: load[teacher] for teacher in teachers}
    audit.record(
        "exam.dispatch",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"assigned": assigned, "distribution": distribution},
    )
    return {"assigned": assigned, "distribution": distribution}


def reassign(copy_id: str, teacher_id: str, *, actor: Principal, origin: Origin) -> Copy:
    """Move one copy to another of the exam's teachers; never a locked or graded copy."""
    copy = get_copy(copy_id)
    exam = exams.get_exam(copy.exam_id)
    if teacher_id not in (exam.teacher_ids or set()):
        raise BadRequest("That teacher does not grade this exam.")
    if copy.status not in MOVABLE or _is_locked(copy.id):
        raise Conflict("A copy that is being graded or is graded cannot move.")
    previous = copy.teacher_id
    try:
        copy.update(
            actions=[Copy.teacher_id.set(teacher_id), Copy.updated_at.set(utcnow()), Copy.version.add(1)],
            condition=Copy.status.is_in(*MOVABLE) & (Copy.version == copy.version),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict("The copy changed meanwhile; reload and try again.") from error
        raise
    audit.record(
        "copy.reassign",
        actor=actor,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"from": previous, "to": teacher_id},
    )
    return copy


IDENTITY_ACTIONS = frozenset({"copy.identify"})
IDENTITY_KEYS = frozenset({"student_id", "student", "name", "email"})


def history(copy: Copy, caller: Principal) -> list[dict[str, Any]]:
    """The copy's audit timeline, oldest first; teachers never see identification details."""
    from datetime import timedelta

    events = audit.query(
        since=copy.created_at - timedelta(minutes=1), until=utcnow(), copy_id=copy.id, limit=1000
    )
    timeline = []
    for event in reversed(events):
        item = audit.serialise(event)
        if not caller.is_admin:
            if event.action in IDENTITY_ACTIONS:
                continue
            item["metadata"] = {k: v for k, v in (item["metadata"] or {}).items() if k not in IDENTITY_KEYS}
            item.pop("ip", None)
        timeline.append(item)
    return timeline


def teacher_copies(caller: Principal) -> list[dict[str, Any]]:
    """Every copy dispatched to the caller, with its exam's name, anonymous."""
    from chalicelib.models.exams import Exam

    copies = list(Copy.teacher_index.query(caller.id))
    exam_ids = list({copy.exam_id for copy in copies})
    names = {exam.id: exam.name for exam in Exam.batch_get(exam_ids)} if exam_ids else {}
    return [
        {**serialise(copy, with_identity=False), "exam_name": names.get(copy.exam_id, "")}
        for copy in sorted(copies, key=lambda c: (names.get(c.exam_id, ""), c.anonymous_id))
    ]
