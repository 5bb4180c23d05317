"""Pages to place: the BATCH pages left over after a scan's last full copy, and what an admin does with
them — attach one to a copy at a position, make a new copy from some, or discard one.

They are ``Page`` items under the exam-level key ``loose_key(exam_id)`` (no table of their own), each
with its upload, its page number in the PDF and its images (page, masked page, header crop), rendered
by the ingest like the first page of a copy. A page is listed and placed only while its upload is
DONE: a failed or deleted scan's pages vanish with it. Every change is one transaction with its audit
event, on conditions that decide every race: the page still there, the copy unchanged since read and
still open for pages (STAGING or READY, not dispatched), the upload still DONE.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import aws, storage
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page, loose_key
from chalicelib.models.exams import Upload
from chalicelib.resources import PAGES_PREFIX
from chalicelib.services import audit, exams
from chalicelib.services.copy_transitions import LOST, Item, commit
from chalicelib.settings import get_settings

DONE = "DONE"
OPEN_FOR_PAGES = (CopyStatus.STAGING, CopyStatus.READY)  # and not dispatched to a teacher
MAX_COPY_PAGES = 90  # one attach rewrites the pages after the position in one transaction (100 items)
MAX_NEW_COPY_PAGES = 40  # a new copy writes two items a page in one transaction
LOOSE_NAMESPACE = uuid.UUID("3f6c1d2a-8e47-4b0f-a5d9-71c2e4b8f013")

GONE = "This page is no longer to place (placed or discarded meanwhile); reload the list."
COPY_CLOSED = "Pages can only be added to a copy that is not dispatched yet (to be identified or ready)."


@dataclass(frozen=True)
class LooseRecord:
    """A stored page to place, as the ingest hands it over."""

    image_key: str
    masked_image_key: str | None
    header_key: str | None
    width: int
    height: int
    source_page: int  # 1-based page number in the PDF
    # A scan of personalised sheets: why the page joined no copy, and the copy and booklet page it probably
    # belongs to (``functions.pdf.booklets``).
    reason: str | None = None
    guess_copy_id: str | None = None
    guess_page: int | None = None


def loose_index(upload_id: str, position: int) -> int:
    """The deterministic range key of an upload's ``position``-th page to place (a redelivered scan
    writes the same items): 60 bits of the upload id's hash, then the position."""
    return int(hashlib.sha256(upload_id.encode()).hexdigest()[:15], 16) * 1000 + position


def image_key(exam_id: str, upload_id: str, position: int, kind: str = "") -> str:
    """Where a page to place's images are stored (``kind``: "", "masked" or "header"); never under the
    headers/ prefix, which feeds OCR with copy ids."""
    suffix = f"-{kind}" if kind else ""
    return f"{PAGES_PREFIX}{exam_id}/loose/{upload_id}-{position:02d}{suffix}.jpg"


def register(upload: Upload, records: list[LooseRecord]) -> None:
    """Store an upload's pages to place (idempotent: the same keys on a redelivery)."""
    now = utcnow()
    with Page.batch_write() as batch:
        for position, record in enumerate(records):
            batch.save(
                Page(
                    loose_key(upload.exam_id),
                    loose_index(upload.id, position),
                    image_key=record.image_key,
                    masked_image_key=record.masked_image_key,
                    header_key=record.header_key,
                    width=record.width,
                    height=record.height,
                    upload_id=upload.id,
                    source_page=record.source_page,
                    stray_reason=record.reason,
                    guess_copy_id=record.guess_copy_id,
                    guess_page=record.guess_page,
                    created_at=now,
                )
            )


def discard_upload(exam_id: str, upload_id: str) -> int:
    """Remove an upload's pages to place (a failed or deleted scan); returns how many."""
    pages = [page for page in Page.query(loose_key(exam_id)) if page.upload_id == upload_id]
    with Page.batch_write() as batch:
        for page in pages:
            batch.delete(page)
    return len(pages)


def serialise(page: Page, filename: str | None = None) -> dict[str, Any]:
    """The API shape of a page to place, with a short-lived URL of its image."""
    seconds = get_settings().download_url_seconds
    return {
        "id": str(int(page.index)),
        "upload_id": page.upload_id,
        "filename": filename,
        "source_page": int(page.source_page or 0),
        "width": int(page.width),
        "height": int(page.height),
        "url": storage.presigned_get(page.image_key, seconds=seconds),
        "reason": page.stray_reason,
        "guess": {"copy_id": page.guess_copy_id, "page": int(page.guess_page or 0)}
        if page.guess_copy_id else None,
        "created_at": page.created_at.isoformat() if page.created_at else None,
    }


