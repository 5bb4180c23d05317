"""Shared rubrics: an exam's rubric items per question, and the re-scoring of the copies using an item
once its points, kind, label or comment changed.

Who may read: admins and the exam's teachers. Who may write an item: an admin, or, in question mode, a
teacher assigned to its question (``exam.question_teachers``). Every write checks, in its own
transaction, that the exam is still the version read (its scheme gave the item's maximum, its dispatch
the caller's right), and the item's version for an update or a delete. A new item claims the id
``<question>.<n>``, n one more than the items its question ever had (``_claim``): creations that read
the same rubric claim the same id and only one put succeeds, so the per-question cap and the item's
position are decided by that conditional put, not by the read before it.

Re-scoring is a job: the edit writes ``rescore-jobs/<exam>/<item>/<version>.json`` *before* its
transaction (a job whose item never reaches that version is dropped), and the rescore function runs
``run_job``: every question score using the item is recomputed (``domain.rubric.question_score``) and,
for a GRADED or GRADING_FAILED copy, its score sheet rebuilt (``rescoring.assemble_sheet``) and written
with ``rescoring.rescore`` — the question score, the sheet, the audit event and the RESCORE move in one
transaction per copy. A copy compares equal once done, so a job run twice (or resumed after dying
half-way) changes nothing more; a copy being rendered or a lost race is tried again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import aws, storage
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import Leaf, leaves
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.rubric import (
    MAX_ITEMS_PER_QUESTION,
    Applied,
    RubricError,
    check_item,
    question_score,
)
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import QuestionScore, RubricItem
from chalicelib.observability import logger
from chalicelib.resources import RESCORE_JOBS_PREFIX
from chalicelib.services import audit, copy_reads, exams, rescoring
from chalicelib.services.copy_transitions import LOST, Item, TransitionLost, commit

SCORING_FIELDS = frozenset({"label", "kind", "points", "comment"})
WRITE_ATTEMPTS = 3  # an exam changed meanwhile (dispatch, scheme): read it again and retry
COPY_ATTEMPTS = 8  # per copy and job run: a render in progress or a lost race is tried again
RENDER_WAIT_SECONDS = 1.0  # first pause before trying a copy being rendered again (doubles, capped)
MAX_RENDER_WAIT_SECONDS = 8.0
WORKERS = 8
MAX_ITEM_CHECKS = 90  # a transaction holds 100 items: the copy, its sheet, a score, the audit event, …
STALE_ITEM = "The rubric item was changed meanwhile; reload it."


class RescoreNotReady(Exception):
    """The job's edit is not visible yet (its transaction may still be committing): run it later."""


class RescoreIncomplete(Exception):
    """Some copies could not be re-scored in this run (being rendered, races): the job runs again."""

    def __init__(self, copy_ids: list[str]) -> None:
        super().__init__(f"{len(copy_ids)} copies left to re-score")
        self.copy_ids = copy_ids


# ------------------------------------------------------------------------------------------ reading


def number(value: Decimal) -> int | float:
    """A Decimal as the number a NumberAttribute stores (and JSON shows)."""
    return int(value) if value == value.to_integral_value() else float(value)


def serialise(item: RubricItem) -> dict[str, Any]:
    """The API shape of a rubric item."""
    return {
        "id": item.id,
        "question_id": item.question_id,
        "position": int(item.position),
        "label": item.label,
        "kind": item.kind,
        "points": number(Decimal(str(item.points))),
        "comment": item.comment,
        "version": int(item.version),
    }


def exam_items(exam_id: str, *, with_deleted: bool = False) -> list[RubricItem]:
    """The exam's items by question (scheme order) then position; deleted ones only when asked."""
    return [
        item
        for item in RubricItem.query(exam_id, consistent_read=True)
        if with_deleted or not item.deleted
    ]


def _ordered(exam: Exam, items: Iterable[RubricItem]) -> list[RubricItem]:
    order = {leaf.id: position for position, leaf in enumerate(_leaves(exam))}
    return sorted(items, key=lambda i: (order.get(i.question_id, len(order)), int(i.position), i.id))


