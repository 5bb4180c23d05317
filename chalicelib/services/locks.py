"""Grading locks: one holder per copy, 10 minutes without a heartbeat, every rule a write condition.

A live lock is ``expires_at > now`` (``is_live``, and ``live_condition`` inside each write's condition):
TTL deletion is lazy and never relied upon. Every grading write (``under_lock``) is ONE transaction
carrying the caller's live lock, the copy LOCKED (and assigned to a teacher caller) and the teacher's
exam membership, next to its own items and its audit event: with the copy's exam known to the process,
a write costs one round trip after the session's. The reads that explain a refusal happen only then.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock
from chalicelib.observability import metrics
from chalicelib.services import audit, copy_reads
from chalicelib.services.copy_transitions import LOST, Item, TransitionLost, commit, transition

LOCK_SECONDS = 600
LOCK_LOST = "You do not hold a live lock on this copy (it expired or another session took it)."
NOT_CHANGEABLE = "This copy can no longer be changed."


@dataclass(frozen=True)
class Grant:
    """A held lock: its token, expiry, and whether this call created it."""

    token: str
    expires_at: datetime
    created: bool


def is_live(lock: Lock | None, now: datetime | None = None) -> bool:
    """The live-lock rule, read side: a lock counts until its ``expires_at``."""
    return lock is not None and lock.expires_at > (now or utcnow())


def live_condition(token: str, holder_id: str, now: datetime) -> Any:
    """The live-lock rule, write side: this token, this holder, not expired at ``now``."""
    return (Lock.token == token) & (Lock.holder_id == holder_id) & (Lock.expires_at > now)


def free_condition(now: datetime) -> Any:
    """The live-lock rule, negated for a write that takes the lock: none, or expired at ``now``."""
    return Lock.copy_id.does_not_exist() | (Lock.expires_at <= now)


def held_by(lock: Lock | None, caller: Principal, token: str | None, now: datetime | None = None) -> bool:
    """True when ``lock`` is the caller's live lock with ``token``."""
    return bool(token) and is_live(lock, now) and lock.token == token and lock.holder_id == caller.id


def current_lock(copy_id: str) -> Lock | None:
    """The copy's live lock, or None."""
    try:
        lock = Lock.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return None
    return lock if is_live(lock) else None


def holder_conflict(copy_id: str) -> Conflict:
    """409 naming who holds the copy and until when."""
    lock = current_lock(copy_id)
    if lock is None:
        return Conflict("The copy is not available for grading right now.", reason="copy_not_available")
    metrics.add_metric(name="LockConflicts", unit="Count", value=1)
    return Conflict(
        f"This copy is being graded by {lock.holder_name}.",
        reason="lock_held_by_other",
        params={"name": lock.holder_name},
        extra={"holder": lock.holder_name, "expires_at": lock.expires_at.isoformat()},
    )


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=LOCK_SECONDS)


def _extend(copy_id: str, caller: Principal, token: str, now: datetime) -> tuple[datetime, Item]:
    expires = _expiry(now)

    def item(write: TransactWrite) -> None:
        write.update(
            Lock(copy_id),
            actions=[Lock.expires_at.set(expires), Lock.ttl.set(expires + timedelta(hours=1))],
            condition=live_condition(token, caller.id, now),
        )

    return expires, item