def list_pages(exam_id: str) -> list[dict[str, Any]]:
    """The exam's pages to place (of DONE uploads), in upload then page order."""
    exams.get_exam(exam_id)
    uploads = {upload.id: upload for upload in Upload.query(exam_id) if upload.status == DONE}
    pages = [page for page in Page.query(loose_key(exam_id)) if page.upload_id in uploads]
    pages.sort(key=lambda page: (uploads[page.upload_id].created_at, int(page.source_page or 0), page.index))
    return [serialise(page, uploads[page.upload_id].filename) for page in pages]


def get_page(exam_id: str, page_id: str) -> Page:
    """One page to place of the exam (its upload DONE), or 404."""
    if not page_id.isdigit() or len(page_id) > 30:
        raise NotFound("No such page to place.", reason="loose_page_not_found")
    try:
        page = Page.get(loose_key(exam_id), int(page_id), consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such page to place.", reason="loose_page_not_found") from error
    try:
        upload = Upload.get(exam_id, page.upload_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such page to place.", reason="loose_page_not_found") from error
    if upload.status != DONE:
        raise NotFound("No such page to place.", reason="loose_page_not_found")
    return page


def _copy_of_exam(exam_id: str, copy_id: str) -> Copy:
    try:
        copy = Copy.get(copy_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such copy.", reason="copy_not_found") from error
    if copy.exam_id != exam_id:
        raise NotFound("No such copy.", reason="copy_not_found")
    return copy


def _take(page: Page) -> Item:
    """Delete the page to place, on the condition that nobody placed or discarded it first."""
    return lambda write: write.delete(page, condition=Page.image_key.exists())


def _upload_done(exam_id: str, upload_id: str) -> Item:
    return lambda write: write.condition_check(Upload, exam_id, upload_id, condition=Upload.status == DONE)


def _put(page: Page) -> Item:
    return lambda write: write.save(page)


def _lost(reasons: list[str | None], *, copy_item: int | None, page_items: range) -> Conflict:
    """The 409 of a cancelled transaction: the page went first, else the copy, else the upload."""
    if any(reasons[i] in LOST for i in page_items if i < len(reasons)):
        return Conflict(GONE, reason="loose_page_gone")
    if copy_item is not None and reasons[copy_item] in LOST:
        return Conflict("The copy changed meanwhile (dispatched or given pages?); reload and try again.",
                        reason="copy_changed")
    return Conflict("The scan of this page was deleted meanwhile; reload the list.", reason="upload_changed")


def attach(
    exam_id: str, page_id: str, copy_id: str, position: int, *, actor: Principal, origin: Origin
) -> dict[str, Any]:
    """Insert a page to place into a copy at ``position`` (1-based), the copy's later pages moving one on.

    The copy must be of this exam (else 404), not dispatched (STAGING or READY without a teacher) and
    unchanged since read (409). Only a page placed first keeps its masked variant (teachers see the
    identity zone of a copy's first page masked; the page it pushes to second keeps its own). A new
    first page also becomes the copy's header crop, so OCR reads it again.
    """
    exams.get_exam(exam_id)
    page = get_page(exam_id, page_id)
    copy = _copy_of_exam(exam_id, copy_id)
    if copy.status not in OPEN_FOR_PAGES or copy.teacher_id:
        raise Conflict(COPY_CLOSED, reason="copy_not_open_for_pages", extra={"status": copy.status})
    current = sorted(Page.query(copy.id, consistent_read=True), key=lambda p: int(p.index))
    if len(current) >= MAX_COPY_PAGES:
        raise BadRequest(f"A copy has at most {MAX_COPY_PAGES} pages.", reason="copy_too_many_pages",
                         params={"max": MAX_COPY_PAGES})
    if not 1 <= position <= len(current) + 1:
        raise BadRequest(
            f"The position must be between 1 and {len(current) + 1}.",
            reason="page_position_out_of_range",
            params={"max": len(current) + 1},
        )
    at = position - 1
    moved = [_shifted(copy.id, old, int(old.index) + 1) for old in current[at:]]
    placed = Page(
        copy.id,
        at,
        image_key=page.image_key,
        masked_image_key=page.masked_image_key if at == 0 else None,
        width=page.width,
        height=page.height,
    )
    unchanged = (
        Copy.status.is_in(*OPEN_FOR_PAGES)
        & Copy.teacher_id.does_not_exist()
        & (Copy.version == copy.version)
        & (Copy.exam_id == exam_id)
    )
    actions = [Copy.page_count.set(len(current) + 1), Copy.updated_at.set(utcnow()), Copy.version.add(1)]
    if at == 0:  # its header crop becomes the new first page's, under headers/
        actions.append(Copy.header_image_key.remove())
    missing = [int(n) for n in copy.missing_pages or []]
    if page.guess_copy_id == copy.id and page.guess_page is not None and int(page.guess_page) in missing:
        # the page its code could not name is where the scan's neighbours said: no longer missing
        actions.append(Copy.missing_pages.set([n for n in missing if n != int(page.guess_page)]))
    update: Item = lambda write: write.update(Copy(copy.id), actions=actions, condition=unchanged)  # noqa: E731
    items: list[Item] = [update, _take(page), _upload_done(exam_id, page.upload_id), _put(placed)]
    items += [_put(item) for item in moved]
    event = audit.copy_event(
        "copy.page_attach",
        copy,
        actor=actor,
        origin=origin,
        metadata={
            "page_id": page_id,
            "upload_id": page.upload_id,
            "source_page": int(page.source_page or 0),
            "position": position,
        },
    )
    reasons = commit(items, event)
    if reasons is not None:
        raise _lost(reasons, copy_item=0, page_items=range(1, 2))
    if at == 0 and page.header_key:
        _copy_header(page.header_key, exam_id, copy.id)
    return {"copy_id": copy.id, "anonymous_id": copy.anonymous_id, "page_count": len(current) + 1}


def _shifted(copy_id: str, page: Page, index: int) -> Page:
    return Page(
        copy_id,
        index,
        image_key=page.image_key,
        masked_image_key=page.masked_image_key,
        width=page.width,
        height=page.height,
    )


def _copy_header(source_key: str, exam_id: str, copy_id: str) -> None:
    """The copy's header crop from a page to place: its creation runs OCR on the copy (suggestions)."""
    storage.put_bytes(storage.header_key(exam_id, copy_id), storage.get_bytes(source_key), "image/jpeg")


def new_copy(exam_id: str, page_ids: list[str], *, actor: Principal, origin: Origin) -> dict[str, Any]:
    """A new STAGING copy made of these pages to place, in this order, with an anonymous id like the
    scan's copies; its first page's header crop goes to OCR, so the identification desk suggests who
    wrote it. Two admins making a copy from the same page: one wins, the other gets 409."""
    from chalicelib.services import scans

    if not page_ids:
        raise BadRequest("Choose at least one page.", reason="loose_pages_none")
    if len(set(page_ids)) != len(page_ids):
        raise BadRequest("A page is chosen twice.", reason="loose_pages_repeated")
    if len(page_ids) > MAX_NEW_COPY_PAGES:
        raise BadRequest(f"A new copy takes at most {MAX_NEW_COPY_PAGES} pages at once.",
                         reason="loose_pages_too_many", params={"max": MAX_NEW_COPY_PAGES})
    exams.get_exam(exam_id)
    pages = [get_page(exam_id, page_id) for page_id in page_ids]
    first = pages[0]
    copy_id = uuid.uuid5(LOOSE_NAMESPACE, f"{exam_id}:{int(first.index)}").hex
    reservation = scans.reserve_for_exam(exam_id, 1)
    copy = Copy(
        copy_id,
        exam_id=exam_id,
        upload_id=first.upload_id,
        anonymous_id=reservation.anonymous_id(0),
        status=CopyStatus.STAGING,
        page_count=len(pages),
    )
    items: list[Item] = [lambda write: write.save(copy, condition=Copy.id.does_not_exist())]
    items += [_take(page) for page in pages]
    items += [_upload_done(exam_id, upload_id) for upload_id in sorted({page.upload_id for page in pages})]
    items += [
        _put(
            Page(
                copy_id,
                index,
                image_key=page.image_key,
                masked_image_key=page.masked_image_key if index == 0 else None,
                width=page.width,
                height=page.height,
            )
        )
        for index, page in enumerate(pages)
    ]
    event = audit.copy_event(
        "copy.create_from_pages",
        copy,
        actor=actor,
        origin=origin,
        metadata={
            "page_ids": page_ids,
            "pages": [{"upload_id": p.upload_id, "source_page": int(p.source_page or 0)} for p in pages],
        },
    )
    reasons = commit(items, event)
    if reasons is not None:
        raise _lost(reasons, copy_item=None, page_items=range(0, len(pages) + 1))
    if first.header_key:
        _copy_header(first.header_key, exam_id, copy_id)
    return {"copy_id": copy_id, "anonymous_id": copy.anonymous_id, "page_count": len(pages)}


def discard(exam_id: str, page_id: str, *, actor: Principal, origin: Origin) -> dict[str, Any]:
    """Throw a page to place away (a blank or stray page), audited; its images are deleted after."""
    exams.get_exam(exam_id)
    page = get_page(exam_id, page_id)
    event = audit.build_event(
        "loose_page.discard",
        actor=actor,
        origin=origin,
        target_type="loose_page",
        target_id=page_id,
        exam_id=exam_id,
        metadata={"upload_id": page.upload_id, "source_page": int(page.source_page or 0)},
    )
    reasons = commit([_take(page)], event)
    if reasons is not None:
        raise Conflict(GONE, reason="loose_page_gone")
    _delete_objects(page)
    return {"id": page_id, "discarded": True}


def _delete_objects(page: Page) -> None:
    keys = [key for key in (page.image_key, page.masked_image_key, page.header_key) if key]
    aws.client("s3").delete_objects(
        Bucket=get_settings().files_bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )

