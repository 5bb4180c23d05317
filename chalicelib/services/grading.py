"""Grading a copy: detail view, annotations, scores, autosave drafts — every write under the live lock."""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import copy_status
from chalicelib.domain.annotations import AnnotationError, check_text, normalise_geometry
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.scoring import ScoreError, total, validate_scores
from chalicelib.errors import BadRequest, NotFound
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.grading import Annotation, Draft, ScoreSheet
from chalicelib.services import audit, copies, copy_reads, locks, page_views

STALE_ANNOTATION = "The annotation was changed meanwhile; reload it."


def serialise_annotation(annotation: Annotation) -> dict[str, Any]:
    """The API shape of an annotation."""
    return {
        "id": annotation.id,
        "page_index": int(annotation.page_index),
        "type": annotation.type,
        "geometry": annotation.geometry,
        "text": annotation.text,
        "version": int(annotation.version),
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
    }


def _empty_sheet(copy_id: str) -> ScoreSheet:
    return ScoreSheet(copy_id, scores={}, remarks={}, appreciation="", total=0, version=0)


def score_sheet(copy_id: str) -> ScoreSheet:
    """The copy's score sheet (an empty one before any score)."""
    try:
        return ScoreSheet.get(copy_id, consistent_read=True)
    except DoesNotExist:
        return _empty_sheet(copy_id)


def loaded_sheet(sheet: ScoreSheet | None, copy_id: str) -> ScoreSheet:
    """A score sheet read in a batch, or the empty one when the copy has none yet."""
    return sheet or _empty_sheet(copy_id)


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


def copy_detail(copy_id: str, caller: Principal) -> dict[str, Any]:
    """Everything the grading desk shows; teachers get masked page images and no identity.

    Three round trips with the copy's exam known: copy, exam, lock and scores in one batch, then the
    pages and the annotations.
    """
    seen = copy_reads.read(copy_id, caller, lock=True, sheet=True)
    copy, exam = seen.copy, seen.exam
    pages = [page_views.page_view(page, caller) for page in Page.query(copy.id)]
    detail: dict[str, Any] = {
        **copy_state(seen, caller),
        "exam_name": exam.name,
        "anonymous_id": copy.anonymous_id,
        "page_count": int(copy.page_count),
        "pages": pages,
        "scheme": exam.marking_scheme or {"nodes": []},
        "max_points": float(exam.max_points),
        "scores": serialise_scores(loaded_sheet(seen.sheet, copy.id), float(exam.max_points)),
        "annotations": [serialise_annotation(a) for a in Annotation.query(copy.id)],
        "teacher_id": copy.teacher_id,
    }
    if caller.is_admin:
        detail["student_id"] = copy.student_id
    return detail


def copy_state(seen: copy_reads.CopyRead, caller: Principal) -> dict[str, Any]:
    """What changes while a copy is open: status, lock, render outcome (the status route's answer)."""
    copy, lock = seen.copy, seen.lock if locks.is_live(seen.lock) else None
    return {
        "id": copy.id,
        "exam_id": copy.exam_id,
        "status": copy.status,
        "version": int(copy.version or 0),
        "updated_at": copy.updated_at.isoformat(),
        "lock": {
            "holder_id": lock.holder_id,
            "holder_name": lock.holder_name,
            "expires_at": lock.expires_at.isoformat(),
            "mine": lock.holder_id == caller.id,
        }
        if lock
        else None,
        "grading_error": copy.grading_error,
        **copies.failure_reason(copy),
        "grading_attempts": int(copy.grading_attempts or 0),
        "reopened": copies.reopened(copy),
        "final_pdf_available": copy.status in copy_status.FINISHED
        and bool(copy.final_pdf_key if caller.is_admin else copy.final_masked_pdf_key),
    }


def status(copy_id: str, caller: Principal) -> dict[str, Any]:
    """The small answer to poll while a copy renders: one round trip after the session's, no URLs."""
    return copy_state(copy_reads.read(copy_id, caller, lock=True), caller)


