"""OCR function: a header crop landed under ``headers/`` → read it, rank the roster, store suggestions.

The copy stays in STAGING: a confident match is only a hint that an admin confirms.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import aws, storage
from chalicelib.domain.matching import auto_match, rank_candidates
from chalicelib.observability import logger, metrics
from chalicelib.services import ocr_results
from chalicelib.settings import get_settings
from functions.events import created_objects
from functions.ocr_engines import engine_for

processor = BatchProcessor(event_type=EventType.SQS)
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record


def process_header(key: str) -> None:
    """OCR one header crop and store the ranked suggestions (idempotent: the result is replaced)."""
    ids = storage.parse_header_key(key)
    if ids is None:
        logger.warning("not a header key", extra={"key": key})
        return
    exam_id, copy_id = ids
    settings = get_settings()
    engine = engine_for(settings.effective_ocr_engine)
    text = engine.read_text(storage.get_bytes(key))
    suggestions = rank_candidates(text, ocr_results.roster_entries(exam_id), limit=5)
    auto = auto_match(suggestions, settings.ocr_auto_threshold, settings.ocr_auto_margin)
    ocr_results.save(copy_id, exam_id, engine.name, text, suggestions, auto)
    metrics.add_metric(name="OcrAutoMatched" if auto else "OcrUnmatched", unit="Count", value=1)


def record_handler(record: SQSRecord) -> None:
    """One SQS message: every header it announces."""
    for created in created_objects(record.body):
        process_header(created.key)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