def acquire(copy_id: str, caller: Principal, origin: Origin) -> Grant:
    """Take the lock (201), or get yours back with the same token (200), or 409 with the holder.

    Three round trips: the session, the copy and its lock (and its exam, when known) in one batch, then
    one transaction that puts the lock, moves the copy and checks the teacher's assignment and exam
    membership. An exam that has been in question mode (``question_slots``) also has every question
    lock of the copy checked free in it (409 ``question_locks_live``) and its snapshot unchanged; any
    other exam is checked to have never been in question mode, in the exam item the transaction
    already carries, so a concurrent switch to question mode is caught without a round trip more.
    """
    known = copy_reads.exam_of(copy_id)
    copy, lock, exam = aws.batch_get(Copy(copy_id), Lock(copy_id), Exam(known or "-"))
    if copy is None:
        raise NotFound("No such copy.", reason="copy_not_found")
    copy_reads.remember(copy)
    if not caller.is_admin and copy.teacher_id != caller.id:
        raise Forbidden(copy_reads.NOT_ASSIGNED, reason="copy_not_assigned")
    now = utcnow()
    if is_live(lock, now) and lock.holder_id == caller.id:
        return Grant(lock.token, heartbeat(copy.id, caller, lock.token), created=False)
    if not copy_status.LOCK.allows(copy.status):
        copy_reads.visible(copy_id, caller)  # 403 for a teacher no longer on the exam, before the 409
        raise Conflict(f"A copy in status {copy.status} cannot be locked.", reason="copy_not_lockable")
    if exam is not None and exam.id != copy.exam_id:
        exam = None
    for fresh in (False, True):
        try:
            return _take(copy, caller, origin, now, exam)
        except _QuestionSlots:
            if fresh:
                raise Conflict(
                    "The exam changed meanwhile; reload and try again.", reason="exam_changed"
                ) from None
            exam = copy_reads.exam_snapshot(copy.exam_id, fresh=True)
    raise AssertionError("unreachable")  # pragma: no cover


class _QuestionSlots(Exception):
    """The exam was (or became) graded question by question since the snapshot the lock relied on."""


def question_leaves(exam: Exam) -> list[str]:
    """The question ids whose question locks a copy-mode lock of the exam must find free."""
    if not exam.question_slots:
        return []
    from chalicelib.domain.marking_scheme import leaves

    return [leaf.id for leaf in leaves((exam.marking_scheme or {}).get("nodes", []))]


def _take(copy: Copy, caller: Principal, origin: Origin, now: datetime, exam: Exam | None) -> Grant:
    """The lock transaction, given what is known of the exam (None: assumed never in question mode)."""
    token, expires = secrets.token_urlsafe(24), _expiry(now)
    new_lock = Lock(
        copy.id,
        token=token,
        holder_id=caller.id,
        holder_name=caller.display_name,
        acquired_at=now,
        expires_at=expires,
        ttl=expires + timedelta(hours=1),
    )
    membership = copy_reads.membership_condition(caller)
    slots = question_leaves(exam) if exam is not None else []
    if slots:
        exam_condition = copy_reads.exam_unchanged(exam)
    else:
        exam_condition = Exam.question_slots.does_not_exist() | (Exam.question_slots == 0)
    if membership is not None:
        exam_condition = membership & exam_condition

    def exam_check(write: TransactWrite) -> None:
        write.condition_check(Exam, copy.exam_id, condition=exam_condition)

    def question_free(leaf: str) -> Item:
        return lambda write: write.condition_check(Lock, f"{copy.id}#{leaf}", condition=free_condition(now))

    try:
        transition(
            copy,
            copy_status.LOCK,
            condition=copy_reads.assignment_condition(caller),
            items=[
                lambda write: write.save(new_lock, condition=free_condition(now)),
                exam_check,
                *(question_free(leaf) for leaf in slots),
            ],
            event=audit.copy_event("lock.acquire", copy, actor=caller, origin=origin),
        )
    except TransitionLost as lost:
        if lost.failed(2):
            fresh = copy_reads.exam_snapshot(copy.exam_id, fresh=True)
            if not caller.is_admin and not copy_reads.teaches(fresh, caller):
                raise Forbidden(copy_reads.NOT_ASSIGNED, reason="copy_not_assigned") from lost
            raise _QuestionSlots from lost
        if any(lost.failed(position) for position in range(3, 3 + len(slots))):
            raise Conflict(
                "Some questions of this copy are being graded question by question.",
                reason="question_locks_live",
            ) from lost
        if lost.failed(1):
            raise holder_conflict(copy.id) from lost
        raise
    return Grant(token, expires, created=True)


