"""Rescore function: a rubric item was edited (``rescore-jobs/``) → every copy using it re-scored.

The job is idempotent and resumable (``chalicelib.services.rubrics.run_job``): a copy already up to date
is left alone, so a redelivered or resumed job only finishes what is left. A job whose edit is not
visible yet, or with copies still being rendered after its in-run retries, is delivered again by SQS.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import aws
from chalicelib.observability import logger, metrics
from chalicelib.resources import EVENT_ROUTES
from chalicelib.services import rubrics
from functions.events import created_objects

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = next(route.max_receive_count for route in EVENT_ROUTES if route.function == "rescore")
NOT_READY_WAITS = (0.2, 0.5, 1.0, 2.0)  # the edit's transaction commits right after its job is written
aws.connect()  # every DynamoDB client built in the init phase, not by the first record


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


def run(key: str) -> rubrics.JobResult | None:
    """One job, waiting a little for an edit not visible yet; None when it never became visible."""
    for wait in (*NOT_READY_WAITS, None):
        try:
            return rubrics.run_job(key)
        except rubrics.RescoreNotReady:
            if wait is None:
                raise
            time.sleep(wait)
    return None


def record_handler(record: SQSRecord, lambda_context: Any = None) -> None:
    """One SQS message: every job it announces."""
    for created in created_objects(record.body):
        try:
            result = run(created.key)
        except rubrics.RescoreNotReady:
            if _receive_count(record) < MAX_RECEIVES:
                raise
            # The edit never committed (a stale version, the exam changed): nothing to re-score.
            logger.info("rescore job dropped: its edit never committed", extra={"key": created.key})
            continue
        except rubrics.RescoreIncomplete as error:
            if _receive_count(record) < MAX_RECEIVES:
                raise  # SQS delivers it again; what is done stays done
            logger.error("rescore job left copies behind",
                         extra={"key": created.key, "copies": error.copy_ids})
            metrics.add_metric(name="RescoreIncomplete", unit="Count", value=len(error.copy_ids))
            raise
        if result is not None:
            metrics.add_metric(name="CopiesRescored", unit="Count", value=len(result.rescored))


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
