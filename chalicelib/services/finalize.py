"""Finalising a copy: completeness, LOCKED → GRADING_IN_PROGRESS, the render spec, GRADED or FAILED.

The render spec written to ``renders/`` is immutable (one object per attempt) and its creation event
drives the render function; transitions are conditional on the status and the attempt number, so a
duplicate delivery renders once and a stale attempt changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import aws, storage
from chalicelib.domain.marking_scheme import leaves
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.scoring import missing_leaves
from chalicelib.errors import Conflict, Unprocessable
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Annotation, Lock
from chalicelib.observability import logger, metrics
from chalicelib.resources import RENDER_SPECS_PREFIX
from chalicelib.services import audit, locks
from chalicelib.services.grading import score_sheet, serialise_annotation, serialise_scores

IN_PROGRESS = {"status": "GRADING_IN_PROGRESS"}


def spec_key(exam_id: str, copy_id: str, attempt: int) -> str:
    """Where the render spec of an attempt lives (its creation feeds the render function)."""
    return f"{RENDER_SPECS_PREFIX}{exam_id}/{copy_id}/{attempt}.json"


def parse_spec_key(key: str) -> tuple[str, str, int] | None:
    """(exam id, copy id, attempt) of a render-spec key, or None."""
    if not key.startswith(RENDER_SPECS_PREFIX) or not key.endswith(".json"):
        return None
    parts = key[len(RENDER_SPECS_PREFIX) : -len(".json")].split("/")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def masked_pdf_key(exam_id: str, copy_id: str, attempt: int) -> str:
    """The teachers' final PDF of an attempt (built from the masked pages), next to the unmasked one."""
    return storage.final_pdf_key(exam_id, copy_id, attempt).removesuffix(".pdf") + "-masked.pdf"


def _spec_page(page: Page) -> dict[str, Any]:
    """A page of the spec: its image, and the masked variant teachers see (the image itself when the
    page has none: only first pages carry the identity zone), exactly as the grading desk chooses."""
    return {
        "index": int(page.index),
        "image_key": page.image_key,
        "masked_image_key": page.masked_image_key or page.image_key,
        "width": int(page.width),
        "height": int(page.height),
    }


def build_spec(copy: Copy, attempt: int) -> dict[str, Any]:
    """The immutable description of the final PDFs: page images (both variants), annotations, scores."""
    exam = Exam.get(copy.exam_id)
    sheet = serialise_scores(score_sheet(copy.id), float(exam.max_points))
    return {
        "copy_id": copy.id,
        "exam_id": copy.exam_id,
        "attempt": attempt,
        "anonymous_id": copy.anonymous_id,
        "exam_name": exam.name,
        "subject": exam.subject,
        "max_points": float(exam.max_points),
        "pages": [_spec_page(page) for page in Page.query(copy.id)],
        "annotations": [serialise_annotation(a) for a in Annotation.query(copy.id)],
        "scheme": exam.marking_scheme,
        "scores": sheet["scores"],
        "remarks": sheet["remarks"],
        "appreciation": sheet["appreciation"],
        "total": sheet["total"],
        "questions": [
            {"id": leaf.id, "label": leaf.label, "max_points": float(leaf.max_points)}
            for leaf in leaves((exam.marking_scheme or {}).get("nodes", []))
        ],
        "created_at": utcnow().isoformat(),
    }


def _write_spec(copy: Copy, attempt: int) -> None:
    spec = build_spec(copy, attempt)
    storage.put_bytes(spec_key(copy.exam_id, copy.id, attempt), json.dumps(spec).encode(), "application/json")


def _finalised_answer(copy: Copy) -> tuple[int, dict[str, str]] | None:
    """The answer to a repeated finalise: 200 once GRADED, 202 while the render runs, else None."""
    if copy.status == "GRADED":
        return 200, {"status": "GRADED"}
    if copy.status == "GRADING_IN_PROGRESS":
        return 202, IN_PROGRESS
    return None