def heartbeat(copy_id: str, caller: Principal, token: str) -> datetime:
    """Extend the caller's live lock by 10 minutes; 403 for a wrong token, 409 when lost."""
    now = utcnow()
    expires, extend = _extend(copy_id, caller, token, now)
    under_lock(copy_id, caller, token, lock_item=extend, wrong_token_forbidden=True)
    return expires


def under_lock(
    copy_id: str,
    caller: Principal,
    token: str | None,
    *,
    items: Sequence[Item] = (),
    event: AuditEvent | None = None,
    stale: str = "The copy changed meanwhile; reload it.",
    stale_reason: str = "copy_changed",
    exam: Exam | None = None,
    lock_item: Item | None = None,
    wrong_token_forbidden: bool = False,
) -> None:
    """Write ``items`` (and ``event``) only while the caller holds the copy's live lock, in one transaction.

    The transaction also checks the copy is LOCKED (and, for a teacher, still theirs and their exam's),
    and, given ``exam`` (a snapshot whose rules the items rely on), that the exam is unchanged since:
    ``StaleExam`` then asks the caller to read it again. Refusals: 404/403 for a copy the caller may not
    see, 409 ``lock_required`` without the live lock (403 for a foreign token when
    ``wrong_token_forbidden``), 409 once the copy cannot change, 409 ``stale`` (reason ``stale_reason``)
    when an item's own condition failed.
    """
    now = utcnow()
    exam_id = exam.id if exam is not None else copy_reads.exam_of(copy_id)
    exam_condition = copy_reads.membership_condition(caller)
    if exam_id is None and exam_condition is not None:  # a process that has not read this copy yet
        exam_id = copy_reads.visible(copy_id, caller).exam_id
    if exam is not None:
        unchanged = copy_reads.exam_unchanged(exam)
        exam_condition = unchanged if exam_condition is None else exam_condition & unchanged
    if not token:
        no_lock = [None, "ConditionalCheckFailed"]
        _refused(copy_id, caller, token, no_lock, (stale, stale_reason), wrong_token_forbidden)
    copy_condition = Copy.status == CopyStatus.LOCKED
    assigned = copy_reads.assignment_condition(caller)
    if assigned is not None:
        copy_condition &= assigned
    mine = live_condition(token or "", caller.id, now)

    def exam_check(write: TransactWrite) -> None:  # position 2 even when there is nothing to check
        if exam_id is not None and exam_condition is not None:
            write.condition_check(Exam, exam_id, condition=exam_condition)

    checks: list[Item] = [
        lambda write: write.condition_check(Copy, copy_id, condition=copy_condition),
        lock_item or (lambda write: write.condition_check(Lock, copy_id, condition=mine)),
        exam_check,
    ]
    reasons = commit([*checks, *items], event)
    if reasons is not None:
        _refused(copy_id, caller, token, reasons, (stale, stale_reason), wrong_token_forbidden)


class StaleExam(Conflict):
    """The exam changed since the snapshot the write relied on: read it again and retry."""


def _refused(
    copy_id: str,
    caller: Principal,
    token: str | None,
    reasons: list[str | None],
    stale: tuple[str, str],
    wrong_token_forbidden: bool,
) -> None:
    """Explain a refused grading write (reads only on this path) by raising the right error."""
    seen = copy_reads.read(copy_id, caller, lock=True)  # 404 / 403 first, as every route answers
    lost = [reason in LOST for reason in reasons] + [False] * 3
    if lost[1] or not held_by(seen.lock, caller, token):
        if wrong_token_forbidden and token and is_live(seen.lock) and seen.lock.token != token:
            raise Forbidden("This lock token is not valid for the copy.", reason="lock_token_invalid")
        if wrong_token_forbidden:
            raise Conflict(
                "Your lock has expired; open the copy again.",
                reason="lock_expired",
                extra={"lock_required": True},
            )
        raise Conflict(LOCK_LOST, reason="lock_lost", extra={"lock_required": True})
    if lost[0]:
        raise Conflict(NOT_CHANGEABLE, reason="copy_not_changeable")
    if lost[2]:
        raise StaleExam("The exam changed meanwhile; reload the copy.", reason="exam_changed")
    message, reason = stale
    raise Conflict(message, reason=reason)


