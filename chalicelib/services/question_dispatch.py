"""Question-first grading, the admin's side: dispatch an exam by question (each leaf of the marking
scheme to its teachers) or by copy, and where each question is on a copy (its page and box).

Both are one conditional write of the exam (its version as read) with the audit event in the same
transaction. Once an exam has been in question mode, ``question_slots`` stays set: copy-mode locks then
check the question locks of the copy (``chalicelib.services.locks.acquire``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.annotations import AnnotationError, normalise_geometry
from chalicelib.domain.marking_scheme import Leaf, leaves
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, Conflict, NotFound, Unprocessable
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.services import audit, exams
from chalicelib.services.copy_transitions import commit

MODES = ("COPY", "QUESTION")
MAX_PAGE = 999


def scheme_leaves(exam: Exam) -> list[Leaf]:
    """The exam's questions (leaves of its marking scheme) in reading order."""
    return leaves((exam.marking_scheme or {}).get("nodes", []))


def leaf_of(exam: Exam, question_id: str) -> Leaf:
    """The exam's question ``question_id``, or 404 ``question_not_found``."""
    for leaf in scheme_leaves(exam):
        if leaf.id == question_id:
            return leaf
    raise NotFound("This exam has no such question.", reason="question_not_found")


def assigned(exam: Exam, question_id: str, user_id: str) -> bool:
    """True when ``user_id`` is one of the teachers the question is dispatched to in question mode (and
    still one of the exam's teachers)."""
    return (
        exam.grading_mode == "QUESTION"
        and user_id in (exam.teacher_ids or set())
        and user_id in ((exam.question_teachers or {}).get(question_id) or [])
    )


def region_of(exam: Exam, question_id: str) -> dict[str, Any] | None:
    """Where the question is on a copy (page 0-based and box in 0..1), or None (its whole page)."""
    region = (exam.question_regions or {}).get(question_id)
    return dict(region) if region else None


def _unknown(question_id: str) -> BadRequest:
    return BadRequest(
        f"The marking scheme has no question {question_id}.",
        reason="question_unknown",
        params={"question": question_id},
    )


def _save(exam: Exam, actions: list[Any], action: str, caller: Principal, origin: Origin,
          metadata: dict[str, Any]) -> Exam:
    """Write ``actions`` on the exam as read (its version) with the audit event, in one transaction."""
    now = utcnow()
    event = audit.build_event(
        action, actor=caller, origin=origin, target_type="exam", target_id=exam.id, exam_id=exam.id,
        metadata=metadata,
    )

    def update(write) -> None:
        write.update(
            Exam(exam.id),
            actions=[*actions, Exam.updated_at.set(now), Exam.version.add(1)],
            condition=Exam.version == exam.version,
        )

    if commit([update], event) is not None:
        raise Conflict("The exam changed meanwhile; reload and try again.", reason="exam_changed")
    return exams.get_exam(exam.id)


# A copy-mode lock on an exam graded by question checks every question's lock, and finalising checks
# every question's score, each in one DynamoDB transaction (100 items at most): a bound with room left.
MAX_QUESTIONS = 40


def too_many_questions(count: int) -> Unprocessable:
    """422 for a scheme with more questions than question mode takes."""
    return Unprocessable(
        f"Question-by-question grading takes at most {MAX_QUESTIONS} questions (this scheme has {count}).",
        reason="question_mode_too_many",
        params={"max": MAX_QUESTIONS, "count": count},
    )


def dispatch(
    exam_id: str, mode: str, assignments: Mapping[str, list[str]], caller: Principal, origin: Origin
) -> Exam:
    """Grade the exam by copy or by question; in question mode every question needs a teacher of the
    exam (400 ``question_unknown`` / ``question_teacher_not_on_exam``, 422 ``question_unassigned``)."""
    exam = exams.get_exam(exam_id)
    questions = scheme_leaves(exam)
    known = {leaf.id for leaf in questions}
    teachers = exam.teacher_ids or set()
    clean: dict[str, list[str]] = {}
    for question_id, teacher_ids in assignments.items():
        if question_id not in known:
            raise _unknown(question_id)
        for teacher_id in teacher_ids:
            if teacher_id not in teachers:
                raise BadRequest(
                    f"{teacher_id} is not one of the exam's teachers.",
                    reason="question_teacher_not_on_exam",
                    params={"teacher": teacher_id},
                )
        if teacher_ids:
            clean[question_id] = sorted(set(teacher_ids))
    if mode == "QUESTION":
        if not questions:
            raise Unprocessable(
                "Save the marking scheme before dispatching its questions.", reason="scheme_invalid",
                extra={"path": "", "node_id": None},
            )
        if len(questions) > MAX_QUESTIONS:
            raise too_many_questions(len(questions))
        missing = [leaf for leaf in questions if leaf.id not in clean]
        if missing:
            raise Unprocessable(
                f"Question {missing[0].label} has no teacher.",
                reason="question_unassigned",
                params={"question": missing[0].label},
                extra={"missing": [leaf.id for leaf in missing]},
            )
    actions = [Exam.grading_mode.set(mode)]
    actions.append(Exam.question_teachers.set(clean) if clean else Exam.question_teachers.remove())
    if mode == "QUESTION":
        actions.append(Exam.question_slots.set(1))
    return _save(
        exam, actions, "exam.question_dispatch", caller, origin, {"mode": mode, "assignments": clean}
    )


def copy_pages(exam: Exam) -> int | None:
    """The pages of a copy of the exam: its layout, else the largest identified copy (None: no copy)."""
    if exam.pages_per_copy:
        return int(exam.pages_per_copy)
    counts = [int(copy.page_count or 0) for copy in Copy.exam_index.query(exam.id)]
    return max(counts) if counts else None


def set_regions(
    exam_id: str, regions: Mapping[str, Mapping[str, Any]], caller: Principal, origin: Origin
) -> Exam:
    """Replace where each question is on a copy: ``page`` (0-based, below the pages of a copy) and a
    box within the page (the rectangle rule of annotations). 400 naming the question otherwise."""
    exam = exams.get_exam(exam_id)
    known = {leaf.id for leaf in scheme_leaves(exam)}
    pages = copy_pages(exam) if regions else None
    clean: dict[str, dict[str, Any]] = {}
    for question_id, region in regions.items():
        if question_id not in known:
            raise _unknown(question_id)
        page = region.get("page")
        limit = pages if pages is not None else MAX_PAGE + 1
        if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page < limit:
            raise BadRequest(
                f"Question {question_id}: the page must be between 0 and {limit - 1}.",
                reason="region_page_out_of_range",
                params={"question": question_id, "max": limit - 1},
            )
        box = {key: value for key, value in region.items() if key != "page"}
        try:
            geometry = normalise_geometry("rect", box)
        except AnnotationError as error:
            raise BadRequest(
                f"Question {question_id}: {error}.",
                reason="region_invalid",
                params={"question": question_id},
            ) from error
        clean[question_id] = {"page": page, **geometry}
    action = Exam.question_regions.set(clean) if clean else Exam.question_regions.remove()
    return _save(exam, [action], "exam.question_regions", caller, origin, {"questions": sorted(clean)})
