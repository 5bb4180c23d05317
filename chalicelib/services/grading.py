"""Grading a copy: detail view, annotations, scores, autosave drafts — every write under the live lock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import aws, storage
from chalicelib.domain.annotations import AnnotationError, check_delta, check_text, normalise_geometry
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.scoring import ScoreError, total, validate_scores
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Annotation, Draft, ScoreSheet
from chalicelib.services import audit, locks

LOCK_LOST = "You do not hold a live lock on this copy (it expired or another session took it)."


def _guarded(
    copy_id: str, caller: Principal, token: str | None, stale: str, write: Callable[[TransactWrite], None]
) -> None:
    """Run ``write`` in a transaction that also checks the caller's live lock and the LOCKED status."""
    locks.require_live_lock(copy_id, caller, token)
    try:
        with aws.transact_write() as transaction:
            for model, key, condition in locks.write_conditions(copy_id, caller, token or ""):
                transaction.condition_check(model, key, condition=condition)
            write(transaction)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        reasons = [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise Conflict(LOCK_LOST, extra={"lock_required": True}) from error
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise Conflict("This copy can no longer be changed.") from error
        raise Conflict(stale) from error


def serialise_annotation(annotation: Annotation) -> dict[str, Any]:
    """The API shape of an annotation."""
    return {
        "id": annotation.id,
        "page_index": int(annotation.page_index),
        "type": annotation.type,
        "geometry": annotation.geometry,
        "text": annotation.text,
        "score_delta": float(annotation.score_delta) if annotation.score_delta is not None else None,
        "version": int(annotation.version),
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
    }


def score_sheet(copy_id: str) -> ScoreSheet:
    """The copy's score sheet (an empty one before any score)."""
    try:
        return ScoreSheet.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return ScoreSheet(copy_id, scores={}, remarks={}, appreciation="", total=0, version=0)


def serialise_scores(sheet: ScoreSheet, max_points: float) -> dict[str, Any]:
    """The API shape of a score sheet."""
    scores = {key: float(value) for key, value in (sheet.scores or {}).items()}
    remarks = dict(sheet.remarks or {})
    return {
        "scores": scores,
        "remarks": remarks,
        "appreciation": sheet.appreciation or "",
        "total": float(sheet.total or 0),
        "max": max_points,
        "version": int(sheet.version or 0),
    }


def copy_detail(copy: Copy, caller: Principal) -> dict[str, Any]:
    """Everything the grading desk shows; teachers get masked page images and no identity."""
    exam = Exam.get(copy.exam_id)
    pages = []
    for page in Page.query(copy.id):
        key = page.image_key
        if not caller.is_admin and page.masked_image_key:
            key = page.masked_image_key
        pages.append(
            {
                "index": int(page.index),
                "url": storage.presigned_get(key),
                "width": int(page.width),
                "height": int(page.height),
            }
        )
    lock = locks.current_lock(copy.id)
    detail: dict[str, Any] = {
        "id": copy.id,
        "exam_id": copy.exam_id,
        "exam_name": exam.name,
        "anonymous_id": copy.anonymous_id,
        "status": copy.status,
        "page_count": int(copy.page_count),
        "pages": pages,
        "scheme": exam.marking_scheme or {"nodes": []},
        "max_points": float(exam.max_points),
        "scores": serialise_scores(score_sheet(copy.id), float(exam.max_points)),
        "annotations": [serialise_annotation(a) for a in Annotation.query(copy.id)],
        "lock": {
            "holder_id": lock.holder_id,
            "holder_name": lock.holder_name,
            "expires_at": lock.expires_at.isoformat(),
            "mine": lock.holder_id == caller.id,
        }
        if lock
        else None,
        "grading_error": copy.grading_error,
        "grading_attempts": int(copy.grading_attempts or 0),
        "final_pdf_available": copy.status == "GRADED"
        and bool(copy.final_pdf_key if caller.is_admin else copy.final_masked_pdf_key),
        "teacher_id": copy.teacher_id,
    }
    if caller.is_admin:
        detail["student_id"] = copy.student_id
    return detail


def _page_count(copy: Copy, page_index: int) -> None:
    if not 0 <= page_index < int(copy.page_count):
        raise BadRequest(f"page_index must be between 0 and {int(copy.page_count) - 1}.")


def add_annotation(
    copy: Copy, caller: Principal, token: str | None, fields: dict[str, Any], origin: Origin
) -> Annotation:
    """Store a new annotation (version 1)."""
    _page_count(copy, fields["page_index"])
    try:
        geometry = normalise_geometry(fields["type"], fields["geometry"])
        text = check_text(fields["type"], fields.get("text"))
        delta = check_delta(fields.get("score_delta"))
    except AnnotationError as error:
        raise BadRequest(f"Invalid annotation: {error}.") from error
    annotation = Annotation(
        copy.id,
        uuid.uuid4().hex,
        page_index=fields["page_index"],
        type=fields["type"],
        geometry=geometry,
        text=text,
        score_delta=delta,
        author_id=caller.id,
        version=1,
    )
    _guarded(
        copy.id,
        caller,
        token,
        "The annotation already exists.",
        lambda write: write.save(annotation, condition=Annotation.id.does_not_exist()),
    )
    audit.record(
        "annotation.create",
        actor=caller,
        origin=origin,
        target_type="annotation",
        target_id=annotation.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"type": annotation.type, "page_index": fields["page_index"]},
    )
    return annotation


