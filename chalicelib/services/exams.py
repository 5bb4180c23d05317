"""Exams: create, read, update, delete, the marking scheme and the assigned teachers."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib.domain import anonymous_ids, copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import SchemeError, leaves, normalise_scheme
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import Role
from chalicelib.errors import BadRequest, Conflict, NotFound, Unprocessable
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.questions import QuestionScore
from chalicelib.models.users import User
from chalicelib.services import audit, copy_reads


def get_exam(exam_id: str) -> Exam:
    """The exam or 404."""
    try:
        return Exam.get(exam_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such exam.", reason="exam_not_found") from error


def visible_exam(exam_id: str, caller: Principal) -> Exam:
    """The exam if the caller may see it (admins, its teachers), else 404."""
    exam = get_exam(exam_id)
    if caller.is_admin or (caller.role is Role.TEACHER and copy_reads.teaches(exam, caller)):
        return exam
    raise NotFound("No such exam.", reason="exam_not_found")


def copy_counts(exam_id: str) -> dict[str, int]:
    """Copies of the exam per status."""
    return dict(Counter(copy.status for copy in Copy.exam_index.query(exam_id)))


def serialise(exam: Exam, *, with_counts: bool = True) -> dict[str, Any]:
    """The API shape of an exam."""
    teacher_ids = sorted(exam.teacher_ids or [])
    teachers = (
        [{"id": user.id, "username": user.username} for user in User.batch_get(teacher_ids)]
        if teacher_ids
        else []
    )
    return {
        "id": exam.id,
        "name": exam.name,
        "subject": exam.subject,
        "date": exam.date,
        "upload_mode": exam.upload_mode,
        "pages_per_copy": int(exam.pages_per_copy) if exam.pages_per_copy else None,
        "split_a3": bool(exam.split_a3),
        "marking_scheme": exam.marking_scheme,
        "max_points": float(exam.max_points) if exam.max_points % 1 else int(exam.max_points),
        "teacher_ids": teacher_ids,
        "teachers": sorted(teachers, key=lambda teacher: teacher["username"]),
        "released_at": exam.released_at.isoformat() if exam.released_at else None,
        "grading_mode": exam.grading_mode or "COPY",
        "question_teachers": exam.question_teachers or {},
        "question_regions": exam.question_regions or {},
        "regrade_window_days": int(exam.regrade_window_days if exam.regrade_window_days is not None else 7),
        "copy_counts": copy_counts(exam.id) if with_counts else {},
        "created_at": exam.created_at.isoformat(),
    }


def _check_layout(upload_mode: str, pages_per_copy: int | None) -> None:
    if upload_mode == "BATCH" and not pages_per_copy:
        raise BadRequest(
            "A BATCH exam needs pages_per_copy (the pages of one student's copy).",
            reason="pages_per_copy_required",
        )


def create_exam(fields: dict[str, Any], *, actor: Principal, origin: Origin) -> Exam:
    """Create an exam (default total 20 until a marking scheme is saved)."""
    _check_layout(fields["upload_mode"], fields.get("pages_per_copy"))
    exam = Exam(
        uuid.uuid4().hex,
        name=fields["name"],
        subject=fields.get("subject") or "",
        date=fields["date"].isoformat() if isinstance(fields["date"], date) else fields["date"],
        upload_mode=fields["upload_mode"],
        pages_per_copy=fields.get("pages_per_copy") if fields["upload_mode"] == "BATCH" else None,
        split_a3=int(bool(fields.get("split_a3"))),
        anonymous_prefix=anonymous_ids.new_prefix(),
        max_points=20,
    )
    exam.save(condition=Exam.id.does_not_exist())
    audit.record(
        "exam.create",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam.id,
        exam_id=exam.id,
        metadata={"name": exam.name},
    )
    return exam


def list_exams(caller: Principal) -> list[Exam]:
    """Exams newest first: all of them for admins, the assigned ones for teachers."""
    exams = list(Exam.list_index.query("EXAM", scan_index_forward=False))
    if caller.is_admin:
        return exams
    return [exam for exam in exams if copy_reads.teaches(exam, caller)]


def _save_changes(exam: Exam, actions: list[Any]) -> Exam:
    try:
        exam.update(
            actions=[*actions, Exam.updated_at.set(utcnow()), Exam.version.add(1)],
            condition=Exam.version == exam.version,
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict(
                "The exam changed meanwhile; reload and try again.",
                reason="exam_changed",
            ) from error
        raise
    return exam


def update_exam(exam_id: str, fields: dict[str, Any], *, actor: Principal, origin: Origin) -> Exam:
    """Change an exam's settings; the layout is frozen once copies exist."""
    exam = get_exam(exam_id)
    layout_fields = {"upload_mode", "pages_per_copy", "split_a3"} & set(fields)
    if layout_fields and copy_counts(exam_id):
        raise Conflict("The upload layout cannot change once the exam has copies.", reason="layout_locked")
    mode = fields.get("upload_mode", exam.upload_mode)
    pages = fields.get("pages_per_copy", exam.pages_per_copy)
    _check_layout(mode, pages)
    if mode != "BATCH" and exam.pages_per_copy is not None:
        fields = {**fields, "pages_per_copy": None}
    actions = []
    for name, value in fields.items():
        if name == "date" and isinstance(value, date):
            value = value.isoformat()
        if name == "split_a3":
            value = int(bool(value))
        if name == "pages_per_copy" and mode != "BATCH":
            value = None
        attribute = getattr(Exam, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if not actions:
        return exam
    exam = _save_changes(exam, actions)
    audit.record(
        "exam.update",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam.id,
        exam_id=exam.id,
        metadata={"fields": sorted(fields)},
    )
    return exam


def delete_exam(exam_id: str, *, actor: Principal, origin: Origin) -> None:
    """Delete an exam that has no copy (409 otherwise; nothing is deleted)."""
    exam = get_exam(exam_id)
    if copy_counts(exam_id):
        raise Conflict("This exam has copies and cannot be deleted.", reason="exam_has_copies")
    try:
        exam.delete(condition=Exam.version == exam.version)
    except DeleteError as error:
        if condition_failed(error):
            raise Conflict(
                "The exam changed meanwhile; reload and try again.",
                reason="exam_changed",
            ) from error
        raise
    audit.record(
        "exam.delete",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"name": exam.name},
    )


