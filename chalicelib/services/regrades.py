"""Regrade requests (issue 15): after release, a student asks for one question of their copy to be looked
at again; the teacher who graded it (or an admin) answers, possibly with a new score.

One ``RegradeRequest`` per copy and question: filing is a conditional put (nothing stored, or an answered
request whose exchange moves to ``history``) with the copy and the exam's release and window checked in
the same transaction. Answering is conditional on the request's version; a new score rebuilds the copy's
score sheet (question mode: the ``QuestionScore`` recomputed from its rubric items; copy mode: the one
leaf changed) and goes through ``rescoring.rescore``: the copy is re-rendered and stays released.

Who grades a question of a copy: in question mode the ``QuestionScore``'s ``graded_by`` (a regrade answer
keeps it), otherwise the teacher the copy is dispatched to. Teachers never see the student's identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import aws
from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import Leaf
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.rubric import Applied, RubricError, check_adjustment, question_score
from chalicelib.domain.scoring import scheme_leaves, score_problem, total
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import QuestionScore, RegradeRequest, RubricItem
from chalicelib.models.students import Student
from chalicelib.services import audit, copy_reads, exams, page_views, rescoring, rubrics
from chalicelib.services.copy_transitions import Item, TransitionLost, commit

OPEN, ANSWERED = "OPEN", "ANSWERED"
STATUSES = (OPEN, ANSWERED)
MAX_TEXT = 2000
NO_RESULT = "No such result."
NOT_YOURS = "This regrade request is not on a question you graded."


# --- reading --------------------------------------------------------------------------------------------


def shown_to_student(copy: Copy) -> bool:
    """True when the copy's result is in its student's portal (its exam being released): GRADED, or
    being re-rendered after a change of scores (it keeps its previous final PDF meanwhile)."""
    return copy_status.has_result(copy.status, bool(copy.final_pdf_key))


def window_closes_at(exam: Exam) -> datetime | None:
    """When students stop being able to file requests on the exam (None: not released, or no window)."""
    days = int(exam.regrade_window_days if exam.regrade_window_days is not None else 7)
    if exam.released_at is None or days <= 0:
        return None
    return exam.released_at + timedelta(days=days)


def window_open(exam: Exam, now: datetime | None = None) -> bool:
    """True while the exam's regrade window is open."""
    closes = window_closes_at(exam)
    return closes is not None and (now or utcnow()) < closes


def _leaf(exam: Exam, question_id: str) -> Leaf | None:
    return scheme_leaves(exam.marking_scheme).get(question_id)


def _label(exam: Exam, question_id: str) -> str:
    leaf = _leaf(exam, question_id)
    return leaf.label if leaf else question_id


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def serialise(
    request: RegradeRequest, exam: Exam, copy: Copy, *, student_name: str | None = None
) -> dict[str, Any]:
    """The API shape of a request (``student_name`` only for admins)."""
    shape: dict[str, Any] = {
        "copy_id": request.copy_id,
        "exam_id": request.exam_id,
        "exam_name": exam.name,
        "anonymous_id": copy.anonymous_id,
        "question_id": request.question_id,
        "question_label": _label(exam, request.question_id),
        "status": request.status,
        "message": request.message,
        "answer": request.answer,
        "score_before": _number(request.score_before),
        "score_after": _number(request.score_after),
        "answered_by_name": request.answered_by_name,
        "created_at": request.created_at.isoformat(),
        "answered_at": request.answered_at.isoformat() if request.answered_at else None,
        "version": int(request.version),
    }
    if student_name is not None:
        shape["student_name"] = student_name
    return shape


def _student_names(copies: Iterable[Copy]) -> dict[str, str]:
    ids = sorted({copy.student_id for copy in copies if copy.student_id})
    found = aws.batch_get(*(Student(student_id) for student_id in ids)) if ids else []
    return {
        student.id: f"{student.first_name} {student.last_name}".strip()
        for student in found
        if isinstance(student, Student)
    }


def _current_score(
    question: QuestionScore | None, sheet: ScoreSheet | None, question_id: str
) -> float | None:
    if question is not None and question.score is not None:
        return float(question.score)
    value = (sheet.scores or {}).get(question_id) if sheet else None
    return None if value is None else float(value)


def _question_mode(question: QuestionScore | None) -> bool:
    """A question graded in question mode (its score comes from rubric items) rather than on the copy."""
    return question is not None and question.score is not None