def release(copy_id: str, caller: Principal, token: str | None, origin: Origin) -> None:
    """The holder releases (LOCKED → READY); an admin without the token breaks the lock (audited).

    Idempotent: releasing a lock the caller no longer holds (released, expired, taken over since) changes
    nothing and is not an error; another holder's lock is never touched. The write's condition decides.
    """
    if caller.is_admin:
        seen = copy_reads.read(copy_id, caller, lock=True)
        if not held_by(seen.lock, caller, token):
            _break(seen.copy, caller, seen.lock if is_live(seen.lock) else None, origin)
            return
    exam_id = copy_reads.exam_of(copy_id)
    if not token or exam_id is None:
        copy = copy_reads.visible(copy_id, caller)
        if not token:
            return
        exam_id = copy.exam_id
    copy = Copy(copy_id, exam_id=exam_id)
    now = utcnow()
    mine = live_condition(token, caller.id, now)
    items: list[Item] = [lambda write: write.delete(Lock(copy_id), condition=mine)]
    membership = copy_reads.membership_condition(caller)
    if membership is not None:
        items.append(lambda write: write.condition_check(Exam, exam_id, condition=membership))
    try:
        transition(
            copy,
            copy_status.RELEASE,
            condition=copy_reads.assignment_condition(caller),
            items=items,
            event=audit.copy_event(
                "lock.release", copy, actor=caller, origin=origin, metadata={"holder": caller.display_name}
            ),
        )
    except TransitionLost as lost:
        copy_reads.visible(copy_id, caller)  # 404 / 403 for a copy the caller may not see
        if lost.failed(1):
            return  # not (or no longer) the caller's lock: nothing to release
        raise Conflict("The copy changed meanwhile.", reason="copy_changed") from lost


def _break(copy: Copy, caller: Principal, lock: Lock | None, origin: Origin) -> None:
    """Admin: delete whatever lock the copy has and move it back to READY (audited as a break)."""
    try:
        transition(
            copy,
            copy_status.RELEASE,
            items=[lambda write: write.delete(Lock(copy.id))],
            event=audit.copy_event(
                "lock.break",
                copy,
                actor=caller,
                origin=origin,
                metadata={"holder": lock.holder_name} if lock else {},
            ),
        )
    except TransitionLost as lost:
        raise Conflict("The lock changed meanwhile.", reason="lock_changed") from lost


def break_for_unassignment(
    copy: Copy, teacher_id: str, caller: Principal, origin: Origin, reason: str
) -> bool:
    """LOCKED → READY without its teacher, the teacher's lock deleted, in one transaction (audited).

    False (nothing written) when someone else holds a live lock on it (an admin) or the copy changed
    meanwhile (finalised, released, reassigned).
    """
    now = utcnow()
    lock = current_lock(copy.id)
    if lock is not None and lock.holder_id != teacher_id:
        return False
    not_someone_elses = free_condition(now) | (Lock.holder_id == teacher_id)
    try:
        transition(
            copy,
            copy_status.UNASSIGN,
            condition=Copy.teacher_id == teacher_id,
            actions=[Copy.teacher_id.remove()],
            items=[lambda write: write.delete(Lock(copy.id), condition=not_someone_elses)],
            event=audit.copy_event(
                "lock.break",
                copy,
                actor=caller,
                origin=origin,
                metadata={
                    "holder": lock.holder_name if lock else None,
                    "teacher_id": teacher_id,
                    "reason": reason,
                },
            ),
        )
    except TransitionLost:
        return False
    copy.teacher_id = None
    return True
