"""Finalising a copy: completeness, LOCKED → GRADING_IN_PROGRESS, the render spec, GRADED or FAILED.

The render spec written to ``renders/`` is immutable (one object per attempt, a ``RenderSpec``) and its
creation event drives the render function; moves are conditional on the status and the attempt number,
so a duplicate delivery renders once and a stale attempt changes nothing. Finalise costs four round
trips: the session, one batch read (copy, exam, lock, scores), the move (lock deleted and audit in the
same transaction) and the spec.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from chalicelib import storage
from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.render_spec import RenderSpec, render_spec
from chalicelib.domain.scoring import missing_leaves
from chalicelib.errors import Conflict, Unprocessable
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import Lock, ScoreSheet
from chalicelib.observability import logger, metrics
from chalicelib.resources import RENDER_SPECS_PREFIX
from chalicelib.services import audit, copy_reads, locks
from chalicelib.services.copy_transitions import TransitionLost, transition
from chalicelib.services.grading import loaded_sheet
from chalicelib.settings import get_settings


class Outcome(Enum):
    """Where a finalise (or retry) left the copy: the route answers 200 for GRADED, 202 otherwise."""

    GRADED = CopyStatus.GRADED
    RENDERING = CopyStatus.GRADING_IN_PROGRESS


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


def build_spec(copy: Copy, exam: Exam, sheet: ScoreSheet, attempt: int) -> RenderSpec:
    """The immutable description of an attempt's final PDFs, from what finalise has already read.

    Pages and annotations are not in it: once the copy left LOCKED nothing can change them, and the
    render function reads them itself.
    """
    return render_spec(
        copy_id=copy.id,
        exam_id=copy.exam_id,
        attempt=attempt,
        anonymous_id=copy.anonymous_id,
        exam_name=exam.name,
        subject=exam.subject,
        max_points=float(exam.max_points),
        scheme=exam.marking_scheme,
        scores=dict(sheet.scores or {}),
        remarks=dict(sheet.remarks or {}),
        appreciation=sheet.appreciation or "",
        total=float(sheet.total or 0),
        created_at=utcnow(),
    )


def _settled(copy: Copy) -> Outcome | None:
    """The answer to a repeated finalise: GRADED, or RENDERING while the render runs, else None."""
    if copy.status == CopyStatus.GRADED:
        return Outcome.GRADED
    if copy.status == CopyStatus.GRADING_IN_PROGRESS:
        return Outcome.RENDERING
    return None


def new_attempt(attempt: int) -> list[Any]:
    """What finalising writes on the copy, in copy or question mode: the attempt, no error left from an
    earlier one, no reopen note."""
    return [
        Copy.grading_attempts.set(attempt),
        Copy.grading_error.remove(),
        Copy.grading_error_reason.remove(),
        Copy.grading_error_params.remove(),
        Copy.reopen_reason.remove(),
        Copy.reopened_at.remove(),
    ]


def finalize(copy_id: str, caller: Principal, token: str | None, origin: Origin) -> Outcome:
    """Check completeness, move LOCKED → GRADING_IN_PROGRESS and queue the render; repeat-safe."""
    seen = copy_reads.read(copy_id, caller, lock=True, sheet=True)
    copy, exam, sheet = seen.copy, seen.exam, loaded_sheet(seen.sheet, copy_id)
    settled = _settled(copy)
    if settled:
        return settled
    if not locks.held_by(seen.lock, caller, token):
        raise Conflict(locks.LOCK_LOST, reason="lock_lost", extra={"lock_required": True})
    missing = missing_leaves(dict(sheet.scores or {}), exam.marking_scheme)
    if not (exam.marking_scheme or {}).get("nodes") or missing:
        audit.save(
            audit.copy_event(
                "copy.finalize",
                copy,
                actor=caller,
                origin=origin,
                outcome="failure",
                metadata={"missing": missing},
            )
        )
        raise Unprocessable(
            "Every question needs a score before finalising.",
            reason="scores_missing",
            extra={"missing": missing},
        )
    attempt = int(copy.grading_attempts or 0) + 1
    now = utcnow()
    mine = locks.live_condition(token or "", caller.id, now)
    try:
        transition(
            copy,
            copy_status.FINALISE,
            condition=Copy.grading_attempts == copy.grading_attempts,
            actions=new_attempt(attempt),
            items=[lambda write: write.delete(Lock(copy.id), condition=mine)],
            event=audit.copy_event(
                "copy.finalize",
                copy,
                actor=caller,
                origin=origin,
                metadata={"attempt": attempt, "total": float(sheet.total or 0)},
            ),
        )
    except TransitionLost as lost:  # a concurrent finalise may have just won: answer as it did
        copy.refresh(consistent_read=True)
        settled = _settled(copy)
        if settled:
            return settled
        raise Conflict(locks.LOCK_LOST, reason="lock_lost", extra={"lock_required": True}) from lost
    copy.grading_attempts, copy.grading_error = attempt, None
    copy.reopen_reason = copy.reopened_at = None
    start_render(copy, exam, sheet, attempt)
    return Outcome.RENDERING


def start_render(copy: Copy, exam: Exam, sheet: ScoreSheet, attempt: int) -> None:
    """Write the attempt's render spec (its creation starts the render); GRADING_FAILED if it cannot."""
    try:
        spec = build_spec(copy, exam, sheet, attempt)
        storage.put_bytes(spec_key(copy.exam_id, copy.id, attempt), spec.to_bytes(), "application/json")
    except Exception as error:  # noqa: BLE001 - the copy must not stay in progress with no render coming
        logger.exception("could not queue the render")
        mark_failed(
            copy,
            attempt,
            f"The render could not be queued: {error.__class__.__name__}.",
            "render_not_queued",
            {"detail": error.__class__.__name__},
        )