def _copy_ref(copy_id: str, caller: Principal) -> Copy:
    """The copy's key and exam, from what the process knows or one read (404 / 403 on that read)."""
    exam_id = copy_reads.exam_of(copy_id)
    if exam_id is None:
        return copy_reads.visible(copy_id, caller)
    return Copy(copy_id, exam_id=exam_id)


def _annotation_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    try:
        clean: dict[str, Any] = {}
        if "geometry" in fields:
            clean["geometry"] = normalise_geometry(kind, fields["geometry"])
        if "text" in fields:
            clean["text"] = check_text(kind, fields["text"])
    except AnnotationError as error:
        raise BadRequest(f"Invalid annotation: {error}.", reason="annotation_invalid") from error
    return clean


def add_annotation(
    copy_id: str, caller: Principal, token: str | None, fields: dict[str, Any], origin: Origin
) -> Annotation:
    """Store a new annotation (version 1)."""
    copy = copy_reads.visible(copy_id, caller)
    if not 0 <= fields["page_index"] < int(copy.page_count):
        raise BadRequest(
            f"page_index must be between 0 and {int(copy.page_count) - 1}.",
            reason="page_index_out_of_range",
            params={"max": int(copy.page_count) - 1},
        )
    clean = _annotation_fields(fields["type"], {"text": None, **fields})
    annotation = Annotation(
        copy.id,
        uuid.uuid4().hex,
        page_index=fields["page_index"],
        type=fields["type"],
        geometry=clean["geometry"],
        text=clean["text"],
        author_id=caller.id,
        version=1,
    )
    locks.under_lock(
        copy.id,
        caller,
        token,
        items=[lambda write: write.save(annotation, condition=Annotation.id.does_not_exist())],
        event=_annotation_event(
            "annotation.create",
            annotation,
            copy.exam_id,
            caller,
            origin,
            {"type": annotation.type, "page_index": fields["page_index"]},
        ),
        stale="The annotation already exists.",
        stale_reason="annotation_exists",
    )
    return annotation


def _annotation_event(
    action: str,
    annotation: Annotation,
    exam_id: str,
    caller: Principal,
    origin: Origin,
    metadata: dict[str, Any] | None = None,
) -> AuditEvent:
    """The audit event of an annotation change (stored in the change's own transaction)."""
    return audit.build_event(
        action,
        actor=caller,
        origin=origin,
        target_type="annotation",
        target_id=annotation.id,
        exam_id=exam_id,
        copy_id=annotation.copy_id,
        metadata=metadata,
    )


def _annotation(seen: copy_reads.CopyRead) -> Annotation:
    annotation = seen.also[0]
    if annotation is None:
        raise NotFound("No such annotation.", reason="annotation_not_found")
    return annotation


