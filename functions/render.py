"""Render function: a render spec landed under ``renders/`` → the two flattened final PDFs → GRADED.

Two PDFs per attempt: ``final/{exam}/{copy}/{attempt}.pdf`` from the page images, for the student and
admins, and ``…/{attempt}-masked.pdf`` from the masked images (identity zone hidden), for teachers.

Duplicate deliveries and stale attempts change nothing (every transition is conditional on the
status and the attempt); a render error leaves the copy GRADING_FAILED with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pynamodb.exceptions import DoesNotExist

from chalicelib import aws, storage
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.observability import GRADING_LATENCY_METRIC, logger, metrics
from chalicelib.services import finalize
from functions.events import created_objects
from functions.pdf import FinalPage, QuestionLine, Summary, render_final_pdf

processor = BatchProcessor(event_type=EventType.SQS)
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record


def build_document(spec: dict[str, Any], masked: bool = False) -> bytes:
    """The final PDF of a render spec, from the masked page images when ``masked``."""
    by_page: dict[int, list[dict[str, Any]]] = {}
    for annotation in spec["annotations"]:
        by_page.setdefault(int(annotation["page_index"]), []).append(annotation)
    image = "masked_image_key" if masked else "image_key"
    pages = [
        FinalPage(
            storage.get_bytes(page[image]),
            page["width"],
            page["height"],
            by_page.get(int(page["index"]), []),
        )
        for page in sorted(spec["pages"], key=lambda page: page["index"])
    ]
    questions = [
        QuestionLine(
            q["label"],
            float(spec["scores"].get(q["id"], 0)),
            q["max_points"],
            spec["remarks"].get(q["id"], ""),
        )
        for q in spec["questions"]
    ]
    summary = Summary(
        spec["anonymous_id"],
        spec["exam_name"],
        spec.get("subject", ""),
        float(spec["total"]),
        float(spec["max_points"]),
        questions,
        spec.get("appreciation", ""),
    )
    return render_final_pdf(pages, summary)


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
    if copy.status != "GRADING_IN_PROGRESS" or int(copy.grading_attempts or 0) != attempt:
        logger.info("render already settled", extra={"copy_id": copy_id, "attempt": attempt})
        return
    try:
        spec = json.loads(storage.get_bytes(key))
        pdf_key = storage.final_pdf_key(exam_id, copy_id, attempt)
        masked_key = finalize.masked_pdf_key(exam_id, copy_id, attempt)
        storage.put_bytes(pdf_key, build_document(spec), "application/pdf")
        storage.put_bytes(masked_key, build_document(spec, masked=True), "application/pdf")
    except Exception as error:  # noqa: BLE001 - every render error is recorded on the copy
        logger.exception("render failed", extra={"copy_id": copy_id})
        finalize.mark_failed(copy_id, attempt, f"The final PDF could not be rendered: {error}")
        return
    if finalize.mark_graded(copy_id, attempt, pdf_key, masked_key, float(spec["total"])):
        metrics.add_metric(name="CopiesGraded", unit="Count", value=1)
        # the copy's updated_at is when it entered GRADING_IN_PROGRESS (finalise, retry or re-drive)
        waited = (utcnow() - copy.updated_at).total_seconds()
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
