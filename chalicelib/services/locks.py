"""Grading locks: one holder per copy, 10 minutes without a heartbeat, every rule a write condition.

A live lock is ``expires_at > now`` checked inside the condition of each write: TTL deletion is lazy
and never relied upon.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import Conflict, Forbidden
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from chalicelib.observability import metrics
from chalicelib.services import audit

LOCK_SECONDS = 600
LOCKABLE = ("READY", "LOCKED")


@dataclass(frozen=True)
class Grant:
    """A held lock: its token, expiry, and whether this call created it."""

    token: str
    expires_at: datetime
    created: bool


def current_lock(copy_id: str) -> Lock | None:
    """The copy's live lock, or None."""
    try:
        lock = Lock.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return None
    return lock if lock.expires_at > utcnow() else None


def holder_conflict(copy_id: str) -> Conflict:
    """409 naming who holds the copy and until when."""
    lock = current_lock(copy_id)
    if lock is None:
        return Conflict("The copy is not available for grading right now.")
    metrics.add_metric(name="LockConflicts", unit="Count", value=1)
    return Conflict(
        f"This copy is being graded by {lock.holder_name}.",
        extra={"holder": lock.holder_name, "expires_at": lock.expires_at.isoformat()},
    )


def acquire(copy: Copy, caller: Principal, origin: Origin) -> Grant:
    """Take the lock (201), or get yours back with the same token (200), or 409 with the holder."""
    if copy.status not in LOCKABLE:
        raise Conflict(f"A copy in status {copy.status} cannot be locked.")
    now = utcnow()
    expires = now + timedelta(seconds=LOCK_SECONDS)
    mine = current_lock(copy.id)
    if mine is not None and mine.holder_id == caller.id:
        return Grant(mine.token, heartbeat(copy.id, caller, mine.token), created=False)
    token = secrets.token_urlsafe(24)
    lock = Lock(
        copy.id,
        token=token,
        holder_id=caller.id,
        holder_name=caller.display_name,
        acquired_at=now,
        expires_at=expires,
        ttl=expires + timedelta(hours=1),
    )
    try:
        with aws.transact_write() as write:
            write.save(lock, condition=Lock.copy_id.does_not_exist() | (Lock.expires_at <= now))
            write.update(
                copy,
                actions=[Copy.status.set("LOCKED"), Copy.updated_at.set(now)],
                condition=Copy.status.is_in(*LOCKABLE),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            raise holder_conflict(copy.id) from error
        raise
    audit.record(
        "lock.acquire",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
    )
    return Grant(token, expires, created=True)


def _mine(token: str, caller: Principal, now: datetime) -> Any:
    return (Lock.token == token) & (Lock.holder_id == caller.id) & (Lock.expires_at > now)


def heartbeat(copy_id: str, caller: Principal, token: str) -> datetime:
    """Extend the caller's live lock by 10 minutes; 403 for a wrong token, 409 when lost."""
    now = utcnow()
    expires = now + timedelta(seconds=LOCK_SECONDS)
    try:
        Lock(copy_id).update(
            actions=[Lock.expires_at.set(expires), Lock.ttl.set(expires + timedelta(hours=1))],
            condition=_mine(token, caller, now),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        lock = current_lock(copy_id)
        if lock is not None and lock.token != token:
            raise Forbidden("This lock token is not valid for the copy.") from error
        raise Conflict("Your lock has expired; open the copy again.") from error
    return expires


def require_live_lock(copy_id: str, caller: Principal, token: str | None) -> Lock:
    """The caller's live lock on the copy, or 409 (the writes also re-check it in their condition)."""
    lock = current_lock(copy_id)
    if not token or lock is None or lock.token != token or lock.holder_id != caller.id:
        raise Conflict("You do not hold the lock on this copy.", extra={"lock_required": True})
    return lock


def write_conditions(copy_id: str, caller: Principal, token: str) -> list[tuple[type, str, Any]]:
    """Condition checks every grading write carries: the caller's live lock, and the copy LOCKED."""
    now = utcnow()
    return [(Lock, copy_id, _mine(token, caller, now)), (Copy, copy_id, Copy.status == "LOCKED")]


def release(copy: Copy, caller: Principal, token: str | None, origin: Origin) -> None:
    """The holder releases (LOCKED → READY); an admin without the token breaks the lock (audited).

    Idempotent: releasing a lock the caller no longer holds (released, expired, taken over since) changes
    nothing and is not an error; another holder's lock is never touched. The write's condition decides.
    """
    if caller.is_admin:
        lock = current_lock(copy.id)
        if lock is None or lock.token != token:
            _break(copy, caller, lock, origin)
            return
    if not token or not _release_mine(copy, caller, token):
        return
    audit.record(
        "lock.release",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"holder": caller.display_name},
    )


def _release_mine(copy: Copy, caller: Principal, token: str) -> bool:
    """Delete the caller's live lock, the copy back to READY; False when the lock is not theirs (any more)."""
    now = utcnow()
    try:
        with aws.transact_write() as write:
            write.delete(Lock(copy.id), condition=_mine(token, caller, now))
            write.update(
                copy,
                actions=[Copy.status.set("READY"), Copy.updated_at.set(now)],
                condition=Copy.status.is_in(*LOCKABLE),
            )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        reasons = [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        raise Conflict("The copy changed meanwhile.") from error
    return True


def _break(copy: Copy, caller: Principal, lock: Lock | None, origin: Origin) -> None:
    """Admin: delete whatever lock the copy has and move it back to READY (audited as a break)."""
    try:
        with aws.transact_write() as write:
            write.delete(Lock(copy.id))
            write.update(
                copy,
                actions=[Copy.status.set("READY"), Copy.updated_at.set(utcnow())],
                condition=Copy.status.is_in(*LOCKABLE),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict("The lock changed meanwhile.") from error
        raise
    audit.record(
        "lock.break",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"holder": lock.holder_name} if lock else {},
    )


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
    try:
        with aws.transact_write() as write:
            write.delete(
                Lock(copy.id),
                condition=Lock.copy_id.does_not_exist()
                | (Lock.holder_id == teacher_id)
                | (Lock.expires_at <= now),
            )
            write.update(
                copy,
                actions=[
                    Copy.status.set("READY"),
                    Copy.teacher_id.remove(),
                    Copy.updated_at.set(now),
                    Copy.version.add(1),
                ],
                condition=(Copy.status == "LOCKED") & (Copy.teacher_id == teacher_id),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    audit.record(
        "lock.break",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"holder": lock.holder_name if lock else None, "teacher_id": teacher_id, "reason": reason},
    )
    return True