def retry(copy_id: str, caller: Principal, origin: Origin) -> Outcome:
    """GRADING_FAILED → GRADING_IN_PROGRESS with a new attempt; repeat-safe."""
    seen = copy_reads.read(copy_id, caller, sheet=True)
    copy = seen.copy
    settled = _settled(copy)
    if settled:
        return settled
    if not copy_status.RETRY.allows(copy.status):
        raise Conflict(
            f"Only a failed render can be retried (the copy is {copy.status}).",
            reason="render_not_failed",
        )
    attempt = int(copy.grading_attempts or 0) + 1
    try:
        transition(
            copy,
            copy_status.RETRY,
            condition=Copy.grading_attempts == attempt - 1,
            actions=[Copy.grading_attempts.set(attempt), Copy.grading_error.remove(),
                     Copy.grading_error_reason.remove(), Copy.grading_error_params.remove()],
            event=audit.copy_event(
                "copy.retry", copy, actor=caller, origin=origin, metadata={"attempt": attempt}
            ),
        )
    except TransitionLost:
        return Outcome.RENDERING
    copy.grading_attempts, copy.grading_error = attempt, None
    start_render(copy, seen.exam, loaded_sheet(seen.sheet, copy.id), attempt)
    return Outcome.RENDERING


def mark_graded(copy: Copy, attempt: int, pdf_key: str, masked_key: str, total_points: float) -> bool:
    """GRADING_IN_PROGRESS (this attempt) → GRADED with both final PDFs; False when already settled."""
    try:
        transition(
            copy,
            copy_status.RENDERED,
            condition=Copy.grading_attempts == attempt,
            actions=[
                Copy.final_pdf_key.set(pdf_key),
                Copy.final_masked_pdf_key.set(masked_key),
                Copy.total.set(total_points),
            ],
            event=audit.copy_event(
                "copy.graded",
                copy,
                actor_role="system",
                metadata={"attempt": attempt, "pdf_key": pdf_key, "masked_pdf_key": masked_key},
            ),
        )
    except TransitionLost:
        return False
    copy.final_pdf_key, copy.final_masked_pdf_key, copy.total = pdf_key, masked_key, total_points
    return True


