"""Render function: a render spec landed under ``renders/`` → the two flattened final PDFs → GRADED.

Two PDFs per attempt: ``final/{exam}/{copy}/{attempt}.pdf`` from the page images, for the student and
admins, and ``…/{attempt}-masked.pdf`` from the masked images (identity zone hidden), for teachers.

The spec (``chalicelib.domain.render_spec.RenderSpec``) carries the scores and the summary; the pages and
annotations are read here, by query: once finalise has moved the copy out of LOCKED nothing can change
them, so they are the attempt's. A version 1 spec still queued at deploy (an untyped dict with embedded
pages and annotations) is upgraded and rendered the same way; its embedded copies are not used.

Duplicate deliveries and stale attempts change nothing (the copy must be GRADING_IN_PROGRESS at this
attempt, and every transition is conditional on it); a spec that cannot be read or a render error leaves
the copy GRADING_FAILED with the reason, never a message retried forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pynamodb.exceptions import DoesNotExist

from chalicelib import aws, storage
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.render_spec import RenderSpec, RenderSpecError
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.grading import Annotation
from chalicelib.observability import GRADING_LATENCY_METRIC, logger, metrics
from chalicelib.services import finalize
from functions.events import created_objects
from functions.pdf import FinalPage, QuestionLine, Summary, render_final_pdf

processor = BatchProcessor(event_type=EventType.SQS)
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record

Pages = list[FinalPage]
#: The fields a version 1 spec shares with version 2 (it also had "pages", "annotations" and "scheme").
_V1_FIELDS = tuple(name for name in RenderSpec.model_fields if name != "spec_version")


def load_spec(data: bytes) -> RenderSpec:
    """The spec in ``data``: version 2, or a version 1 one upgraded; RenderSpecError otherwise."""
    try:
        return RenderSpec.from_bytes(data)
    except RenderSpecError:
        upgraded = _upgrade_v1(data)
        if upgraded is None:
            raise
        return upgraded


def _upgrade_v1(data: bytes) -> RenderSpec | None:
    """A version 1 spec as version 2 (same fields, pages and annotations dropped); None if not one."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    if not isinstance(document, dict) or "spec_version" in document or "pages" not in document:
        return None
    fields = {name: document[name] for name in _V1_FIELDS if name in document}
    return RenderSpec.from_bytes(json.dumps({"spec_version": 2, **fields}).encode())


def _drawn(annotation: Annotation) -> dict[str, Any]:
    """An annotation as the PDF renderer takes it (no points: see ``chalicelib.domain.annotations``)."""
    return {"type": annotation.type, "geometry": annotation.geometry, "text": annotation.text}


def build_document(spec: RenderSpec, pages: list[FinalPage]) -> bytes:
    """The final PDF of the attempt: ``pages`` (images and annotations), then the spec's summary."""
    questions = [
        QuestionLine(q.label, spec.scores.get(q.id, 0.0), q.max_points, spec.remarks.get(q.id, ""))
        for q in spec.questions
    ]
    summary = Summary(spec.anonymous_id, spec.exam_name, spec.subject, spec.total, spec.max_points,
                      questions, spec.appreciation)
    return render_final_pdf(pages, summary)


def final_pages(pages: Iterable[Page], annotations: Iterable[Annotation]) -> tuple[Pages, Pages]:
    """The pages to draw, unmasked and masked (``masked_image_key or image_key``, as the desk shows them).

    Each stored image is read once (only first pages have a masked variant).
    """
    by_page: dict[int, list[dict[str, Any]]] = {}
    for annotation in annotations:
        by_page.setdefault(int(annotation.page_index), []).append(_drawn(annotation))
    images: dict[str, bytes] = {}

    def image(key: str) -> bytes:
        if key not in images:
            images[key] = storage.get_bytes(key)
        return images[key]

    plain, masked = [], []
    for page in sorted(pages, key=lambda page: int(page.index)):
        drawn = by_page.get(int(page.index), [])
        size = (int(page.width), int(page.height))
        plain.append(FinalPage(image(page.image_key), *size, drawn))
        masked.append(FinalPage(image(page.masked_image_key or page.image_key), *size, drawn))
    return plain, masked


def process_spec(key: str) -> None:
    """Render one attempt, once."""
    parsed = finalize.parse_spec_key(key)
    if parsed is None:
        logger.warning("not a render spec key", extra={"key": key})
        return
    exam_id, copy_id, attempt = parsed
    try:
        copy = Copy.get(copy_id, consistent_read=True)
    except DoesNotExist:
        logger.warning("render spec for an unknown copy", extra={"copy_id": copy_id})
        return
    if copy.status != CopyStatus.GRADING_IN_PROGRESS or int(copy.grading_attempts or 0) != attempt:
        logger.info("render already settled", extra={"copy_id": copy_id, "attempt": attempt})
        return
    entered = copy.updated_at  # when it entered GRADING_IN_PROGRESS (finalise, retry or re-drive)
    try:
        spec = load_spec(storage.get_bytes(key))
        if (spec.exam_id, spec.copy_id, spec.attempt) != (exam_id, copy_id, attempt):
            raise RenderSpecError(f"it describes {spec.exam_id}/{spec.copy_id}/{spec.attempt}, not its key")
        pages, masked_pages = final_pages(Page.query(copy_id, consistent_read=True),
                                          Annotation.query(copy_id, consistent_read=True))
        pdf_key = storage.final_pdf_key(exam_id, copy_id, attempt)
        masked_key = finalize.masked_pdf_key(exam_id, copy_id, attempt)
        storage.put_bytes(pdf_key, build_document(spec, pages), "application/pdf")
        storage.put_bytes(masked_key, build_document(spec, masked_pages), "application/pdf")
    except RenderSpecError as error:
        logger.error("unusable render spec", extra={"copy_id": copy_id, "reason": str(error)})
        finalize.mark_failed(copy, attempt, f"The render spec cannot be used: {error}",
                             "render_spec_unusable", {"detail": str(error)[:300]})
        return
    except Exception as error:  # noqa: BLE001 - every render error is recorded on the copy
        logger.exception("render failed", extra={"copy_id": copy_id})
        finalize.mark_failed(copy, attempt, f"The final PDF could not be rendered: {error}", "render_failed",
                             {"detail": str(error)[:300]})
        return
    if finalize.mark_graded(copy, attempt, pdf_key, masked_key, spec.total):
        metrics.add_metric(name="CopiesGraded", unit="Count", value=1)
        waited = (utcnow() - entered).total_seconds()
        metrics.add_metric(name=GRADING_LATENCY_METRIC, unit="Seconds", value=round(waited, 3))


def record_handler(record: SQSRecord) -> None:
    """One SQS message: every spec it announces."""
    for created in created_objects(record.body):
        process_spec(created.key)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