def _annotation(copy_id: str, annotation_id: str) -> Annotation:
    try:
        return Annotation.get(copy_id, annotation_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such annotation.") from error


def update_annotation(
    copy: Copy,
    caller: Principal,
    token: str | None,
    annotation_id: str,
    version: int,
    changes: dict[str, Any],
    origin: Origin,
) -> Annotation:
    """Change an annotation if ``version`` is current (409 when stale)."""
    annotation = _annotation(copy.id, annotation_id)
    actions = [Annotation.version.add(1), Annotation.updated_at.set(utcnow())]
    try:
        if "geometry" in changes:
            actions.append(Annotation.geometry.set(normalise_geometry(annotation.type, changes["geometry"])))
        if "text" in changes:
            actions.append(Annotation.text.set(check_text(annotation.type, changes["text"])))
        if "score_delta" in changes:
            delta = check_delta(changes["score_delta"])
            actions.append(
                Annotation.score_delta.remove() if delta is None else Annotation.score_delta.set(delta)
            )
    except AnnotationError as error:
        raise BadRequest(f"Invalid annotation: {error}.") from error
    stale = "The annotation was changed meanwhile; reload it."
    _guarded(
        copy.id,
        caller,
        token,
        stale,
        lambda write: write.update(annotation, actions=actions, condition=Annotation.version == version),
    )
    audit.record(
        "annotation.update",
        actor=caller,
        origin=origin,
        target_type="annotation",
        target_id=annotation_id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"fields": sorted(changes)},
    )
    return _annotation(copy.id, annotation_id)


def delete_annotation(
    copy: Copy, caller: Principal, token: str | None, annotation_id: str, version: int, origin: Origin
) -> None:
    """Delete an annotation if ``version`` is current."""
    annotation = _annotation(copy.id, annotation_id)
    _guarded(
        copy.id,
        caller,
        token,
        "The annotation was changed meanwhile; reload it.",
        lambda write: write.delete(annotation, condition=Annotation.version == version),
    )
    audit.record(
        "annotation.delete",
        actor=caller,
        origin=origin,
        target_type="annotation",
        target_id=annotation_id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
    )


def save_scores(
    copy: Copy,
    caller: Principal,
    token: str | None,
    scores: dict[str, Any],
    remarks: dict[str, str],
    appreciation: str,
    origin: Origin,
) -> dict[str, Any]:
    """Replace the copy's scores, remarks and appreciation after checking them against the scheme."""
    exam = Exam.get(copy.exam_id)
    try:
        clean = validate_scores(scores, remarks, appreciation, exam.marking_scheme)
    except ScoreError as error:
        raise BadRequest(error.message, extra={"node_id": error.node_id}) from error
    previous = score_sheet(copy.id)
    sheet = ScoreSheet(
        copy.id,
        scores=clean,
        remarks=remarks,
        appreciation=appreciation,
        total=total(clean),
        updated_by=caller.id,
        updated_at=utcnow(),
        version=int(previous.version or 0) + 1,
    )
    condition = (
        ScoreSheet.copy_id.does_not_exist()
        if not previous.version
        else ScoreSheet.version == previous.version
    )
    _guarded(
        copy.id,
        caller,
        token,
        "The scores were changed meanwhile; reload them.",
        lambda write: write.save(sheet, condition=condition),
    )
    audit.record(
        "scores.save",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"scores": clean, "total": sheet.total},
    )
    return serialise_scores(sheet, float(exam.max_points))


def get_draft(copy_id: str) -> dict[str, Any]:
    """The autosaved draft (version 0 when none)."""
    try:
        draft = Draft.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return {"version": 0, "payload": None, "updated_at": None, "client_id": None}
    return {
        "version": int(draft.version),
        "payload": draft.payload,
        "updated_at": draft.updated_at.isoformat(),
        "client_id": draft.client_id,
    }


def save_draft(
    copy: Copy, caller: Principal, token: str | None, version: int, client_id: str, payload: Any
) -> dict[str, Any]:
    """Autosave: accepted only on top of the version the writer last saw (409 otherwise)."""
    now = utcnow()
    draft = Draft(
        copy.id,
        version=version + 1,
        client_id=client_id,
        author_id=caller.id,
        payload=payload,
        updated_at=now,
    )
    condition = Draft.copy_id.does_not_exist() if version == 0 else Draft.version == version
    _guarded(
        copy.id,
        caller,
        token,
        "This draft was saved by another window or session meanwhile; reload to continue.",
        lambda write: write.save(draft, condition=condition),
    )
    return {"version": version + 1, "updated_at": now.isoformat()}
