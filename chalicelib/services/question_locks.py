"""Question locks: in question mode one holder per copy and question, so two teachers grade two
questions of one copy at once; a copy-mode lock excludes them and the reverse.

A question lock is a ``Lock`` item keyed ``"{copy_id}#{question_id}"`` and follows the live-lock rule
of copy-mode locks (``locks.is_live`` / ``live_condition`` / ``free_condition``, ten minutes without a
heartbeat). Taking one is ONE transaction: the question lock put on its free condition, the copy-mode
lock checked free, the copy checked READY (question locks never move the copy's status), and the exam
checked unchanged since the snapshot whose question mode and assignment were checked in code.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import Leaf
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock
from chalicelib.models.questions import QuestionScore
from chalicelib.observability import metrics
from chalicelib.services import audit, copy_reads, question_dispatch
from chalicelib.services.copy_transitions import LOST, Item, commit
from chalicelib.services.locks import LOCK_SECONDS, Grant, free_condition, is_live, live_condition

NOT_ASSIGNED = "This question is not dispatched to you."
LOCK_LOST = "You do not hold a live lock on this question (it expired or another session took it)."


def lock_key(copy_id: str, question_id: str) -> str:
    """The ``Lock`` hash key of a question lock (copy ids never contain ``#``)."""
    return f"{copy_id}#{question_id}"


@dataclass
class QuestionRead:
    """A copy and question the caller may grade, with the question's lock, the copy-mode lock and the
    question's score (as read, consistent), and ``also`` items asked for."""

    copy: Copy
    exam: Exam
    leaf: Leaf
    lock: Lock | None = None
    copy_lock: Lock | None = None
    score: QuestionScore | None = None
    also: list[Model | None] = field(default_factory=list)


def remember_exam(exam: Exam) -> None:
    """Keep a freshly read exam as this process's snapshot (``copy_reads.exam_snapshot``)."""
    copy_reads.keep_exam(exam)


def check(exam: Exam, question_id: str, caller: Principal, copy: Copy | None = None) -> Leaf:
    """The question, if the caller may grade it: 403 ``question_not_assigned`` for a teacher it is not
    dispatched to in question mode (a question the scheme lacks included), 404 for a question the
    scheme lacks (admins), 404 for a copy a teacher may not see yet (not identified)."""
    if not caller.is_admin and not question_dispatch.assigned(exam, question_id, caller.id):
        raise Forbidden(NOT_ASSIGNED, reason="question_not_assigned")
    leaf = question_dispatch.leaf_of(exam, question_id)
    if not caller.is_admin and copy is not None and copy.status == CopyStatus.STAGING:
        raise NotFound("No such copy.", reason="copy_not_found")
    return leaf


def require_question_mode(exam: Exam) -> None:
    """409 ``question_mode_off`` unless the exam is graded question by question."""
    if exam.grading_mode != "QUESTION":
        raise Conflict(
            "This exam is graded copy by copy, not question by question.", reason="question_mode_off"
        )


def get_copy(copy_id: str) -> Copy:
    """The copy (consistent read), or 404."""
    try:
        return Copy.get(copy_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such copy.", reason="copy_not_found") from error


def read(copy_id: str, question_id: str, caller: Principal, *, also: Sequence[Model] = ()) -> QuestionRead:
    """The copy, its exam, both locks and the question's score in one consistent batch when the copy's
    exam is known to the process (else the copy is read first); 404 / 403 before anything else."""
    question_lock, score = Lock(lock_key(copy_id, question_id)), QuestionScore(copy_id, question_id)
    copy, exam, found = copy_reads.load(copy_id, question_lock, Lock(copy_id), score, *also)
    if exam is None:
        raise NotFound("No such copy.", reason="copy_not_found")
    leaf = check(exam, question_id, caller, copy)
    return QuestionRead(copy, exam, leaf, found[0], found[1], found[2], list(found[3:]))


def exam_ref(copy_id: str, caller: Principal, question_id: str) -> tuple[str, Exam, Leaf]:
    """The copy's exam id and this process's snapshot of the exam (one read of each only when unknown),
    with the caller's access to the question checked on it."""
    exam_id = copy_reads.exam_of(copy_id)
    if exam_id is None:
        copy = get_copy(copy_id)
        copy_reads.remember(copy)
        exam_id = copy.exam_id
    exam = copy_reads.exam_snapshot(exam_id)
    return exam_id, exam, check(exam, question_id, caller)


def _held_by_other(lock: Lock) -> Conflict:
    metrics.add_metric(name="LockConflicts", unit="Count", value=1)
    return Conflict(
        f"This question of the copy is being graded by {lock.holder_name}.",
        reason="lock_held_by_other",
        params={"name": lock.holder_name},
        extra={"holder": lock.holder_name, "expires_at": lock.expires_at.isoformat()},
    )


def _whole(lock: Lock | None) -> Conflict:
    name = lock.holder_name if lock else ""
    return Conflict(
        "The whole copy is being graded (copy mode); its questions cannot be locked now.",
        reason="copy_locked_whole",
        params={"name": name},
    )


def _not_gradable(copy: Copy) -> Conflict:
    return Conflict(
        f"A copy in status {copy.status} cannot be graded question by question.",
        reason="copy_not_gradable",
        params={"status": str(copy.status)},
    )


def lost_lock() -> Conflict:
    """409 ``lock_lost``: the caller does not hold the live question lock."""
    return Conflict(LOCK_LOST, reason="lock_lost", extra={"lock_required": True})


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=LOCK_SECONDS)


def acquire(copy_id: str, question_id: str, caller: Principal, origin: Origin) -> Grant:
    """Take the question lock (created), get yours back with the same token, or 409: the holder
    (``lock_held_by_other``), a live copy-mode lock (``copy_locked_whole``), a copy that is not READY
    (``copy_not_gradable``). Two round trips after the session's: one batch read, one transaction."""
    reasons: list[str | None] | None = None
    for _ in range(3):
        seen = read(copy_id, question_id, caller)
        require_question_mode(seen.exam)
        now = utcnow()
        if is_live(seen.lock, now) and seen.lock.holder_id == caller.id:
            return Grant(seen.lock.token, heartbeat(copy_id, question_id, caller, seen.lock.token), False)
        if is_live(seen.copy_lock, now):
            raise _whole(seen.copy_lock)
        if seen.copy.status != CopyStatus.READY:
            raise _not_gradable(seen.copy)
        if is_live(seen.lock, now):
            raise _held_by_other(seen.lock)
        grant, failed = _take(seen, caller, origin, now)
        if grant is not None:
            return grant
        reasons = failed  # someone else moved first: read again, and explain on the fresh state
    lost = [reason in LOST for reason in reasons or []] + [False] * 4
    if lost[1]:
        raise _whole(None)
    if lost[2]:
        raise Conflict("The copy is not available for grading right now.", reason="copy_not_available")
    if lost[3]:
        raise Conflict("The exam changed meanwhile; reload and try again.", reason="exam_changed")
    raise Conflict("The copy is not available for grading right now.", reason="copy_not_available")


def _take(
    seen: QuestionRead, caller: Principal, origin: Origin, now: datetime
) -> tuple[Grant | None, list[str | None] | None]:
    """The lock transaction: (the grant, None), or (None, each item's cancellation reason)."""
    copy_id, exam = seen.copy.id, seen.exam
    token, expires = secrets.token_urlsafe(24), _expiry(now)
    new_lock = Lock(
        lock_key(copy_id, seen.leaf.id),
        token=token,
        holder_id=caller.id,
        holder_name=caller.display_name,
        acquired_at=now,
        expires_at=expires,
        ttl=expires + timedelta(hours=1),
    )
    items: list[Item] = [
        lambda write: write.save(new_lock, condition=free_condition(now)),
        lambda write: write.condition_check(Lock, copy_id, condition=free_condition(now)),
        lambda write: write.condition_check(Copy, copy_id, condition=Copy.status == CopyStatus.READY),
        lambda write: write.condition_check(Exam, exam.id, condition=copy_reads.exam_unchanged(exam)),
    ]
    event = audit.copy_event(
        "question_lock.acquire", seen.copy, actor=caller, origin=origin,
        metadata={"question_id": seen.leaf.id},
    )
    failed = commit(items, event)
    return (Grant(token, expires, created=True), None) if failed is None else (None, failed)


def heartbeat(copy_id: str, question_id: str, caller: Principal, token: str) -> datetime:
    """Extend the caller's live question lock by ten minutes; 409 ``lock_lost`` when it is not theirs
    or expired. One write after the session's when the copy's exam is known."""
    exam_ref(copy_id, caller, question_id)
    now = utcnow()
    expires = _expiry(now)
    try:
        Lock(lock_key(copy_id, question_id)).update(
            actions=[Lock.expires_at.set(expires), Lock.ttl.set(expires + timedelta(hours=1))],
            condition=live_condition(token or "", caller.id, now),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise lost_lock() from error
        raise
    return expires


def current(copy_id: str, question_id: str) -> Lock | None:
    """The question's lock item (live or not), or None."""
    try:
        return Lock.get(lock_key(copy_id, question_id), consistent_read=True)
    except DoesNotExist:
        return None


def release(copy_id: str, question_id: str, caller: Principal, token: str | None, origin: Origin) -> None:
    """The holder releases; an admin without their own token breaks whoever's lock (audited
    ``question_lock.break``). Idempotent: a lock the caller no longer holds is left alone."""
    exam_id, _, _ = exam_ref(copy_id, caller, question_id)
    ref = Copy(copy_id, exam_id=exam_id)
    key = lock_key(copy_id, question_id)
    if caller.is_admin:
        lock = current(copy_id, question_id)
        mine = bool(token) and is_live(lock) and lock.token == token and lock.holder_id == caller.id
        if not mine:
            if lock is not None:
                _break(ref, question_id, lock, caller, origin)
            return
    if not token:
        return
    now = utcnow()
    condition = live_condition(token, caller.id, now)
    commit(
        [lambda write: write.delete(Lock(key), condition=condition)],
        audit.copy_event(
            "question_lock.release", ref, actor=caller, origin=origin,
            metadata={"question_id": question_id, "holder": caller.display_name},
        ),
    )  # a lost condition: not (or no longer) the caller's lock, nothing to release


def _break(ref: Copy, question_id: str, lock: Lock, caller: Principal, origin: Origin) -> None:
    """Admin: delete the question lock as read (its token), audited with its holder."""
    token = lock.token
    failed = commit(
        [lambda write: write.delete(Lock(lock.copy_id), condition=Lock.token == token)],
        audit.copy_event(
            "question_lock.break", ref, actor=caller, origin=origin,
            metadata={"question_id": question_id, "holder": lock.holder_name, "live": is_live(lock)},
        ),
    )
    if failed is not None:
        raise Conflict("The lock changed meanwhile.", reason="lock_changed")


def live_locks(copy_ids: Sequence[str], question_id: str) -> dict[str, Lock]:
    """The live question locks of ``copy_ids`` on one question, by copy id (one batch per 100)."""
    if not copy_ids:
        return {}
    now = utcnow()
    found = aws.batch_get(*(Lock(lock_key(copy_id, question_id)) for copy_id in copy_ids))
    return {
        copy_id: lock for copy_id, lock in zip(copy_ids, found, strict=True) if is_live(lock, now)
    }
