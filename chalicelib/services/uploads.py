"""Scan uploads: a pre-signed POST for the browser, and the tracked upload record."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import storage
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, NotFound, PayloadTooLarge
from chalicelib.models.exams import Upload
from chalicelib.services import audit, exams, ratelimit
from chalicelib.settings import get_settings

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
            f"The file is larger than the {settings.max_upload_bytes // (1024 * 1024)} MB limit."
        )
    if size < 1:
        raise BadRequest("The file is empty.")
    if not filename.lower().endswith(".pdf"):
        raise BadRequest("Upload a PDF file.")
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
        raise NotFound("No such upload.") from error


def list_uploads(exam_id: str) -> list[Upload]:
    """An exam's uploads, newest first."""
    exams.get_exam(exam_id)
    return sorted(Upload.query(exam_id), key=lambda upload: upload.created_at, reverse=True)