def mark_failed(
    copy: Copy, attempt: int, reason: str, code: str | None = None, params: dict[str, Any] | None = None
) -> bool:
    """GRADING_IN_PROGRESS (this attempt) → GRADING_FAILED with the English reason, its code and values.

    The SPA words ``code`` (``failures.<code>``) in the user's language; without one it shows ``reason``.
    """
    detail = (
        [Copy.grading_error_reason.set(code), Copy.grading_error_params.set(params or {})]
        if code
        else [Copy.grading_error_reason.remove(), Copy.grading_error_params.remove()]
    )
    try:
        transition(
            copy,
            copy_status.RENDER_FAILED,
            condition=Copy.grading_attempts == attempt,
            actions=[Copy.grading_error.set(reason[:500]), *detail],
            event=audit.copy_event(
                "copy.render_failed",
                copy,
                actor_role="system",
                outcome="failure",
                metadata={"attempt": attempt, "reason": reason[:500]},
            ),
        )
    except TransitionLost:
        return False
    copy.grading_error = reason[:500]
    copy.grading_error_reason, copy.grading_error_params = code, (params or {}) if code else None
    metrics.add_metric(name="RenderFailures", unit="Count", value=1)
    return True


def reopen(copy_id: str, caller: Principal, origin: Origin, reason: str) -> Copy:
    """Admin: GRADED → READY with the reason its teacher is shown, keeping the previous PDF and scores
    in the history (audited)."""
    seen = copy_reads.read(copy_id, caller, sheet=True)
    copy, sheet = seen.copy, loaded_sheet(seen.sheet, copy_id)
    if not copy_status.REOPEN.allows(copy.status):
        raise Conflict("Only a graded copy can be reopened.", reason="reopen_not_graded")
    previous_pdf, previous_masked = copy.final_pdf_key, copy.final_masked_pdf_key
    now = utcnow()
    try:
        transition(
            copy,
            copy_status.REOPEN,
            version=copy.version,
            actions=[
                Copy.final_pdf_key.remove(),
                Copy.final_masked_pdf_key.remove(),
                Copy.total.remove(),
                Copy.reopen_reason.set(reason),
                Copy.reopened_at.set(now),
            ],
            event=audit.copy_event(
                "copy.reopen",
                copy,
                actor=caller,
                origin=origin,
                metadata={
                    "reason": reason,
                    "previous_pdf_key": previous_pdf,
                    "previous_masked_pdf_key": previous_masked,
                    "previous_total": float(sheet.total or 0),
                    "previous_scores": {k: float(v) for k, v in dict(sheet.scores or {}).items()},
                    "previous_appreciation": sheet.appreciation or "",
                },
            ),
        )
    except TransitionLost as lost:
        raise Conflict("The copy changed meanwhile; reload it.", reason="copy_changed") from lost
    copy.final_pdf_key = copy.final_masked_pdf_key = copy.total = None
    copy.reopen_reason, copy.reopened_at = reason, now
    return copy


def final_pdf_url(copy_id: str, caller: Principal) -> dict[str, Any]:
    """A short-lived link to the final PDF: the masked one for teachers, the unmasked one for admins.

    409 before GRADED, and 409 for a teacher when the copy was graded before masked PDFs existed (never
    the unmasked one).
    """
    copy = copy_reads.visible(copy_id, caller)
    if copy.status not in copy_status.FINISHED or not copy.final_pdf_key:
        raise Conflict("The copy is not graded yet.", reason="copy_not_graded")
    key = copy.final_pdf_key if caller.is_admin else copy.final_masked_pdf_key
    if not key:
        raise Conflict(
            "This copy was graded before final PDFs hid the student's name: an admin can download it, "
            "or reopen and finalise it again to make the anonymous version.", reason="final_pdf_shows_name"
        )
    url = storage.presigned_get(key, download_name=f"copie-{copy.anonymous_id}.pdf")
    return {"url": url, "expires_in": get_settings().download_url_seconds}