def graders(copy: Copy, question: QuestionScore | None) -> set[str]:
    """Who graded this question of the copy: the question's grader in question mode, else the copy's
    teacher."""
    if _question_mode(question) and question is not None and question.graded_by:
        return {question.graded_by}
    return {copy.teacher_id} if copy.teacher_id else set()


def may_answer(caller: Principal, copy: Copy, exam: Exam, question: QuestionScore | None) -> bool:
    """Admins answer everything; a teacher the questions they graded, while they teach the exam."""
    return caller.is_admin or (copy_reads.teaches(exam, caller) and caller.id in graders(copy, question))


# --- students -------------------------------------------------------------------------------------------


def _own_copy(student: Principal, copy_id: str) -> tuple[Copy, Exam]:
    """The student's copy and its exam when its result is released to them; 404 otherwise."""
    try:
        copy = Copy.get(copy_id, consistent_read=True)
        exam = Exam.get(copy.exam_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound(NO_RESULT, reason="result_not_found") from error
    if copy.student_id != student.id or exam.released_at is None or not shown_to_student(copy):
        raise NotFound(NO_RESULT, reason="result_not_found")
    return copy, exam


def student_overview(student: Principal, copy_id: str) -> dict[str, Any]:
    """The regrade side of one of the student's released copies: the window, the questions with their
    scores, and the requests filed."""
    copy, exam = _own_copy(student, copy_id)
    sheet = aws.batch_get(ScoreSheet(copy.id))[0]
    scores = (sheet.scores if isinstance(sheet, ScoreSheet) else None) or {}
    closes = window_closes_at(exam)
    return {
        "window_closes_at": closes.isoformat() if closes else None,
        "can_request": window_open(exam),
        "questions": [
            {
                "id": leaf.id,
                "label": leaf.label,
                "score": _number(scores.get(leaf.id)),
                "max_points": float(leaf.max_points),
            }
            for leaf in scheme_leaves(exam.marking_scheme).values()
        ],
        "requests": [serialise(request, exam, copy) for request in RegradeRequest.query(copy.id)],
    }


def _closed_window() -> Conflict:
    return Conflict("The time to ask for a regrade of this exam is over.", reason="regrade_window_closed")


def _already_open() -> Conflict:
    return Conflict(
        "A regrade request on this question is already waiting for an answer.", reason="regrade_open"
    )


def _released_as_read(exam: Exam) -> Any:
    """The exam still released at the same time, with the same window, as when it was read."""
    condition = Exam.released_at == exam.released_at
    days = exam.regrade_window_days
    same_window = Exam.regrade_window_days == days
    if days is None or int(days) == 7:  # the default: older exams may not store it
        same_window |= Exam.regrade_window_days.does_not_exist()
    return condition & same_window


def file_request(
    student: Principal, copy_id: str, question_id: str, message: str, origin: Origin
) -> dict[str, Any]:
    """File a request on one question of the student's released copy (201), within the window.

    One transaction: the request put on the condition that none is stored or the stored one is the
    answered version read (its exchange then moves to ``history``), the copy still the student's and
    shown, the exam still released with the same window, and the ``regrade.request`` event.
    """
    copy, exam = _own_copy(student, copy_id)
    leaf = _leaf(exam, question_id)
    if leaf is None:
        raise BadRequest(
            "This question is not in the exam's marking scheme.",
            reason="question_unknown",
            params={"question_id": question_id},
        )
    if not window_open(exam):
        raise _closed_window()
    previous, question, sheet = aws.batch_get(
        RegradeRequest(copy_id, question_id), QuestionScore(copy_id, question_id), ScoreSheet(copy_id)
    )
    history: list[dict[str, Any]] = []
    if isinstance(previous, RegradeRequest):
        if previous.status == OPEN:
            raise _already_open()
        history = [*(previous.history or []), _exchange(previous)]
        condition = (RegradeRequest.status == ANSWERED) & (RegradeRequest.version == previous.version)
    else:
        condition = RegradeRequest.copy_id.does_not_exist()
    now = utcnow()
    request = RegradeRequest(
        copy_id,
        question_id,
        exam_id=exam.id,
        student_id=student.id,
        status=OPEN,
        message=message,
        score_before=_current_score(
            question if isinstance(question, QuestionScore) else None,
            sheet if isinstance(sheet, ScoreSheet) else None,
            question_id,
        ),
        history=history,
        created_at=now,
        updated_at=now,
        version=int(previous.version) + 1 if isinstance(previous, RegradeRequest) else 1,
    )
    shown = (Copy.student_id == student.id) & Copy.final_pdf_key.exists() & Copy.status.is_in(
        *copy_status.FINISHED, *copy_status.RERENDERING
    )
    reasons = commit(
        [
            lambda write: write.save(request, condition=condition),
            lambda write: write.condition_check(Copy, copy.id, condition=shown),
            lambda write: write.condition_check(Exam, exam.id, condition=_released_as_read(exam)),
        ],
        audit.copy_event(
            "regrade.request",
            copy,
            actor=student,
            origin=origin,
            metadata={"question_id": question_id, "message": message, "replaces": len(history)},
        ),
    )
    if reasons is not None:
        _refused_filing(student, copy_id, question_id)
    return serialise(request, exam, copy)


def _refused_filing(student: Principal, copy_id: str, question_id: str) -> None:
    """Why a filing's transaction was refused, read again: 404, window closed, already open, or changed."""
    _, exam = _own_copy(student, copy_id)
    if not window_open(exam):
        raise _closed_window()
    stored = aws.batch_get(RegradeRequest(copy_id, question_id))[0]
    if isinstance(stored, RegradeRequest) and stored.status == OPEN:
        raise _already_open()
    raise Conflict("The request changed meanwhile; reload and try again.", reason="regrade_changed")


def _exchange(request: RegradeRequest) -> dict[str, Any]:
    """An answered request as kept in the ``history`` of the one replacing it."""
    return {
        "message": request.message,
        "answer": request.answer,
        "answered_by_name": request.answered_by_name,
        "created_at": request.created_at.isoformat(),
        "answered_at": request.answered_at.isoformat() if request.answered_at else None,
        "score_before": _number(request.score_before),
        "score_after": _number(request.score_after),
    }


# --- staff lists ----------------------------------------------------------------------------------------


def _listing(
    requests: Sequence[RegradeRequest], exams_by_id: dict[str, Exam], caller: Principal
) -> list[dict[str, Any]]:
    """The requests the caller may see, serialised (two batched reads: copies and question scores)."""
    if not requests:
        return []
    found = aws.batch_get(
        *(Copy(request.copy_id) for request in requests),
        *(QuestionScore(request.copy_id, request.question_id) for request in requests),
    )
    copies, questions = found[: len(requests)], found[len(requests) :]
    shown = []
    for request, copy, question in zip(requests, copies, questions, strict=True):
        exam = exams_by_id.get(request.exam_id)
        if not isinstance(copy, Copy) or exam is None:
            continue
        graded = question if isinstance(question, QuestionScore) else None
        if may_answer(caller, copy, exam, graded):
            shown.append((request, exam, copy))
    names = _student_names(copy for _, _, copy in shown) if caller.is_admin else {}
    return [
        serialise(
            request,
            exam,
            copy,
            student_name=names.get(copy.student_id or "", "") if caller.is_admin else None,
        )
        for request, exam, copy in shown
    ]


def _exam_requests(exam_id: str, status: str | None) -> list[RegradeRequest]:
    options: dict[str, Any] = {}
    if status:
        options["filter_condition"] = RegradeRequest.status == status
    return list(RegradeRequest.exam_index.query(exam_id, **options))


def queue(caller: Principal, status: str | None = None) -> list[dict[str, Any]]:
    """A teacher's queue (requests on the questions they graded, in the released exams they teach); an
    admin's: every released exam's. Oldest first within an exam, newest exam first."""
    released = [exam for exam in exams.list_exams(caller) if exam.released_at is not None]
    by_id = {exam.id: exam for exam in released}
    requests = [request for exam in released for request in _exam_requests(exam.id, status)]
    return _listing(requests, by_id, caller)


def exam_requests(exam_id: str, caller: Principal, status: str | None = None) -> list[dict[str, Any]]:
    """Every request of one exam with its state (admins), oldest first."""
    exam = exams.get_exam(exam_id)
    return _listing(_exam_requests(exam_id, status), {exam.id: exam}, caller)


# --- one request ----------------------------------------------------------------------------------------


@dataclass
class Regrade:
    """A request with what answering it needs, read in one batch after the request itself."""

    request: RegradeRequest
    copy: Copy
    exam: Exam
    question: QuestionScore | None
    sheet: ScoreSheet | None

    @property
    def question_mode(self) -> bool:
        return _question_mode(self.question)

    @property
    def current(self) -> float | None:
        return _current_score(self.question, self.sheet, self.request.question_id)


def _not_found() -> NotFound:
    return NotFound("No such regrade request.", reason="regrade_not_found")


def read(copy_id: str, question_id: str, caller: Principal) -> Regrade:
    """The request and its copy, exam, question score and score sheet: 404 when there is none (or the
    caller does not teach its exam), 403 for a teacher who did not grade the question."""
    request, copy, question, sheet = aws.batch_get(
        RegradeRequest(copy_id, question_id), Copy(copy_id), QuestionScore(copy_id, question_id),
        ScoreSheet(copy_id),
    )
    if not isinstance(request, RegradeRequest) or not isinstance(copy, Copy):
        raise _not_found()
    try:
        exam = Exam.get(copy.exam_id, consistent_read=True)
    except DoesNotExist as error:
        raise _not_found() from error
    graded = question if isinstance(question, QuestionScore) else None
    if not caller.is_admin and not copy_reads.teaches(exam, caller):
        raise _not_found()
    if not may_answer(caller, copy, exam, graded):
        raise Forbidden(NOT_YOURS, reason="regrade_not_yours")
    return Regrade(request, copy, exam, graded, sheet if isinstance(sheet, ScoreSheet) else None)


def _page(copy_id: str, index: int, caller: Principal) -> dict[str, Any] | None:
    page = aws.batch_get(Page(copy_id, index))[0]
    return page_views.page_view(page, caller) if isinstance(page, Page) else None


def detail(copy_id: str, question_id: str, caller: Principal) -> dict[str, Any]:
    """The request with its question (and region), the question's page (masked for teachers), its current
    score and the question's rubric."""
    seen = read(copy_id, question_id, caller)
    exam, copy = seen.exam, seen.copy
    leaf = _leaf(exam, question_id)
    region = (exam.question_regions or {}).get(question_id)
    page_index = int(region.get("page", 0)) if isinstance(region, dict) else 0
    if seen.question_mode and seen.question is not None:
        score: dict[str, Any] = {
            "rubric_item_ids": list(seen.question.rubric_item_ids or []),
            "adjustment": float(seen.question.adjustment or 0),
            "score": _number(seen.question.score),
            "remark": seen.question.remark or "",
            "complete": bool(seen.question.complete),
            "version": int(seen.question.version),
        }
    else:
        score = {"score": seen.current}
    rubric = sorted(
        (
            item
            for item in RubricItem.query(exam.id, filter_condition=RubricItem.question_id == question_id)
            if not item.deleted
        ),
        key=lambda item: (int(item.position or 0), item.created_at),
    )
    names = _student_names([copy]) if caller.is_admin else {}
    return {
        **serialise(
            seen.request,
            exam,
            copy,
            student_name=names.get(copy.student_id or "", "") if caller.is_admin else None,
        ),
        "mode": "QUESTION" if seen.question_mode else "COPY",
        "question": {
            "id": question_id,
            "label": leaf.label if leaf else question_id,
            "max_points": float(leaf.max_points) if leaf else 0.0,
            "region": region if isinstance(region, dict) else None,
        },
        "page": _page(copy.id, page_index, caller),
        "score": score,
        "rubric": [rubrics.serialise(item) for item in rubric],
    }


# --- answering ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewScore:
    """What an answer changes: copy mode a score; question mode the items applied and the adjustment."""

    score: float | None = None
    rubric_item_ids: list[str] | None = None
    adjustment: float | None = None

    @property
    def given(self) -> bool:
        return self.score is not None or self.rubric_item_ids is not None or self.adjustment is not None


def _invalid(message: str, question_id: str) -> BadRequest:
    return BadRequest(message, reason="score_invalid", extra={"node_id": question_id})


def _invalid_question(message: str, question_id: str) -> BadRequest:
    return BadRequest(message, reason="question_score_invalid", extra={"node_id": question_id})


def _exam_items(exam_id: str) -> dict[str, RubricItem]:
    return {item.id: item for item in RubricItem.query(exam_id)}


def _raw(applied: Sequence[Applied]) -> Decimal:
    """The items' worth before any adjustment or clamping (the base of a manual score)."""
    base = next((item.points for item in applied if item.kind == "absolute"), Decimal(0))
    return base + sum((item.points for item in applied if item.kind == "delta"), Decimal(0))


def _rescored_question(
    seen: Regrade, leaf: Leaf, change: NewScore, items: dict[str, RubricItem]
) -> QuestionScore:
    """The question score with the answer's items and adjustment (or a manual score as the adjustment on
    top of the items), recomputed by the rubric rule; 400 for an item of another question or a bad value."""
    current = seen.question
    assert current is not None
    ids = list(current.rubric_item_ids or []) if change.rubric_item_ids is None else change.rubric_item_ids
    if len(set(ids)) != len(ids):
        raise BadRequest("A rubric item is applied at most once.", reason="rubric_item_repeated")
    kept = set(current.rubric_item_ids or [])
    applied = []
    for item_id in ids:
        item = items.get(item_id)
        if item is None or item.question_id != leaf.id or (item.deleted and item_id not in kept):
            raise BadRequest(
                "This rubric item is not one of the question's.",
                reason="rubric_item_unknown",
                params={"item": item_id},
            )
        applied.append(Applied(item.kind, Decimal(str(item.points))))
    try:
        if change.score is not None:
            problem = score_problem(Decimal(str(change.score)), leaf.max_points)
            if problem:
                raise _invalid(f"The score of {leaf.label} {problem}.", leaf.id)
            adjustment = check_adjustment(float(Decimal(str(change.score)) - _raw(applied)), leaf.max_points)
        elif change.adjustment is not None:
            adjustment = check_adjustment(change.adjustment, leaf.max_points)
        else:
            adjustment = Decimal(str(current.adjustment or 0))
        score = question_score(applied, adjustment, leaf.max_points)
    except RubricError as error:
        raise _invalid_question(f"Invalid score: {error}.", leaf.id) from error
    return QuestionScore(
        current.copy_id,
        current.question_id,
        exam_id=current.exam_id,
        rubric_item_ids=ids,
        adjustment=float(adjustment),
        score=float(score),
        remark=current.remark,
        complete=True,
        graded_by=current.graded_by,
        graded_by_name=current.graded_by_name,
        updated_at=utcnow(),
        version=int(current.version) + 1,
    )


def answer(
    copy_id: str, question_id: str, caller: Principal, version: int, text: str, change: NewScore,
    origin: Origin,
) -> dict[str, Any]:
    """Answer an open request seen at ``version``: the answer, and with a changed score the copy re-scored
    and re-rendered (it stays released). Everything in one transaction with the ``regrade.answer`` event."""
    seen = read(copy_id, question_id, caller)
    request, copy, exam = seen.request, seen.copy, seen.exam
    if int(request.version) != version:
        raise _changed()
    if request.status != OPEN:
        raise Conflict("This request has already been answered.", reason="regrade_not_open")
    leaf = _leaf(exam, question_id)
    if leaf is None:
        raise BadRequest(
            "This question is no longer in the exam's marking scheme.",
            reason="question_unknown",
            params={"question_id": question_id},
        )
    before = seen.current
    question: QuestionScore | None = None
    sheet: ScoreSheet | None = None
    if change.given and seen.question_mode:
        if change.score is not None and change.adjustment is not None:
            raise _invalid_question("Give either a score or an adjustment, not both.", question_id)
        items = _exam_items(exam.id)
        question = _rescored_question(seen, leaf, change, items)
        previous = seen.question
        assert previous is not None
        if list(question.rubric_item_ids) != list(previous.rubric_item_ids or []) or Decimal(
            str(question.adjustment)
        ) != Decimal(str(previous.adjustment or 0)):
            scores = {q.question_id: q for q in QuestionScore.query(copy.id)}
            scores[question_id] = question
            sheet = rescoring.assemble_sheet(copy.id, exam, scores, items, seen.sheet, caller.id)
        else:
            question = None
    elif change.given:
        if change.rubric_item_ids is not None or change.adjustment is not None:
            raise BadRequest(
                "This question was graded on the copy: give a score, not rubric items or an adjustment.",
                reason="regrade_score_only",
            )
        assert change.score is not None
        problem = score_problem(Decimal(str(change.score)), leaf.max_points)
        if problem:
            raise _invalid(f"The score of {leaf.label} {problem}.", question_id)
        if before is None or Decimal(str(change.score)) != Decimal(str(before)):
            sheet = _sheet_with(seen, question_id, float(Decimal(str(change.score))), caller)
    after = float(sheet.scores[question_id]) if sheet is not None else before
    now = utcnow()
    update_request = _answer_item(request, caller, text, before, after, now)
    event = audit.copy_event(
        "regrade.answer",
        copy,
        actor=caller,
        origin=origin,
        metadata={
            "question_id": question_id,
            "answer": text,
            "score_before": before,
            "score_after": after,
            "rescored": sheet is not None,
        },
    )
    member = _membership(exam, caller)
    if sheet is None:
        _answer_only(seen, caller, update_request, member, event)
    else:
        _answer_with_score(seen, sheet, question, update_request, member, event)
    request.status, request.answer, request.answered_at = ANSWERED, text, now
    request.answered_by, request.answered_by_name = caller.id, caller.display_name
    request.score_before, request.score_after = before, after
    request.version = int(request.version) + 1
    return serialise(request, exam, copy)


def _changed() -> Conflict:
    return Conflict("The request changed meanwhile; reload and try again.", reason="regrade_changed")


def _sheet_with(seen: Regrade, question_id: str, score: float, caller: Principal) -> ScoreSheet:
    """The copy's score sheet with one leaf's score changed and the total recomputed."""
    previous = seen.sheet
    scores = {key: float(value) for key, value in ((previous.scores if previous else None) or {}).items()}
    scores[question_id] = score
    return ScoreSheet(
        seen.copy.id,
        scores=scores,
        remarks=dict((previous.remarks if previous else None) or {}),
        appreciation=(previous.appreciation if previous else "") or "",
        total=total(scores),
        updated_by=caller.id,
        updated_at=utcnow(),
        version=int(previous.version or 0) + 1 if previous else 1,
    )


def _set_or_remove(attribute: Any, value: float | None) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def _answer_item(
    request: RegradeRequest, caller: Principal, text: str, before: float | None, after: float | None,
    now: datetime,
) -> Item:
    actions = [
        RegradeRequest.status.set(ANSWERED),
        RegradeRequest.answer.set(text),
        RegradeRequest.answered_by.set(caller.id),
        RegradeRequest.answered_by_name.set(caller.display_name),
        RegradeRequest.answered_at.set(now),
        _set_or_remove(RegradeRequest.score_before, before),
        _set_or_remove(RegradeRequest.score_after, after),
        RegradeRequest.updated_at.set(now),
        RegradeRequest.version.add(1),
    ]
    condition = (RegradeRequest.version == request.version) & (RegradeRequest.status == OPEN)
    return lambda write: write.update(
        RegradeRequest(request.copy_id, request.question_id), actions=actions, condition=condition
    )


def _membership(exam: Exam, caller: Principal) -> Item | None:
    """A teacher still teaches the exam when the answer is written (None for admins)."""
    condition = copy_reads.membership_condition(caller)
    if condition is None:
        return None
    return lambda write: write.condition_check(Exam, exam.id, condition=condition)


def _grader_check(seen: Regrade, caller: Principal) -> Item | None:
    """A teacher still the question's grader when the answer is written (None for admins)."""
    if caller.is_admin:
        return None
    if seen.question_mode:
        condition = QuestionScore.graded_by == caller.id
        return lambda write: write.condition_check(
            QuestionScore, seen.copy.id, seen.request.question_id, condition=condition
        )
    return lambda write: write.condition_check(Copy, seen.copy.id, condition=Copy.teacher_id == caller.id)


def _answer_only(seen: Regrade, caller: Principal, update: Item, member: Item | None, event: Any) -> None:
    items = [update, *(item for item in (member, _grader_check(seen, caller)) if item is not None)]
    if commit(items, event) is not None:
        raise _changed()


def _answer_with_score(
    seen: Regrade,
    sheet: ScoreSheet,
    question: QuestionScore | None,
    update: Item,
    member: Item | None,
    event: Any,
) -> None:
    """The answer with the new score: the copy back to rendering (``rescoring.rescore``), the request, the
    question score (version-conditioned) and the teacher's membership in one transaction."""
    if seen.copy.status not in (CopyStatus.GRADED, CopyStatus.GRADING_FAILED, CopyStatus.GRADING_IN_PROGRESS):
        raise Conflict("The copy is not graded: its score cannot change here.", reason="copy_not_graded")
    items: list[Item] = [update]
    if question is not None:
        previous = seen.question
        assert previous is not None
        condition = QuestionScore.version == previous.version
        if not question.graded_by:
            condition &= QuestionScore.graded_by.does_not_exist()
        else:
            condition &= QuestionScore.graded_by == question.graded_by
        items.append(lambda write: write.save(question, condition=condition))
    if member is not None:
        items.append(member)
    seen_version = int(seen.sheet.version or 0) if seen.sheet else 0
    try:
        rescoring.rescore(seen.copy, seen.exam, sheet, seen_version, event=event, items=items)
    except TransitionLost as lost:
        if lost.failed(2):
            raise _changed() from lost
        raise
