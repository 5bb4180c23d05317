"""The bookkeeping side of scan processing: claim an upload, register whole copies, finish or fail.

A BATCH scan's pages after its last full copy become pages to place (``services.loose_pages``).

Idempotent by construction: copy ids are derived from (upload, position), a copy and its pages are
written in one transaction only if the copy does not exist yet, and a finished upload is never
processed again — so a duplicate S3 event creates nothing twice and a crash leaves no half copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import aws
from chalicelib.domain.anonymous_ids import anonymous_id, new_key
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam, Upload
from chalicelib.models.users import UniqueValue
from chalicelib.resources import PAGES_PREFIX
from chalicelib.services import audit, loose_pages
from chalicelib.services.copies import IDENTIFIED_BY_CODE, claim_key

COPY_NAMESPACE = uuid.UUID("8d4b8f5e-2f3c-4c55-9d0e-6f1f3b1e9a42")


@dataclass(frozen=True)
class PageRecord:
    """A stored page image of a copy."""

    image_key: str
    width: int
    height: int
    masked_image_key: str | None = None


@dataclass(frozen=True)
class Reservation:
    """The anonymous-id sequence range of an upload's copies and the exam's permutation key."""

    base: int  # the sequence of the upload's first copy
    prefix: str
    key: str | None  # None only for an exam whose ids were all given before the key existed

    def anonymous_id(self, position: int) -> str:
        """The anonymous id of the upload's ``position``-th copy (0-based)."""
        return anonymous_id(self.prefix, self.base + position, self.key)


def copy_id_for(upload_id: str, position: int) -> str:
    """The deterministic id of the ``position``-th copy of an upload."""
    return uuid.uuid5(COPY_NAMESPACE, f"{upload_id}:{position}").hex


def claim(exam_id: str, upload_id: str) -> Upload | None:
    """Mark the upload PROCESSING; None when it is already DONE or FAILED (a duplicate event)."""
    upload = Upload(exam_id, upload_id)
    try:
        upload.update(
            actions=[
                Upload.status.set("PROCESSING"),
                Upload.attempts.add(1),
                Upload.updated_at.set(utcnow()),
            ],
            condition=Upload.id.exists() & Upload.status.is_in("UPLOADED", "PROCESSING"),
        )
    except UpdateError as error:
        if condition_failed(error):
            return None
        raise
    return upload


def reserve_sequence(upload: Upload, copies: int) -> Reservation:
    """The anonymous-id sequence range of this upload's copies, reserved once per upload.

    One atomic update adds to the exam's counter and gives the exam its permutation key if it has none,
    so every upload of an exam uses the same key and no two uploads share a sequence number.
    """
    if upload.copy_base is not None:
        exam = Exam.get(upload.exam_id, consistent_read=True)
        return Reservation(int(upload.copy_base), exam.anonymous_prefix, exam.anonymous_key)
    reserved = reserve_for_exam(upload.exam_id, copies)
    base = reserved.base
    try:
        upload.update(actions=[Upload.copy_base.set(base)], condition=Upload.copy_base.does_not_exist())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        upload.refresh(consistent_read=True)  # a concurrent attempt reserved first: use its range
    return Reservation(int(upload.copy_base), reserved.prefix, reserved.key)


def reserve_for_exam(exam_id: str, copies: int) -> Reservation:
    """A fresh range of ``copies`` anonymous-id sequence numbers of the exam (one atomic update, which
    also gives the exam its permutation key if it has none)."""
    exam = Exam(exam_id)
    exam.update(
        actions=[
            Exam.copy_counter.add(copies),
            Exam.anonymous_key.set(Exam.anonymous_key | new_key()),
        ]
    )
    return Reservation(int(exam.copy_counter) - copies + 1, exam.anonymous_prefix, exam.anonymous_key)


def booklet_copy_id(exam_id: str, sheet_id: str) -> str:
    """The one copy a personalised booklet can ever make (whichever scan brings it, however often)."""
    return uuid.uuid5(COPY_NAMESPACE, f"{exam_id}:sheet:{sheet_id}").hex


def coded_page_key(exam_id: str, upload_id: str, position: int, kind: str = "") -> str:
    """Where the ``position``-th page of a scan of personalised sheets is stored (``kind``: "", "masked"
    or "header"), whether it joins a copy or the pages to place: one key per scan page, never
    overwritten by another scan; never under the headers/ prefix, which feeds OCR with copy ids."""
    suffix = f"-{kind}" if kind else ""
    return f"{PAGES_PREFIX}{exam_id}/scans/{upload_id}-{position:03d}{suffix}.jpg"


@dataclass(frozen=True)
class BookletScan:
    """What a copy of a personalised booklet records of its scan."""

    sheet_id: str
    missing: list[int]
    duplicates: list[int]
    header_key: str  # its first page's header crop, stored with the scan's pages