def list_items(exam_id: str, caller: Principal, question_id: str | None = None) -> list[dict[str, Any]]:
    """The exam's items (admins, its teachers; 404 for others), one question's with ``question_id``."""
    exam = exams.visible_exam(exam_id, caller)
    if question_id is not None:
        _leaf(exam, question_id)
    items = [i for i in exam_items(exam_id) if question_id is None or i.question_id == question_id]
    return [serialise(item) for item in _ordered(exam, items)]


def _leaves(exam: Exam) -> list[Leaf]:
    return leaves((exam.marking_scheme or {}).get("nodes", []))


def _leaf(exam: Exam, question_id: str) -> Leaf:
    for leaf in _leaves(exam):
        if leaf.id == question_id:
            return leaf
    raise BadRequest(
        "No such question in the exam's marking scheme.",
        reason="question_unknown",
        params={"question_id": question_id},
    )


def _may_write(exam: Exam, question_id: str, caller: Principal) -> None:
    """Admins; a teacher of the exam assigned to ``question_id`` in question mode; 403 otherwise."""
    if caller.is_admin:
        return
    assigned = (exam.question_teachers or {}).get(question_id) or []
    if exam.grading_mode == "QUESTION" and caller.id in assigned and copy_reads.teaches(exam, caller):
        return
    raise Forbidden(
        "Only an admin or a teacher grading this question can change its rubric.",
        reason="rubric_not_allowed",
    )


def _checked_points(kind: str, points: float | int, leaf: Leaf) -> Decimal:
    try:
        return check_item(kind, points, leaf.max_points)
    except RubricError as error:
        raise BadRequest(
            f"Invalid points: {error}.",
            reason="rubric_points_invalid",
            params={"max": float(leaf.max_points)},
        ) from error


def _exam_still(exam: Exam) -> Item:
    return lambda write: write.condition_check(Exam, exam.id, condition=copy_reads.exam_unchanged(exam))


# ------------------------------------------------------------------------------------------ writing


