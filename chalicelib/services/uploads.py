"""Scan uploads: a pre-signed POST for the browser, and the tracked upload record."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import storage
from chalicelib.domain import copy_status
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, Conflict, NotFound, PayloadTooLarge
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Upload
from chalicelib.models.ocr import OcrResult
from chalicelib.models.users import UniqueValue
from chalicelib.services import audit, copies, exams, loose_pages, ratelimit
from chalicelib.services.copy_transitions import Item, commit
from chalicelib.settings import get_settings

SETTLED = ("DONE", "FAILED")  # an upload whose processing is over (it can be deleted)
DELETED = "DELETED"

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def serialise(upload: Upload) -> dict[str, Any]:
    """The API shape of an upload."""
    return {
        "id": upload.id,
        "upload_id": upload.id,
        "exam_id": upload.exam_id,
        "filename": upload.filename,
        "size": int(upload.size),
        "status": upload.status,
        "error": upload.error,
        "error_reason": upload.error_reason,
        "error_params": upload.error_params or {},
        "copies": int(upload.copies),
        "pages": int(upload.pages),
        "created_at": upload.created_at.isoformat(),
        "updated_at": upload.updated_at.isoformat(),
    }


def start_upload(
    exam_id: str, filename: str, size: int, *, actor: Principal, origin: Origin
) -> tuple[Upload, dict[str, Any]]:
    """Register an upload and return the pre-signed POST the browser sends the PDF with."""
    settings = get_settings()
    exams.get_exam(exam_id)
    if size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"The file is larger than the {settings.max_upload_bytes // (1024 * 1024)} MB limit.",
            reason="file_too_large",
            params={"mb": settings.max_upload_bytes // (1024 * 1024)},
        )
    if size < 1:
        raise BadRequest("The file is empty.", reason="file_empty")
    if not filename.lower().endswith(".pdf"):
        raise BadRequest("Upload a PDF file.", reason="not_a_pdf")
    ratelimit.consume(
        f"upload:{actor.id}", settings.uploads_per_hour, 3600, "Too many uploads. Try again later."
    )
    upload_id = uuid.uuid4().hex
    upload = Upload(
        exam_id,
        upload_id,
        filename=SAFE_NAME.sub("_", filename)[:200],
        size=size,
        object_key=storage.scan_key(exam_id, upload_id),
        created_by=actor.id,
    )
    upload.save(condition=Upload.id.does_not_exist())
    audit.record(
        "upload.create",
        actor=actor,
        origin=origin,
        target_type="upload",
        target_id=upload_id,
        exam_id=exam_id,
        metadata={"filename": upload.filename, "size": size},
    )
    return upload, storage.presigned_upload(upload.object_key, size)


def get_upload(exam_id: str, upload_id: str) -> Upload:
    """One upload of an exam, or 404."""
    try:
        return Upload.get(exam_id, upload_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such upload.", reason="upload_not_found") from error


def list_uploads(exam_id: str) -> list[Upload]:
    """An exam's uploads, newest first."""
    exams.get_exam(exam_id)
    return sorted(Upload.query(exam_id), key=lambda upload: upload.created_at, reverse=True)


def delete_upload(exam_id: str, upload_id: str, *, actor: Principal, origin: Origin) -> dict[str, Any]:
    """Remove a processed upload and every copy it produced, while none of them is dispatched (audited).

    For a scan uploaded twice or the wrong one. Refused (409, nothing removed) while the upload is being
    processed, or when one of its copies is dispatched to a teacher or being graded: reassign or
    finish those first. The upload is marked DELETED first (so processing can never start again on it),
    then each copy goes in its own transaction with its identity claim and audit event, each on the
    condition that it is still undispatched and unchanged; a repeat finishes an interrupted deletion.
    """
    upload = get_upload(exam_id, upload_id)
    if upload.status not in (*SETTLED, DELETED):
        raise Conflict(
            "This scan is still being processed; delete it once it is done.",
            reason="scan_processing",
        )
    copies = [copy for copy in Copy.exam_index.query(exam_id) if copy.upload_id == upload_id]
    blocked = [c for c in copies if c.teacher_id or c.status not in copy_status.REASSIGNABLE]
    if blocked:
        raise Conflict(
            "Copies of this scan are dispatched or being graded: "
            f"{', '.join(sorted(c.anonymous_id for c in blocked))}. Reassign or finish them first.",
            reason="upload_copies_in_use",
            params={"copies": ", ".join(sorted(c.anonymous_id for c in blocked))},
            extra={"copies": sorted(c.id for c in blocked)},
        )
    _mark_deleted(upload)
    removed = sum(_remove_copy(copy, actor, origin) for copy in copies)
    loose = loose_pages.discard_upload(exam_id, upload_id)
    audit.record(
        "upload.delete",
        actor=actor,
        origin=origin,
        target_type="upload",
        target_id=upload_id,
        exam_id=exam_id,
        metadata={"filename": upload.filename, "copies_deleted": removed, "loose_pages_deleted": loose},
    )
    return {"upload_id": upload_id, "status": DELETED, "copies_deleted": removed}


def _mark_deleted(upload: Upload) -> None:
    try:
        upload.update(
            actions=[Upload.status.set(DELETED), Upload.updated_at.set(utcnow())],
            condition=Upload.status.is_in(*SETTLED, DELETED),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict(
                "The upload changed meanwhile; reload and try again.",
                reason="upload_changed",
            ) from error
        raise


def _remove_copy(copy: Copy, actor: Principal, origin: Origin) -> int:
    """Delete one undispatched copy, its identity claim and its OCR result (1), or 409 when it changed."""
    unchanged = (
        (Copy.version == copy.version)
        & Copy.teacher_id.does_not_exist()
        & Copy.status.is_in(*copy_status.REASSIGNABLE)
    )
    items: list[Item] = [lambda write: write.delete(Copy(copy.id), condition=unchanged)]
    if copy.student_id:
        claim = UniqueValue(copies.claim_key(copy.exam_id, copy.student_id))
        mine = UniqueValue.value.does_not_exist() | (UniqueValue.owner_id == copy.id)
        items.append(lambda write: write.delete(claim, condition=mine))
    items.append(_delete_ocr(copy.id))
    event = audit.copy_event(
        "copy.delete",
        copy,
        actor=actor,
        origin=origin,
        metadata={"upload_id": copy.upload_id, "student_id": copy.student_id, "status": copy.status},
    )
    if commit(items, event) is not None:
        raise Conflict(
            f"Copy {copy.anonymous_id} changed meanwhile (dispatched or identified?): the deletion stopped "
            "there; check it, then delete the scan again to finish.",
            reason="upload_copy_changed",
            params={"copy": copy.anonymous_id},
        )
    with Page.batch_write() as batch:
        for page in Page.query(copy.id):
            batch.delete(page)
    return 1


def _delete_ocr(copy_id: str) -> Item:
    def item(write: TransactWrite) -> None:
        write.delete(OcrResult(copy_id))

    return item