def register_copy(
    upload: Upload, position: int, anonymous: str, pages: list[PageRecord], booklet: BookletScan | None = None
) -> tuple[Copy, bool]:
    """Create a copy in STAGING with all its pages at once; returns (copy, created now).

    A booklet's copy has the booklet's id (``booklet_copy_id``): a second scan of the booklet creates
    nothing and gets the existing copy back (``created`` False, its ``upload_id`` another upload's).
    """
    copy = Copy(
        booklet_copy_id(upload.exam_id, booklet.sheet_id) if booklet else copy_id_for(upload.id, position),
        exam_id=upload.exam_id,
        upload_id=upload.id,
        anonymous_id=anonymous,
        status=CopyStatus.STAGING,
        page_count=len(pages),
    )
    if booklet is not None:
        copy.sheet_id = booklet.sheet_id
        copy.missing_pages = booklet.missing
        copy.duplicate_pages = booklet.duplicates
        copy.header_image_key = booklet.header_key
    try:
        with aws.transact_write() as transaction:
            transaction.save(copy, condition=Copy.id.does_not_exist())
            for index, page in enumerate(pages):
                transaction.save(
                    Page(
                        copy.id,
                        index,
                        image_key=page.image_key,
                        width=page.width,
                        height=page.height,
                        masked_image_key=page.masked_image_key,
                    )
                )
    except TransactWriteError as error:
        if condition_failed(error):
            return Copy.get(copy.id, consistent_read=True), False
        raise
    return copy, True


def finish(upload: Upload, copies: int, pages: int, loose: int = 0) -> None:
    """PROCESSING → DONE with the counts (``loose``: the pages left to place, in the audit event)."""
    upload.update(
        actions=[
            Upload.status.set("DONE"),
            Upload.copies.set(copies),
            Upload.pages.set(pages),
            Upload.error.remove(),
            Upload.error_reason.remove(),
            Upload.error_params.remove(),
            Upload.updated_at.set(utcnow()),
        ],
        condition=Upload.status == "PROCESSING",
    )
    audit.record(
        "upload.processed",
        actor_role="system",
        target_type="upload",
        target_id=upload.id,
        exam_id=upload.exam_id,
        metadata={"copies": copies, "pages": pages, "loose_pages": loose},
    )


def fail(
    exam_id: str,
    upload_id: str,
    message: str,
    reason: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """→ FAILED with an English sentence, its stable ``reason`` code and ``params`` (never over DONE).

    The SPA words ``reason`` in the user's language and falls back to ``message`` for an unknown code.
    """
    upload = Upload(exam_id, upload_id)
    detail = (
        [Upload.error_reason.set(reason), Upload.error_params.set(params or {})]
        if reason
        else [Upload.error_reason.remove(), Upload.error_params.remove()]
    )
    try:
        upload.update(
            actions=[
                Upload.status.set("FAILED"),
                Upload.error.set(message[:500]),
                *detail,
                Upload.updated_at.set(utcnow()),
            ],
            condition=Upload.id.exists() & (Upload.status != "DONE"),
        )
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    discarded = discard_copies(exam_id, upload_id)
    loose = loose_pages.discard_upload(exam_id, upload_id)
    audit.record(
        "upload.failed",
        actor_role="system",
        outcome="failure",
        target_type="upload",
        target_id=upload_id,
        exam_id=exam_id,
        metadata={"reason": message[:500], "error_reason": reason, "copies_discarded": discarded,
                  "loose_pages_discarded": loose},
    )


def discard_copies(exam_id: str, upload_id: str) -> int:
    """Remove the STAGING copies (and pages) of an upload that finally failed, and those its sheets'
    codes identified while nobody touched them since; returns how many."""
    removed = 0
    for copy in Copy.exam_index.query(exam_id, filter_condition=Copy.upload_id == upload_id):
        by_code = copy.identified_by == IDENTIFIED_BY_CODE
        if copy.status == CopyStatus.READY and by_code and not copy.teacher_id:
            removed += _discard_identified(copy)
            continue
        if copy.status != CopyStatus.STAGING:
            continue
        with Page.batch_write() as batch:
            for page in Page.query(copy.id):
                batch.delete(page)
        copy.delete(condition=Copy.status == CopyStatus.STAGING)
        removed += 1
    return removed


def _discard_identified(copy: Copy) -> int:
    """Remove a copy its code identified (pages, copy, the student's claim), unless it changed since."""
    try:
        with aws.transact_write() as transaction:
            unchanged = (Copy.version == copy.version) & Copy.teacher_id.does_not_exist()
            transaction.delete(copy, condition=unchanged)
            transaction.delete(UniqueValue(claim_key(copy.exam_id, str(copy.student_id))),
                               condition=UniqueValue.owner_id == copy.id)
    except TransactWriteError as error:
        if condition_failed(error):
            return 0
        raise
    with Page.batch_write() as batch:
        for page in Page.query(copy.id):
            batch.delete(page)
    return 1