def create_item(
    exam_id: str, caller: Principal, fields: Mapping[str, Any], origin: Origin
) -> RubricItem:
    """Append an item to its question's rubric: the item put and the audit event in one transaction,
    on the condition that the exam is unchanged (its scheme, the caller's dispatch)."""
    for _ in range(WRITE_ATTEMPTS):
        exam = exams.visible_exam(exam_id, caller)
        leaf = _leaf(exam, fields["question_id"])
        _may_write(exam, leaf.id, caller)
        points = _checked_points(fields["kind"], fields["points"], leaf)
        siblings = [i for i in exam_items(exam_id, with_deleted=True) if i.question_id == leaf.id]
        if sum(1 for i in siblings if not i.deleted) >= MAX_ITEMS_PER_QUESTION:
            raise Unprocessable(
                f"A question has at most {MAX_ITEMS_PER_QUESTION} rubric items.",
                reason="rubric_too_many_items",
                params={"max": MAX_ITEMS_PER_QUESTION},
            )
        now = utcnow()
        item = RubricItem(
            exam_id,
            _claim(leaf.id, siblings),
            question_id=leaf.id,
            position=max((int(i.position) for i in siblings), default=0) + 1,
            label=fields["label"],
            kind=fields["kind"],
            points=number(points),
            comment=fields.get("comment") or None,
            deleted=False,
            created_by=caller.id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        event = audit.build_event(
            "rubric.create",
            actor=caller,
            origin=origin,
            target_type="rubric_item",
            target_id=item.id,
            exam_id=exam_id,
            metadata={"question_id": leaf.id, "label": item.label, "kind": item.kind,
                      "points": float(points)},
        )
        put: Item = lambda write, item=item: write.save(item, condition=RubricItem.id.does_not_exist())  # noqa: E731
        reasons = commit([put, _exam_still(exam)], event)
        if reasons is None:
            return item
        copy_reads.exam_snapshot(exam_id, fresh=True)
    raise Conflict("The exam changed meanwhile; reload it.", reason="exam_changed")


def _claim(question_id: str, siblings: list[RubricItem]) -> str:
    """The id a new item of ``question_id`` claims, given every item the question has (removed ones too).

    Items are never deleted from the table, so this is ``<question>.<count + 1>`` unless that id is
    already taken; a creation racing this one read the same rubric and claims the same id.
    """
    taken = {item.id for item in siblings}
    n = len(siblings) + 1
    while f"{question_id}.{n}" in taken:
        n += 1
    return f"{question_id}.{n}"


def _get_item(exam_id: str, item_id: str) -> RubricItem:
    try:
        item = RubricItem.get(exam_id, item_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such rubric item.", reason="rubric_item_not_found") from error
    if item.deleted:
        raise NotFound("No such rubric item.", reason="rubric_item_not_found")
    return item


def _users(exam_id: str, question_id: str, item_id: str) -> list[QuestionScore]:
    """The question scores that apply ``item_id`` (the GSI: eventually consistent, so a job re-reads)."""
    return list(
        QuestionScore.exam_index.query(
            exam_id,
            QuestionScore.question_id == question_id,
            filter_condition=QuestionScore.rubric_item_ids.contains(item_id),
        )
    )


def job_key(exam_id: str, item_id: str, version: int) -> str:
    """The input of the re-scoring after an item reached ``version`` (its creation starts the job)."""
    return f"{RESCORE_JOBS_PREFIX}{exam_id}/{item_id}/{version}.json"


def parse_job_key(key: str) -> tuple[str, str, int] | None:
    """(exam id, item id, version) of a job key, or None."""
    if not key.startswith(RESCORE_JOBS_PREFIX) or not key.endswith(".json"):
        return None
    parts = key[len(RESCORE_JOBS_PREFIX) : -len(".json")].split("/")
    if len(parts) != 3 or not parts[2].isdigit() or not all(parts):
        return None
    return parts[0], parts[1], int(parts[2])


@dataclass
class Update:
    """What ``update_item`` did: the item, and how many copies its re-scoring concerns."""

    item: RubricItem
    copies: int
    rescoring: bool


def _absolute_conflict(uses: list[QuestionScore], item_id: str, others: Mapping[str, RubricItem]) -> bool:
    return any(
        i != item_id and i in others and others[i].kind == "absolute"
        for score in uses
        for i in score.rubric_item_ids or []
    )


def update_item(
    exam_id: str,
    item_id: str,
    caller: Principal,
    version: int,
    changes: Mapping[str, Any],
    origin: Origin,
) -> Update:
    """Change an item (409 ``rubric_item_changed`` for a stale version): the update and the audit event
    in one transaction; a change of what it is worth or says queues the re-scoring of its copies."""
    for _ in range(WRITE_ATTEMPTS):
        exam = exams.visible_exam(exam_id, caller)
        item = _get_item(exam_id, item_id)
        leaf = _leaf(exam, item.question_id)
        _may_write(exam, leaf.id, caller)
        if int(item.version) != version:
            raise Conflict(STALE_ITEM, reason="rubric_item_changed", extra={"item": serialise(item)})
        kind = changes.get("kind", item.kind)
        points = _checked_points(kind, changes.get("points", item.points), leaf)
        after = {
            "label": changes.get("label", item.label),
            "kind": kind,
            "points": points,
            "comment": (changes["comment"] or None) if "comment" in changes else item.comment,
        }
        before = {"label": item.label, "kind": item.kind, "points": Decimal(str(item.points)),
                  "comment": item.comment}
        changed = {name for name in SCORING_FIELDS if after[name] != before[name]}
        uses = _users(exam_id, leaf.id, item_id) if changed else []
        if kind == "absolute" and item.kind != "absolute" and uses:
            others = {i.id: i for i in exam_items(exam_id, with_deleted=True)}
            if _absolute_conflict(uses, item_id, others):
                raise Conflict(
                    "A copy already has another absolute item on this question; it cannot have two.",
                    reason="rubric_absolute_twice",
                )
        new_version = int(item.version) + 1
        now = utcnow()
        actions = [
            RubricItem.label.set(after["label"]),
            RubricItem.kind.set(kind),
            RubricItem.points.set(number(points)),
            RubricItem.updated_at.set(now),
            RubricItem.version.set(new_version),
            RubricItem.comment.set(after["comment"]) if after["comment"] else RubricItem.comment.remove(),
        ]
        if "position" in changes:
            actions.append(RubricItem.position.set(changes["position"]))
        if changed:
            # Before the change commits: a job that dies here, or a change that loses, finds nothing to do.
            payload = {"exam_id": exam_id, "item_id": item_id, "version": new_version}
            storage.put_bytes(job_key(exam_id, item_id, new_version), json.dumps(payload).encode(),
                              "application/json")
        event = audit.build_event(
            "rubric.update",
            actor=caller,
            origin=origin,
            target_type="rubric_item",
            target_id=item_id,
            exam_id=exam_id,
            metadata={
                "question_id": leaf.id,
                "version": new_version,
                "changed": sorted(changed | ({"position"} if "position" in changes else set())),
                "before": {**before, "points": float(before["points"]), "position": int(item.position)},
                "after": {**after, "points": float(points),
                          "position": int(changes.get("position", item.position))},
                "copies": len(uses),
            },
        )
        condition = (RubricItem.version == version) & (RubricItem.deleted == False)  # noqa: E712
        update: Item = lambda write, actions=actions, condition=condition: write.update(  # noqa: E731
            RubricItem(exam_id, item_id), actions=actions, condition=condition
        )
        reasons = commit([update, _exam_still(exam)], event)
        if reasons is None:
            item.label, item.kind, item.points = after["label"], kind, number(points)
            item.comment, item.version, item.updated_at = after["comment"], new_version, now
            if "position" in changes:
                item.position = changes["position"]
            return Update(item, len(uses), bool(changed))
        if reasons[0] in LOST:
            current = _get_item(exam_id, item_id)
            raise Conflict(STALE_ITEM, reason="rubric_item_changed", extra={"item": serialise(current)})
        copy_reads.exam_snapshot(exam_id, fresh=True)
    raise Conflict("The exam changed meanwhile; reload it.", reason="exam_changed")


def delete_item(exam_id: str, item_id: str, caller: Principal, version: int, origin: Origin) -> None:
    """Hide an item no copy uses (409 ``rubric_item_in_use`` otherwise, ``rubric_item_changed`` for a
    stale version); kept as deleted so the audit trail and earlier PDFs still name it."""
    exam = exams.visible_exam(exam_id, caller)
    item = _get_item(exam_id, item_id)
    _may_write(exam, item.question_id, caller)
    if int(item.version) != version:
        raise Conflict(STALE_ITEM, reason="rubric_item_changed", extra={"item": serialise(item)})
    in_use = len(_users(exam_id, item.question_id, item_id))
    if in_use:
        raise Conflict(
            "Copies use this rubric item: remove it from them first.",
            reason="rubric_item_in_use",
            params={"copies": in_use},
        )
    event = audit.build_event(
        "rubric.delete",
        actor=caller,
        origin=origin,
        target_type="rubric_item",
        target_id=item_id,
        exam_id=exam_id,
        metadata={"question_id": item.question_id, "label": item.label, "version": version},
    )
    condition = (RubricItem.version == version) & (RubricItem.deleted == False)  # noqa: E712
    actions = [RubricItem.deleted.set(True), RubricItem.version.set(version + 1),
               RubricItem.updated_at.set(utcnow())]
    reasons = commit(
        [lambda write: write.update(RubricItem(exam_id, item_id), actions=actions, condition=condition)],
        event,
    )
    if reasons is not None:
        raise Conflict(STALE_ITEM, reason="rubric_item_changed")


# ---------------------------------------------------------------------------------------- statistics


def statistics(exam: Exam, graded_copy_ids: Iterable[str]) -> list[dict[str, Any]]:
    """How many of the given (graded) copies got each of the exam's items, in rubric order."""
    wanted = set(graded_copy_ids)
    items = _ordered(exam, exam_items(exam.id))
    counts: dict[str, int] = {item.id: 0 for item in items}
    for question_id in {item.question_id for item in items}:
        for score in QuestionScore.exam_index.query(exam.id, QuestionScore.question_id == question_id):
            if score.copy_id not in wanted:
                continue
            for item_id in set(score.rubric_item_ids or []):
                if item_id in counts:
                    counts[item_id] += 1
    return [
        {
            "question_id": item.question_id,
            "item_id": item.id,
            "label": item.label,
            "points": serialise(item)["points"],
            "kind": item.kind,
            "count": counts[item.id],
        }
        for item in items
    ]


# ---------------------------------------------------------------------------------------- re-scoring


@dataclass
class JobResult:
    """What one run of a job did."""

    rescored: list[str] = field(default_factory=list)  # copies written (scores, sheet, render queued)
    unchanged: list[str] = field(default_factory=list)  # copies already up to date
    pending: list[str] = field(default_factory=list)  # copies to try again in a later run


def _applied(score: QuestionScore, items: Mapping[str, RubricItem]) -> list[Applied]:
    return [
        Applied(items[i].kind, Decimal(str(items[i].points)))
        for i in score.rubric_item_ids or []
        if i in items
    ]


def _same_sheet(current: ScoreSheet | None, new: ScoreSheet) -> bool:
    if current is None:
        return False
    scores = {k: float(v) for k, v in (current.scores or {}).items()}
    return scores == dict(new.scores or {}) and dict(current.remarks or {}) == dict(new.remarks or {})


def _score_write(score: QuestionScore, new_score: Decimal | None) -> Item:
    """The question score's new value on the version read; or just that version, when unchanged."""
    seen = QuestionScore.version == score.version
    if new_score is None:
        return lambda write: write.condition_check(
            QuestionScore, score.copy_id, score.question_id, condition=seen
        )
    actions = [QuestionScore.score.set(number(new_score)), QuestionScore.version.add(1),
               QuestionScore.updated_at.set(utcnow())]
    return lambda write: write.update(
        QuestionScore(score.copy_id, score.question_id), actions=actions, condition=seen
    )


def _items_unchanged(scores: Iterable[QuestionScore], items: Mapping[str, RubricItem]) -> list[Item]:
    """Condition checks: each rubric item applied on the copy is still the version read (the first
    ``MAX_ITEM_CHECKS`` of them: a transaction holds 100 items)."""
    applied = sorted({i for score in scores for i in score.rubric_item_ids or [] if i in items})
    checks: list[Item] = []
    for item_id in applied[:MAX_ITEM_CHECKS]:
        item = items[item_id]
        checks.append(
            lambda write, item=item: write.condition_check(
                RubricItem, item.exam_id, item.id, condition=RubricItem.version == item.version
            )
        )
    return checks


def rescore_copy(
    copy_id: str,
    exam: Exam,
    item: RubricItem,
    items: Mapping[str, RubricItem],
    leaf: Leaf,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Bring one copy up to date with ``item``: "rescored", "unchanged", or "pending" (try it later).

    The write checks the version of every rubric item the copy's scores and remarks were computed from:
    a concurrent edit of one of them (its own job re-scores the copy too) makes this write lose, and
    the copy is computed again from the items read afresh — an older job never overwrites a newer one.
    """
    wait = RENDER_WAIT_SECONDS
    for attempt in range(COPY_ATTEMPTS):
        if attempt:
            items = {i.id: i for i in exam_items(exam.id, with_deleted=True)}
        copy, sheet, *found = aws.batch_get(
            Copy(copy_id), ScoreSheet(copy_id), *[QuestionScore(copy_id, q.id) for q in _leaves(exam)]
        )  # one round trip: the copy, its sheet and its question scores
        scores = {s.question_id: s for s in found if s is not None}
        score = scores.get(leaf.id)
        if copy is None or score is None or item.id not in (score.rubric_item_ids or []):
            return "unchanged"  # gone, or the item was taken off meanwhile
        try:
            computed = question_score(_applied(score, items), Decimal(str(score.adjustment or 0)),
                                      leaf.max_points)
        except RubricError:
            logger.warning("rubric rescore skipped a copy", extra={"copy_id": copy_id, "item_id": item.id})
            return "unchanged"
        before = None if score.score is None else Decimal(str(score.score))
        new_score = computed if before is not None and computed != before else None
        unchanged = _items_unchanged(scores.values(), items)
        metadata = {"item_id": item.id, "item_version": int(items[item.id].version), "question_id": leaf.id,
                    "score_before": float(before) if before is not None else None,
                    "score_after": float(computed) if before is not None else None}
        try:
            if copy.status in (CopyStatus.GRADED, CopyStatus.GRADING_FAILED, CopyStatus.GRADING_IN_PROGRESS):
                if new_score is not None:
                    score.score = number(new_score)
                fresh = rescoring.assemble_sheet(copy_id, exam, scores, items, previous=sheet,
                                                 updated_by="system")
                if new_score is None and _same_sheet(sheet, fresh):
                    return "unchanged"
                if copy.status == CopyStatus.GRADING_IN_PROGRESS:
                    raise Conflict("rendering", reason="copy_rendering")
                event = audit.copy_event(
                    "copy.rescore",
                    copy,
                    actor_role="system",
                    metadata={**metadata, "total_before": float(sheet.total or 0) if sheet else None,
                              "total_after": float(fresh.total)},
                )
                rescoring.rescore(copy, exam, fresh, int(sheet.version or 0) if sheet else 0, event=event,
                                  items=[_score_write(score, new_score), *unchanged])
                return "rescored"
            if new_score is None:
                return "unchanged"
            event = audit.copy_event("copy.rescore", copy, actor_role="system", metadata=metadata)
            reasons = commit([_score_write(score, new_score), *unchanged], event)
            if reasons is None:
                return "rescored"
        except TransitionLost:
            pass  # the copy, its sheet, a question score or a rubric item changed: read again
        except Conflict as error:
            if error.reason != "copy_rendering":
                raise
            sleep(wait)
            wait = min(wait * 2, MAX_RENDER_WAIT_SECONDS)
    return "pending"


def run_job(key: str, sleep: Callable[[float], None] = time.sleep) -> JobResult:
    """Re-score every copy using the item of job ``key`` (idempotent, resumable).

    ``RescoreNotReady`` while the item has not reached the job's version; ``RescoreIncomplete`` when
    some copies must be tried again later (the others are done and stay done).
    """
    parsed = parse_job_key(key)
    result = JobResult()
    if parsed is None:
        return result
    exam_id, item_id, version = parsed
    try:
        exam = Exam.get(exam_id, consistent_read=True)
    except DoesNotExist:
        return result
    items = {i.id: i for i in exam_items(exam_id, with_deleted=True)}
    item = items.get(item_id)
    if item is None:
        return result
    if int(item.version) < version:
        raise RescoreNotReady(key)
    leaf = next((leaf for leaf in _leaves(exam) if leaf.id == item.question_id), None)
    if leaf is None:
        return result
    copy_ids = sorted({score.copy_id for score in _users(exam_id, leaf.id, item_id)})
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(lambda c: rescore_copy(c, exam, item, items, leaf, sleep), copy_ids))
    for copy_id, outcome in zip(copy_ids, outcomes, strict=True):
        getattr(result, outcome).append(copy_id)
    logger.info(
        "rubric rescore",
        extra={"exam_id": exam_id, "item_id": item_id, "version": version,
               "rescored": len(result.rescored), "unchanged": len(result.unchanged),
               "pending": len(result.pending)},
    )
    if result.pending:
        raise RescoreIncomplete(result.pending)
    return result
