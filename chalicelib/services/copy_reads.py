"""Who may see a copy, and reading a copy with what a request needs of it in one round trip.

A copy never changes exam, so a warm API process remembers each copy's exam (``exam_of``) from any read
or listing of it (the teacher's dashboard, the copies tab): the copy, its exam and the copy's lock and
score sheet then come back from one ``BatchGetItem`` (consistent reads). A process that does not know
the copy yet reads the copy first, once.

Score saves use a snapshot of the exam (its marking scheme) kept from the last read of it (opening or
locking the copy reads it): every write that relies on one checks the exam's version in its own
transaction (``exam_unchanged``), so a snapshot can be old but never wrongly used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.domain.principal import Principal
from chalicelib.errors import Forbidden, NotFound
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock, ScoreSheet

REMEMBERED = 20_000  # copies (and as many exams at most) a process remembers, least recently used out
NOT_ASSIGNED = "This copy is not assigned to you."
_GUARD = threading.Lock()
_EXAM_OF: OrderedDict[str, str] = OrderedDict()
_EXAMS: OrderedDict[str, Exam] = OrderedDict()


def _keep(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    with _GUARD:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > REMEMBERED:
            cache.popitem(last=False)


def exam_of(copy_id: str) -> str | None:
    """The exam of a copy this process has read before (a fact that never changes), or None."""
    return _EXAM_OF.get(copy_id)


def remember(*copies: Copy) -> None:
    """Remember the exam of each copy (read one by one, or listed by the dashboard or the copies tab)."""
    for copy in copies:
        _keep(_EXAM_OF, copy.id, copy.exam_id)


def forget_all() -> None:
    """Drop everything remembered (tests reset tables between cases)."""
    with _GUARD:
        _EXAM_OF.clear()
        _EXAMS.clear()


def teaches(exam: Exam | None, caller: Principal) -> bool:
    """True while the caller is one of the exam's teachers: exam membership is access."""
    return exam is not None and caller.id in (exam.teacher_ids or set())


def can_see(copy: Copy, exam: Exam | None, caller: Principal) -> bool:
    """Admins see every copy; a teacher only a copy dispatched to them, while they teach its exam."""
    return caller.is_admin or (copy.teacher_id == caller.id and teaches(exam, caller))


def assignment_condition(caller: Principal) -> Any:
    """The copy-side half of ``can_see`` as a write condition (None for admins)."""
    return None if caller.is_admin else Copy.teacher_id == caller.id


def membership_condition(caller: Principal) -> Any:
    """The exam-side half of ``can_see`` as a write condition (None for admins)."""
    return None if caller.is_admin else Exam.teacher_ids.contains(caller.id)


@dataclass
class CopyRead:
    """A copy the caller may see, with its exam and, when asked for, its lock and score sheet."""

    copy: Copy
    exam: Exam
    lock: Lock | None = None
    sheet: ScoreSheet | None = None
    also: list[Model | None] = field(default_factory=list)


def load(copy_id: str, *extra: Model) -> tuple[Copy, Exam | None, list[Model | None]]:
    """The copy, its exam and ``extra`` items in one consistent batch when the copy's exam is known to
    the process (else the copy is read first); 404 when there is no copy. No access check: the caller
    applies its own (``read`` below; question grading's)."""
    exam_id = exam_of(copy_id)
    items: list[Any] = [Copy(copy_id), Exam(exam_id or "-"), *extra]
    if exam_id is None:
        copy = _get_copy(copy_id)
        items[1] = Exam(copy.exam_id)
        found = [copy, *aws.batch_get(*items[1:])]
    else:
        found = aws.batch_get(*items)
    copy, exam = found[0], found[1]
    if copy is None:
        raise NotFound("No such copy.", reason="copy_not_found")
    remember(copy)
    if exam is None or exam.id != copy.exam_id:  # the exam was deleted, or a stale entry
        exam = _get_exam(copy.exam_id)
    if exam is not None:
        _keep(_EXAMS, exam.id, exam)  # a consistent read: the freshest snapshot there is
    return copy, exam, found[2:]


def read(
    copy_id: str,
    caller: Principal,
    *,
    lock: bool = False,
    sheet: bool = False,
    also: Sequence[Model] = (),
) -> CopyRead:
    """The copy and what was asked (its lock, its score sheet, ``also`` items of the copy), in one
    round trip when the copy's exam is known; 404 / 403 before anything else is looked at."""
    extra: list[Model] = [*([Lock(copy_id)] if lock else []), *([ScoreSheet(copy_id)] if sheet else [])]
    extra.extend(also)
    copy, exam, found = load(copy_id, *extra)
    if not can_see(copy, exam, caller):
        raise Forbidden(NOT_ASSIGNED, reason="copy_not_assigned")
    rest = iter(found)
    return CopyRead(
        copy, exam, next(rest) if lock else None, next(rest) if sheet else None, list(rest)
    )


def visible(copy_id: str, caller: Principal) -> Copy:
    """The copy if the caller may see it: 404 when there is none, 403 when it is not theirs."""
    return read(copy_id, caller).copy


def _get_copy(copy_id: str) -> Copy:
    try:
        return Copy.get(copy_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such copy.", reason="copy_not_found") from error


def _get_exam(exam_id: str) -> Exam | None:
    try:
        return Exam.get(exam_id, consistent_read=True)
    except DoesNotExist:
        return None


def keep_exam(exam: Exam) -> None:
    """Keep a freshly (consistently) read exam as this process's snapshot."""
    _keep(_EXAMS, exam.id, exam)


def exam_snapshot(exam_id: str, *, fresh: bool = False) -> Exam:
    """The exam as this process last read it (read now when unknown or ``fresh``); 404 when gone.

    Use it only with ``exam_unchanged`` in the same write.
    """
    snapshot = None if fresh else _EXAMS.get(exam_id)
    if snapshot is None:
        snapshot = _get_exam(exam_id)
        if snapshot is None:
            raise NotFound("No such exam.", reason="exam_not_found")
        _keep(_EXAMS, exam_id, snapshot)
    return snapshot


def exam_unchanged(snapshot: Exam) -> Any:
    """The condition that the exam is still the version the snapshot was read at."""
    return Exam.version == snapshot.version