def _question_scored(exam_id: str) -> bool:
    """True once a question of the exam has a score in question mode (its copies stay READY then)."""
    return next(iter(QuestionScore.exam_index.query(exam_id, limit=1)), None) is not None


def set_marking_scheme(exam_id: str, nodes: Any, *, actor: Principal, origin: Origin) -> Exam:
    """Validate and store the marking scheme; refused (409) once grading has started."""
    exam = get_exam(exam_id)
    if copy_status.GRADING_STARTED & set(copy_counts(exam_id)) or _question_scored(exam_id):
        raise Conflict(
            "Grading has started: the marking scheme can no longer change.",
            reason="scheme_locked",
        )
    try:
        tree, total = normalise_scheme(nodes)
    except SchemeError as error:
        raise Unprocessable(
            error.message,
            reason="scheme_invalid",
            extra={"path": error.path, "node_id": error.node_id},
        ) from error
    if exam.grading_mode == "QUESTION":
        from chalicelib.services import question_dispatch  # it builds on this module

        if len(leaves(tree)) > question_dispatch.MAX_QUESTIONS:
            raise question_dispatch.too_many_questions(len(leaves(tree)))
    exam = _save_changes(exam, [Exam.marking_scheme.set({"nodes": tree}), Exam.max_points.set(float(total))])
    audit.record(
        "exam.marking_scheme",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam.id,
        exam_id=exam.id,
        metadata={"max_points": str(total)},
    )
    return exam


# A removed teacher's copies that go back to dispatch; graded work (GRADING_IN_PROGRESS, GRADING_FAILED,
# GRADED) keeps its teacher for the record (an admin retries a failed render or reopens a graded copy).
RETURN_TO_DISPATCH = copy_status.RETURNABLE


def set_teachers(exam_id: str, teacher_ids: list[str], *, actor: Principal, origin: Origin) -> Exam:
    """Assign the teachers who grade the exam (each must be an active teacher).

    Exam membership is access: a removed teacher loses the exam's copies at once (the copy routes check
    membership), and their copies that are not graded return to dispatch (see ``RETURN_TO_DISPATCH``),
    their locks broken (audited ``lock.break``, reason ``teacher_removed``).
    """
    exam = get_exam(exam_id)
    wanted = sorted(set(teacher_ids))
    found = {user.id: user for user in User.batch_get(wanted)} if wanted else {}
    bad = [
        tid for tid in wanted if tid not in found or found[tid].role != Role.TEACHER or not found[tid].active
    ]
    if bad:
        raise BadRequest(
            f"Not an active teacher: {', '.join(bad)}.",
            reason="teachers_not_active",
            params={"names": ", ".join(bad)},
        )
    removed = sorted((exam.teacher_ids or set()) - set(wanted))
    action = Exam.teacher_ids.set(set(wanted)) if wanted else Exam.teacher_ids.remove()
    exam = _save_changes(exam, [action])
    unassigned = unassign_non_members(exam_id, set(wanted), actor=actor, origin=origin)
    audit.record(
        "exam.teachers",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam.id,
        exam_id=exam.id,
        metadata={"teacher_ids": wanted, "removed": removed, "unassigned": unassigned},
    )
    return exam


def unassign_non_members(exam_id: str, members: set[str], *, actor: Principal, origin: Origin) -> int:
    """Return to dispatch the exam's not-yet-graded copies held by someone no longer one of its teachers.

    Idempotent (a repeated call finishes an interrupted one); every write is conditional on the copy
    still being that teacher's and in the same state. The number of copies unassigned.
    """
    from chalicelib.services import locks

    count = 0
    for copy in Copy.exam_index.query(exam_id):
        teacher = copy.teacher_id
        if not teacher or teacher in members or copy.status not in RETURN_TO_DISPATCH:
            continue
        if copy.status == CopyStatus.LOCKED and locks.break_for_unassignment(
            copy, teacher, actor, origin, reason="teacher_removed"
        ):
            count += 1
            continue
        try:
            copy.update(
                actions=[Copy.teacher_id.remove(), Copy.updated_at.set(utcnow()), Copy.version.add(1)],
                condition=(Copy.teacher_id == teacher) & Copy.status.is_in(*RETURN_TO_DISPATCH),
            )
        except UpdateError as error:
            if condition_failed(error):
                continue  # graded or reassigned meanwhile: leave it
            raise
        count += 1
    return count
