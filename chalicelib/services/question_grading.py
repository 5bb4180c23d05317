"""Question-first grading, the grader's side: the caller's questions, the copies of a question, one
question of one copy, score saves under the question lock, and finalising a copy once every question
is scored.

A score save is ONE transaction: the ``QuestionScore`` put on the version the grader last saw, the
caller's live question lock, the copy still READY, the exam unchanged since the snapshot the caller's
assignment was checked on, and each applied rubric item unchanged since its points were read (so the
score the server computed is the score of the items as stored), with the audit event. Completing the
last incomplete question finalises the copy: the ``finalise_questions`` move on the attempt read, the
assembled ``ScoreSheet`` and a check of every question score's version as read, in one transaction,
so concurrent graders finalise a copy exactly once and a score changed meanwhile is never left out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from chalicelib import aws
from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import Leaf
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.rubric import Applied, RubricError, check_adjustment, question_score
from chalicelib.errors import BadRequest, Conflict, NotFound, Unprocessable
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock, ScoreSheet
from chalicelib.models.questions import QuestionScore, RubricItem
from chalicelib.services import (
    audit,
    copy_reads,
    exams,
    finalize,
    page_views,
    question_dispatch,
    question_locks,
    rescoring,
)
from chalicelib.services.copy_transitions import LOST, Item, TransitionLost, commit, transition
from chalicelib.services.locks import is_live

REMEMBERED_EXAMS = 2_000  # exams whose rubric a process keeps (checked by version in every save)
_GUARD = threading.Lock()
_RUBRICS: OrderedDict[str, list[RubricItem]] = OrderedDict()
MAX_TRIES = 3


# Rubric items ---------------------------------------------------------------------------------------


def rubric_items(exam_id: str, *, fresh: bool = False) -> list[RubricItem]:
    """Every rubric item of the exam (deleted ones too), from this process's copy or one Query.

    A save relies on the items' points only with their versions checked in its own transaction.
    """
    with _GUARD:
        known = None if fresh else _RUBRICS.get(exam_id)
    if known is not None:
        return known
    items = list(RubricItem.query(exam_id, consistent_read=True))
    with _GUARD:
        _RUBRICS[exam_id] = items
        _RUBRICS.move_to_end(exam_id)
        while len(_RUBRICS) > REMEMBERED_EXAMS:
            _RUBRICS.popitem(last=False)
    return items


def forget_rubrics() -> None:
    """Drop the remembered rubrics (tests reset tables between cases)."""
    with _GUARD:
        _RUBRICS.clear()


def serialise_item(item: RubricItem) -> dict[str, Any]:
    """The API shape of a rubric item (the rubric routes' one)."""
    from chalicelib.services import rubrics

    return rubrics.serialise(item)


def question_rubric(items: Iterable[RubricItem], question_id: str) -> list[RubricItem]:
    """The question's live items in their order."""
    mine = [item for item in items if item.question_id == question_id and not item.deleted]
    return sorted(mine, key=lambda item: (int(item.position or 0), item.id))


def retired_items(
    items: Iterable[RubricItem], score: QuestionScore | None, question_id: str
) -> list[RubricItem]:
    """Removed items the score still applies (applied just before their removal): shown so the grader
    sees every point counted, and may take them off."""
    applied = set(score.rubric_item_ids or []) if score is not None else set()
    return [item for item in items if item.deleted and item.question_id == question_id and item.id in applied]


def serialise_score(score: QuestionScore | None) -> dict[str, Any]:
    """The API shape of a question's score (the empty one before any save)."""
    if score is None:
        return {"rubric_item_ids": [], "adjustment": 0, "score": None, "remark": "", "complete": False,
                "version": 0}
    return {
        "rubric_item_ids": list(score.rubric_item_ids or []),
        "adjustment": float(score.adjustment or 0),
        "score": float(score.score) if score.score is not None else None,
        "remark": score.remark or "",
        "complete": bool(score.complete),
        "version": int(score.version or 0),
    }


def _question(leaf: Leaf, exam: Exam) -> dict[str, Any]:
    return {
        "id": leaf.id,
        "label": leaf.label,
        "max_points": float(leaf.max_points),
        "region": question_dispatch.region_of(exam, leaf.id),
    }


# Reads ----------------------------------------------------------------------------------------------


def _identified(exam_id: str) -> list[Copy]:
    """The exam's identified copies (READY and later), in anonymous-id order."""
    found = [copy for copy in Copy.exam_index.query(exam_id) if copy.status != CopyStatus.STAGING]
    copy_reads.remember(*found)
    return found


def teacher_questions(caller: Principal) -> list[dict[str, Any]]:
    """The questions the caller grades in question-mode exams (every question of them for admins),
    with how many copies each has and how many of them are complete."""
    out: list[dict[str, Any]] = []
    for exam in exams.list_exams(caller):
        if exam.grading_mode != "QUESTION":
            continue
        mine = [
            leaf for leaf in question_dispatch.scheme_leaves(exam)
            if caller.is_admin or question_dispatch.assigned(exam, leaf.id, caller.id)
        ]
        if not mine:
            continue
        copy_ids = {copy.id for copy in _identified(exam.id)}
        complete: dict[str, int] = {}
        for score in QuestionScore.exam_index.query(exam.id):
            if score.complete and score.copy_id in copy_ids:
                complete[score.question_id] = complete.get(score.question_id, 0) + 1
        out.extend(
            {
                "exam_id": exam.id,
                "exam_name": exam.name,
                "question_id": leaf.id,
                "label": leaf.label,
                "max_points": float(leaf.max_points),
                "total": len(copy_ids),
                "complete": complete.get(leaf.id, 0),
            }
            for leaf in mine
        )
    return out


def question_copies(exam_id: str, question_id: str, caller: Principal) -> dict[str, Any]:
    """The exam's identified copies on one question: score, completeness and lock of each."""
    exam = exams.get_exam(exam_id)
    question_locks.remember_exam(exam)
    leaf = question_locks.check(exam, question_id, caller)
    copies = _identified(exam_id)
    scores = {
        score.copy_id: score
        for score in QuestionScore.exam_index.query(exam_id, QuestionScore.question_id == question_id)
    }
    held = question_locks.live_locks([copy.id for copy in copies], question_id)
    rows = []
    for copy in copies:
        score, lock = scores.get(copy.id), held.get(copy.id)
        rows.append(
            {
                "copy_id": copy.id,
                "anonymous_id": copy.anonymous_id,
                "status": copy.status,
                "score": float(score.score) if score is not None and score.score is not None else None,
                "complete": bool(score is not None and score.complete),
                "lock": {"holder_name": lock.holder_name, "mine": lock.holder_id == caller.id}
                if lock
                else None,
            }
        )
    return {
        "question": _question(leaf, exam),
        "copies": rows,
        "complete": sum(1 for row in rows if row["complete"]),
        "total": len(rows),
    }


def copy_question(copy_id: str, question_id: str, caller: Principal) -> dict[str, Any]:
    """One question of one copy: its page (masked for teachers), score, rubric and lock. Three round
    trips after the session's at most: one batch (copy, exam, locks, score, page), the rubric, and
    the page's link (signed locally)."""
    exam_id = copy_reads.exam_of(copy_id)
    region = None
    if exam_id is not None:  # the region's page joins the batch when the exam is known
        snapshot = copy_reads.exam_snapshot(exam_id)
        region = question_dispatch.region_of(snapshot, question_id)
    index = int(region["page"]) if region else 0
    seen = question_locks.read(copy_id, question_id, caller, also=[Page(copy_id, index)])
    region = question_dispatch.region_of(seen.exam, question_id)
    page = seen.also[0]
    if (int(region["page"]) if region else 0) != index:
        index = int(region["page"]) if region else 0
        page = next(iter(Page.query(copy_id, Page.index == index)), None)
    items = rubric_items(seen.exam.id, fresh=True)
    lock = seen.lock if is_live(seen.lock) else None
    return {
        "copy_id": seen.copy.id,
        "exam_id": seen.exam.id,
        "anonymous_id": seen.copy.anonymous_id,
        "status": seen.copy.status,
        "question": _question(seen.leaf, seen.exam),
        "page": _page(page, caller),
        "score": serialise_score(seen.score),
        "rubric": [serialise_item(item) for item in question_rubric(items, question_id)],
        "retired": [serialise_item(item) for item in retired_items(items, seen.score, question_id)],
        "lock": {
            "holder_name": lock.holder_name,
            "expires_at": lock.expires_at.isoformat(),
            "mine": lock.holder_id == caller.id,
        }
        if lock
        else None,
    }


def _page(page: Page | None, caller: Principal) -> dict[str, Any] | None:
    return page_views.page_view(page, caller) if page is not None else None


# Score saves ----------------------------------------------------------------------------------------


def _applied(
    exam_id: str, leaf: Leaf, item_ids: Sequence[str], *, fresh: bool, copy_id: str, seen: int
) -> list[RubricItem]:
    """The rubric items to apply, each a live item of this question (400 ``rubric_item_unknown``);
    items missing from this process's copy are looked for once more in a fresh read.

    A removed (deleted) item stays acceptable on a score that already applies it: it was applied just
    before its removal (the removal's in-use check reads an index). One consistent read of the score at
    version ``seen`` (the grader's) tells; the save's transaction is conditioned on that version.
    """
    if len(set(item_ids)) != len(item_ids):
        raise BadRequest("A rubric item is applied at most once.", reason="rubric_item_repeated")
    kept: set[str] | None = None

    def usable(item: RubricItem | None) -> bool:
        nonlocal kept
        if item is None or item.question_id != leaf.id:
            return False
        if not item.deleted:
            return True
        if kept is None:
            kept = _kept_items(copy_id, leaf.id, seen)
        return item.id in kept

    for tries in (fresh, True):
        by_id = {item.id: item for item in rubric_items(exam_id, fresh=tries)}
        found = [by_id.get(item_id) for item_id in item_ids]
        if all(usable(item) for item in found):
            return [item for item in found if item is not None]
        if tries:
            break
    unknown = next(item_id for item_id, item in zip(item_ids, found, strict=True) if not usable(item))
    raise BadRequest(
        "This rubric item is not one of the question's.",
        reason="rubric_item_unknown",
        params={"item": unknown},
    )


def _kept_items(copy_id: str, question_id: str, seen: int) -> set[str]:
    """The items the stored score applies, when it is still at version ``seen``."""
    try:
        stored = QuestionScore.get(copy_id, question_id, consistent_read=True)
    except QuestionScore.DoesNotExist:
        return set()
    return set(stored.rubric_item_ids or []) if int(stored.version) == seen else set()


def compute(applied: Sequence[RubricItem], adjustment: float, leaf: Leaf) -> tuple[Decimal, Decimal]:
    """(the adjustment, the question's score) by the one score rule; 400 ``question_score_invalid``."""
    try:
        extra = check_adjustment(adjustment, leaf.max_points)
        score = question_score(
            (Applied(item.kind, Decimal(str(item.points))) for item in applied), extra, leaf.max_points
        )
    except RubricError as error:
        raise BadRequest(f"Invalid score: {error}.", reason="question_score_invalid") from error
    return extra, score


def save_score(
    copy_id: str,
    question_id: str,
    caller: Principal,
    token: str | None,
    *,
    version: int,
    rubric_item_ids: Sequence[str],
    adjustment: float,
    remark: str,
    complete: bool,
    origin: Origin,
) -> dict[str, Any]:
    """Store the question's score (computed here from the items and the adjustment) on top of
    ``version``, under the caller's live question lock; finalise the copy when this completes its last
    incomplete question. Two round trips after the session's with the exam and rubric known."""
    exam_id, exam, leaf = question_locks.exam_ref(copy_id, caller, question_id)
    ref = Copy(copy_id, exam_id=exam_id)
    fresh_exam = fresh_rubric = False
    for _ in range(MAX_TRIES):
        if fresh_exam:
            exam = copy_reads.exam_snapshot(exam_id, fresh=True)
            leaf = question_locks.check(exam, question_id, caller)
        question_locks.require_question_mode(exam)
        applied = _applied(
            exam_id, leaf, list(rubric_item_ids), fresh=fresh_rubric, copy_id=copy_id, seen=version
        )
        extra, score = compute(applied, adjustment, leaf)
        if not token:
            raise question_locks.lost_lock()
        stored = QuestionScore(
            copy_id,
            question_id,
            exam_id=exam_id,
            rubric_item_ids=list(rubric_item_ids),
            adjustment=float(extra),
            score=float(score),
            remark=remark or None,
            complete=complete,
            graded_by=caller.id,
            graded_by_name=caller.display_name,
            updated_at=utcnow(),
            version=version + 1,
        )
        failed = _write_score(stored, version, token, caller, exam, applied, ref, origin)
        if failed is None:
            break
        lost = [reason in LOST for reason in failed] + [False] * 4
        if lost[1]:
            raise question_locks.lost_lock()
        if lost[2]:
            copy = Copy.get(copy_id, consistent_read=True)
            raise Conflict(
                f"A copy in status {copy.status} cannot be graded question by question.",
                reason="copy_not_gradable",
                params={"status": str(copy.status)},
            )
        if lost[3]:
            fresh_exam = True
            continue
        if any(lost[4:]):
            fresh_rubric = True
            continue
        if lost[0]:
            raise Conflict("The score was changed meanwhile; reload it.", reason="score_changed")
        raise Conflict("The copy changed meanwhile; reload it.", reason="copy_changed")
    else:
        raise Conflict("The exam changed meanwhile; reload and try again.", reason="exam_changed")
    status, finalised = CopyStatus.READY.value, False
    if complete:
        status, finalised = _finalise_if_complete(ref, exam, caller, origin)
    return {"score": serialise_score(stored), "copy_status": status, "finalised": finalised}


def _write_score(
    stored: QuestionScore,
    seen: int,
    token: str,
    caller: Principal,
    exam: Exam,
    applied: Sequence[RubricItem],
    ref: Copy,
    origin: Origin,
) -> list[str | None] | None:
    """The save's one transaction; None once committed, else each item's cancellation reason."""
    now = utcnow()
    copy_id, key = stored.copy_id, question_locks.lock_key(stored.copy_id, stored.question_id)
    condition = (
        QuestionScore.copy_id.does_not_exist() if not seen else QuestionScore.version == seen
    )
    items: list[Item] = [
        lambda write: write.save(stored, condition=condition),
        lambda write: write.condition_check(
            Lock, key, condition=question_locks.live_condition(token, caller.id, now)
        ),
        lambda write: write.condition_check(Copy, copy_id, condition=Copy.status == CopyStatus.READY),
        lambda write: write.condition_check(Exam, exam.id, condition=copy_reads.exam_unchanged(exam)),
        *(_unchanged(item) for item in applied),
    ]
    event = audit.copy_event(
        "question.score",
        ref,
        actor=caller,
        origin=origin,
        metadata={
            "question_id": stored.question_id,
            "score": float(stored.score),
            "rubric_item_ids": list(stored.rubric_item_ids or []),
            "adjustment": float(stored.adjustment or 0),
            "complete": bool(stored.complete),
        },
    )
    return commit(items, event)


def _unchanged(item: RubricItem) -> Item:
    version = item.version
    return lambda write: write.condition_check(
        RubricItem, item.exam_id, item.id, condition=RubricItem.version == version
    )


# Finalising -----------------------------------------------------------------------------------------


def _scores(copy_id: str) -> dict[str, QuestionScore]:
    return {score.question_id: score for score in QuestionScore.query(copy_id, consistent_read=True)}


def _finalise_if_complete(ref: Copy, exam: Exam, caller: Principal, origin: Origin) -> tuple[str, bool]:
    """Finalise the copy when every question of the scheme now has a complete score (one consistent
    Query after the save); else leave it READY."""
    scores = _scores(ref.id)
    leaves = question_dispatch.scheme_leaves(exam)
    if not leaves or not all(
        leaf.id in scores and scores[leaf.id].complete and scores[leaf.id].score is not None
        for leaf in leaves
    ):
        return CopyStatus.READY.value, False
    return finalise(ref.id, exam, scores, caller, origin)


def finalise(
    copy_id: str, exam: Exam, scores: dict[str, QuestionScore], caller: Principal, origin: Origin
) -> tuple[str, bool]:
    """READY → GRADING_IN_PROGRESS with the sheet assembled from ``scores`` and the render queued.

    One transaction: the move on the attempt read, the sheet on the version read, every question
    score's version as read, every applied rubric item's version as read and the exam unchanged. A
    lost race is answered with the copy's status (someone else finalised it, or a score changed:
    READY); (the status, True) when this call finalised it.
    """
    for _ in range(2):
        copy, previous = aws.batch_get(Copy(copy_id), ScoreSheet(copy_id))
        if copy is None:
            raise NotFound("No such copy.", reason="copy_not_found")
        if copy.status != CopyStatus.READY:
            return str(copy.status), False
        items = {item.id: item for item in rubric_items(exam.id, fresh=True)}
        sheet = rescoring.assemble_sheet(copy_id, exam, scores, items, previous, updated_by=caller.id)
        attempt = int(copy.grading_attempts or 0) + 1
        used = sorted({i for score in scores.values() for i in score.rubric_item_ids or [] if i in items})
        checks: list[Item] = [
            rescoring.sheet_item(sheet, int(previous.version or 0) if previous else 0),
            *(_score_unchanged(score) for score in scores.values()),
            *(_unchanged(items[item_id]) for item_id in used),
            _exam_unchanged(exam),
        ]
        try:
            transition(
                copy,
                copy_status.FINALISE_QUESTIONS,
                condition=Copy.grading_attempts == copy.grading_attempts,
                actions=finalize.new_attempt(attempt),
                items=checks,
                event=audit.copy_event(
                    "copy.finalize",
                    copy,
                    actor=caller,
                    origin=origin,
                    metadata={"attempt": attempt, "total": float(sheet.total or 0), "mode": "QUESTION"},
                ),
            )
        except TransitionLost:
            copy.refresh(consistent_read=True)
            fresh = _scores(copy_id)
            changed = any(
                leaf not in fresh or int(fresh[leaf].version) != int(score.version)
                for leaf, score in scores.items()
            )
            if copy.status != CopyStatus.READY or changed:
                return str(copy.status), False  # finalised by another writer, or a score's writer decides
            exam = copy_reads.exam_snapshot(exam.id, fresh=True)  # the exam, sheet or rubric changed
            continue
        copy.grading_attempts, copy.grading_error = attempt, None
        copy.reopen_reason = copy.reopened_at = None
        finalize.start_render(copy, exam, sheet, attempt)
        return str(copy.status), True
    copy = Copy.get(copy_id, consistent_read=True)
    return str(copy.status), False


def _exam_unchanged(exam: Exam) -> Item:
    condition = copy_reads.exam_unchanged(exam)
    return lambda write: write.condition_check(Exam, exam.id, condition=condition)


def _score_unchanged(score: QuestionScore) -> Item:
    version = score.version
    return lambda write: write.condition_check(
        QuestionScore, score.copy_id, score.question_id, condition=QuestionScore.version == version
    )


def finalise_questions(copy_id: str, caller: Principal, origin: Origin) -> str:
    """Admin: finalise a copy graded question by question once every question has a score (complete
    or not): its status afterwards (GRADED already, or GRADING_IN_PROGRESS); 422 ``scores_missing``
    naming the questions without one; 409 for a copy that is not READY."""
    copy = question_locks.get_copy(copy_id)
    copy_reads.remember(copy)
    if copy.status in (CopyStatus.GRADED, CopyStatus.GRADING_IN_PROGRESS):
        return str(copy.status)
    if copy.status != CopyStatus.READY:
        raise Conflict(
            f"A copy in status {copy.status} cannot be finalised question by question.",
            reason="copy_not_gradable",
            params={"status": str(copy.status)},
        )
    exam = copy_reads.exam_snapshot(copy.exam_id, fresh=True)
    scores = _scores(copy_id)
    leaves = question_dispatch.scheme_leaves(exam)
    missing = [leaf.id for leaf in leaves if leaf.id not in scores or scores[leaf.id].score is None]
    if not leaves or missing:
        raise Unprocessable(
            "Every question needs a score before finalising.",
            reason="scores_missing",
            extra={"missing": missing},
        )
    status, finalised = finalise(copy_id, exam, scores, caller, origin)
    if not finalised and status == CopyStatus.READY:
        raise Conflict("A score changed meanwhile; reload and try again.", reason="copy_changed")
    return status