def update_annotation(
    copy_id: str,
    caller: Principal,
    token: str | None,
    annotation_id: str,
    version: int,
    changes: dict[str, Any],
    origin: Origin,
) -> Annotation:
    """Change an annotation if ``version`` is current (409 when stale)."""
    seen = copy_reads.read(copy_id, caller, also=[Annotation(copy_id, annotation_id)])
    annotation = _annotation(seen)
    clean = _annotation_fields(annotation.type, changes)
    now = utcnow()
    actions = [Annotation.version.add(1), Annotation.updated_at.set(now)]
    for name, value in clean.items():
        attribute = getattr(Annotation, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    locks.under_lock(
        copy_id,
        caller,
        token,
        items=[
            lambda write: write.update(annotation, actions=actions, condition=Annotation.version == version)
        ],
        event=_annotation_event(
            "annotation.update", annotation, seen.copy.exam_id, caller, origin, {"fields": sorted(changes)}
        ),
        stale=STALE_ANNOTATION,
        stale_reason="annotation_changed",
    )
    for name, value in clean.items():
        setattr(annotation, name, value)
    annotation.version, annotation.updated_at = version + 1, now
    return annotation


def delete_annotation(
    copy_id: str, caller: Principal, token: str | None, annotation_id: str, version: int, origin: Origin
) -> None:
    """Delete an annotation if ``version`` is current."""
    seen = copy_reads.read(copy_id, caller, also=[Annotation(copy_id, annotation_id)])
    annotation = _annotation(seen)
    locks.under_lock(
        copy_id,
        caller,
        token,
        items=[lambda write: write.delete(annotation, condition=Annotation.version == version)],
        event=_annotation_event("annotation.delete", annotation, seen.copy.exam_id, caller, origin),
        stale=STALE_ANNOTATION,
        stale_reason="annotation_changed",
    )


def save_scores(
    copy_id: str,
    caller: Principal,
    token: str | None,
    scores: dict[str, Any],
    remarks: dict[str, str],
    appreciation: str,
    origin: Origin,
    version: int | None = None,
) -> dict[str, Any]:
    """Replace the copy's scores, remarks and appreciation after checking them against the scheme.

    ``version`` is the score sheet's version the writer last saw (0: none yet): the save is then one
    transaction after the session's read, with the exam's scheme from this process's snapshot (checked
    unchanged in the same transaction). Without it, the current version is read first.
    """
    copy = _copy_ref(copy_id, caller)
    for fresh in (False, True):
        exam = copy_reads.exam_snapshot(copy.exam_id, fresh=fresh)
        try:
            clean = validate_scores(scores, remarks, appreciation, exam.marking_scheme)
        except ScoreError as error:
            copy_reads.visible(copy_id, caller)  # a copy the caller may not see: 403 before any 400
            raise BadRequest(
                error.message,
                reason="score_invalid",
                extra={"node_id": error.node_id},
            ) from error
        seen = int(score_sheet(copy_id).version or 0) if version is None else version
        sheet = ScoreSheet(
            copy_id,
            scores=clean,
            remarks=remarks,
            appreciation=appreciation,
            total=total(clean),
            updated_by=caller.id,
            updated_at=utcnow(),
            version=seen + 1,
        )
        condition = ScoreSheet.copy_id.does_not_exist() if not seen else ScoreSheet.version == seen
        try:
            locks.under_lock(
                copy_id,
                caller,
                token,
                items=[lambda write, sheet=sheet, when=condition: write.save(sheet, condition=when)],
                event=audit.copy_event(
                    "scores.save",
                    copy,
                    actor=caller,
                    origin=origin,
                    metadata={"scores": clean, "total": sheet.total},
                ),
                stale="The scores were changed meanwhile; reload them.",
                stale_reason="scores_changed",
                exam=exam,
            )
        except locks.StaleExam:
            if fresh:
                raise
            continue
        return serialise_scores(sheet, float(exam.max_points))
    raise AssertionError("unreachable")  # pragma: no cover


def get_draft(copy_id: str, caller: Principal) -> dict[str, Any]:
    """The autosaved draft (version 0 when none)."""
    draft = copy_reads.read(copy_id, caller, also=[Draft(copy_id)]).also[0]
    if draft is None:
        return {"version": 0, "payload": None, "updated_at": None, "client_id": None}
    return {
        "version": int(draft.version),
        "payload": draft.payload,
        "updated_at": draft.updated_at.isoformat(),
        "client_id": draft.client_id,
    }


def save_draft(
    copy_id: str, caller: Principal, token: str | None, version: int, client_id: str, payload: Any
) -> dict[str, Any]:
    """Autosave: accepted only on top of the version the writer last saw (409 otherwise).

    One transaction after the session's read (lock, copy state, assignment and draft version in it).
    """
    now = utcnow()
    draft = Draft(
        copy_id,
        version=version + 1,
        client_id=client_id,
        author_id=caller.id,
        payload=payload,
        updated_at=now,
    )
    condition = Draft.copy_id.does_not_exist() if version == 0 else Draft.version == version
    locks.under_lock(
        copy_id,
        caller,
        token,
        items=[lambda write: write.save(draft, condition=condition)],
        stale="This draft was saved by another window or session meanwhile; reload to continue.",
        stale_reason="draft_changed",
    )
    return {"version": version + 1, "updated_at": now.isoformat()}