def finalize(copy: Copy, caller: Principal, token: str | None, origin: Origin) -> tuple[int, dict[str, str]]:
    """Check completeness, move LOCKED → GRADING_IN_PROGRESS and queue the render; repeat-safe."""
    settled = _finalised_answer(copy)
    if settled:
        return settled
    try:
        locks.require_live_lock(copy.id, caller, token)
    except Conflict:  # a concurrent finalise may have just consumed the lock: answer as it did
        copy.refresh(consistent_read=True)
        settled = _finalised_answer(copy)
        if settled:
            return settled
        raise
    exam = Exam.get(copy.exam_id)
    sheet = score_sheet(copy.id)
    missing = missing_leaves(dict(sheet.scores or {}), exam.marking_scheme)
    if not (exam.marking_scheme or {}).get("nodes") or missing:
        audit.record(
            "copy.finalize",
            actor=caller,
            origin=origin,
            outcome="failure",
            target_type="copy",
            target_id=copy.id,
            exam_id=copy.exam_id,
            copy_id=copy.id,
            metadata={"missing": missing},
        )
        raise Unprocessable("Every question needs a score before finalising.", extra={"missing": missing})
    attempt = int(copy.grading_attempts or 0) + 1
    now = utcnow()
    try:
        with aws.transact_write() as write:
            write.update(
                copy,
                actions=[
                    Copy.status.set("GRADING_IN_PROGRESS"),
                    Copy.grading_attempts.set(attempt),
                    Copy.grading_error.remove(),
                    Copy.updated_at.set(now),
                    Copy.version.add(1),
                ],
                condition=(Copy.status == "LOCKED") & (Copy.grading_attempts == copy.grading_attempts),
            )
            write.delete(
                Lock(copy.id),
                condition=(Lock.token == (token or ""))
                & (Lock.holder_id == caller.id)
                & (Lock.expires_at > now),
            )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        copy.refresh(consistent_read=True)
        settled = _finalised_answer(copy)
        if settled:
            return settled
        raise Conflict("You do not hold a live lock on this copy.") from error
    audit.record(
        "copy.finalize",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"attempt": attempt, "total": sheet.total},
    )
    _start_render(copy, attempt)
    return 202, IN_PROGRESS


def _start_render(copy: Copy, attempt: int) -> None:
    try:
        _write_spec(copy, attempt)
    except Exception as error:  # noqa: BLE001 - the copy must not stay in progress with no render coming
        logger.exception("could not queue the render")
        mark_failed(copy.id, attempt, f"The render could not be queued: {error.__class__.__name__}.")


def retry(copy: Copy, caller: Principal, origin: Origin) -> tuple[int, dict[str, str]]:
    """GRADING_FAILED → GRADING_IN_PROGRESS with a new attempt; repeat-safe."""
    if copy.status == "GRADED":
        return 200, {"status": "GRADED"}
    if copy.status == "GRADING_IN_PROGRESS":
        return 202, IN_PROGRESS
    if copy.status != "GRADING_FAILED":
        raise Conflict(f"Only a failed render can be retried (the copy is {copy.status}).")
    attempt = int(copy.grading_attempts or 0) + 1
    try:
        copy.update(
            actions=[
                Copy.status.set("GRADING_IN_PROGRESS"),
                Copy.grading_attempts.set(attempt),
                Copy.grading_error.remove(),
                Copy.updated_at.set(utcnow()),
                Copy.version.add(1),
            ],
            condition=(Copy.status == "GRADING_FAILED") & (Copy.grading_attempts == attempt - 1),
        )
    except UpdateError as error:
        if condition_failed(error):
            return 202, IN_PROGRESS
        raise
    audit.record(
        "copy.retry",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={"attempt": attempt},
    )
    _start_render(copy, attempt)
    return 202, IN_PROGRESS


