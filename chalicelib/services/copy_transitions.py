"""The one way a copy changes status: a conditional write of a life-cycle move, audited in the same
transaction.

``transition`` writes the move's target status with ``updated_at`` and ``version + 1`` on the condition
that the copy is in one of the move's source statuses (and whatever else the caller requires: a
version, an attempt, a teacher), together with the caller's other items (a lock put or deleted, a
claim) and the audit event, all or nothing. A lost race is reported once, one way: ``TransitionLost``
(409), whose ``failed`` tells which item's condition did not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.domain.copy_status import Move
from chalicelib.errors import Conflict
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.services import audit

Item = Callable[[TransactWrite], None]
LOST = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class TransitionLost(Conflict):
    """The move did not happen: the copy (position 0) or another item of the transaction changed."""

    def __init__(self, move: Move, reasons: list[str | None], message: str | None = None) -> None:
        super().__init__(message or "The copy changed meanwhile; reload it.", reason="copy_changed")
        self.move = move
        self.reasons = reasons

    def failed(self, position: int) -> bool:
        """True when the condition of the item at ``position`` did not hold (0: the copy itself)."""
        return position < len(self.reasons) and self.reasons[position] in LOST

    @property
    def copy_changed(self) -> bool:
        """True when the copy was no longer in a source status (or failed the caller's condition)."""
        return self.failed(0)


def transition(
    copy: Copy,
    move: Move,
    *,
    event: AuditEvent | None = None,
    actions: Sequence[Any] = (),
    condition: Any = None,
    version: int | None = None,
    items: Sequence[Item] = (),
) -> None:
    """Move ``copy`` (loaded or key-only) by ``move``, with ``items`` and ``event``, in one transaction.

    On success the instance's status, ``updated_at`` and ``version`` (when known) follow the write;
    fields set by ``actions`` are the caller's to mirror.
    """
    now = utcnow()
    required = Copy.status.is_in(*move.sources)
    if condition is not None:
        required &= condition
    if version is not None:
        required &= Copy.version == version
    writes = [Copy.status.set(move.target), Copy.updated_at.set(now), Copy.version.add(1), *actions]
    update: Item = lambda write: write.update(Copy(copy.id), actions=writes, condition=required)  # noqa: E731
    reasons = commit([update, *items], event)
    if reasons is not None:
        raise TransitionLost(move, reasons)
    copy.status, copy.updated_at = str(move.target), now
    if copy.version is not None:
        copy.version = int(copy.version) + 1


def commit(items: Sequence[Item], event: AuditEvent | None = None) -> list[str | None] | None:
    """Write ``items`` and ``event`` in one transaction: None once committed (the event logged), else,
    when a condition did not hold, the cancellation reason of each item in order (an item that writes
    nothing has None)."""
    spans: list[tuple[int, int]] = []
    try:
        with aws.transact_write() as write:
            for item in items:
                start = write.call_count
                item(write)
                spans.append((start, write.call_count))
            if event is not None:
                write.save(event, condition=audit.UNIQUE)
    except TransactWriteError as error:
        by_call = write.reasons(error)
        if not LOST.intersection(by_call):
            raise
        return [next((code for code in by_call[start:end] if code), None) for start, end in spans]
    if event is not None:
        audit.announce(event)
    return None