def mark_graded(copy_id: str, attempt: int, pdf_key: str, masked_key: str, total_points: float) -> bool:
    """GRADING_IN_PROGRESS (this attempt) → GRADED with both final PDFs; False when already settled."""
    try:
        Copy(copy_id).update(
            actions=[
                Copy.status.set("GRADED"),
                Copy.final_pdf_key.set(pdf_key),
                Copy.final_masked_pdf_key.set(masked_key),
                Copy.total.set(total_points),
                Copy.updated_at.set(utcnow()),
                Copy.version.add(1),
            ],
            condition=(Copy.status == "GRADING_IN_PROGRESS") & (Copy.grading_attempts == attempt),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    copy = Copy.get(copy_id)
    audit.record(
        "copy.graded",
        actor_role="system",
        target_type="copy",
        target_id=copy_id,
        exam_id=copy.exam_id,
        copy_id=copy_id,
        metadata={"attempt": attempt, "pdf_key": pdf_key, "masked_pdf_key": masked_key},
    )
    return True


def mark_failed(copy_id: str, attempt: int, reason: str) -> bool:
    """GRADING_IN_PROGRESS (this attempt) → GRADING_FAILED with the reason."""
    try:
        Copy(copy_id).update(
            actions=[
                Copy.status.set("GRADING_FAILED"),
                Copy.grading_error.set(reason[:500]),
                Copy.updated_at.set(utcnow()),
                Copy.version.add(1),
            ],
            condition=(Copy.status == "GRADING_IN_PROGRESS") & (Copy.grading_attempts == attempt),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    copy = Copy.get(copy_id)
    metrics.add_metric(name="RenderFailures", unit="Count", value=1)
    audit.record(
        "copy.render_failed",
        actor_role="system",
        outcome="failure",
        target_type="copy",
        target_id=copy_id,
        exam_id=copy.exam_id,
        copy_id=copy_id,
        metadata={"attempt": attempt, "reason": reason[:500]},
    )
    return True


def reopen(copy: Copy, caller: Principal, origin: Origin) -> Copy:
    """Admin: GRADED → READY, keeping the previous PDF and scores in the history (audited)."""
    if copy.status != "GRADED":
        raise Conflict("Only a graded copy can be reopened.")
    sheet = score_sheet(copy.id)
    previous_pdf, previous_masked = copy.final_pdf_key, copy.final_masked_pdf_key
    try:
        copy.update(
            actions=[
                Copy.status.set("READY"),
                Copy.final_pdf_key.remove(),
                Copy.final_masked_pdf_key.remove(),
                Copy.total.remove(),
                Copy.updated_at.set(utcnow()),
                Copy.version.add(1),
            ],
            condition=(Copy.status == "GRADED") & (Copy.version == copy.version),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict("The copy changed meanwhile; reload it.") from error
        raise
    audit.record(
        "copy.reopen",
        actor=caller,
        origin=origin,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata={
            "previous_pdf_key": previous_pdf,
            "previous_masked_pdf_key": previous_masked,
            "previous_total": float(sheet.total or 0),
            "previous_scores": {k: float(v) for k, v in dict(sheet.scores or {}).items()},
            "previous_appreciation": sheet.appreciation or "",
        },
    )
    return copy


def final_pdf_url(copy: Copy, caller: Principal) -> dict[str, Any]:
    """A short-lived link to the final PDF: the masked one for teachers, the unmasked one for admins.

    409 before GRADED, and 409 for a teacher when the copy was graded before masked PDFs existed (never
    the unmasked one).
    """
    if copy.status != "GRADED" or not copy.final_pdf_key:
        raise Conflict("The copy is not graded yet.")
    key = copy.final_pdf_key if caller.is_admin else copy.final_masked_pdf_key
    if not key:
        raise Conflict(
            "This copy was graded before final PDFs hid the student's name: an admin can download it, "
            "or reopen and finalise it again to make the anonymous version."
        )
    seconds = 300
    url = storage.presigned_get(key, seconds=seconds, download_name=f"copie-{copy.anonymous_id}.pdf")
    return {"url": url, "expires_in": seconds}
