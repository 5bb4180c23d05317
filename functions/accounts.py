"""Accounts function: a job input landed under ``jobs/`` → roster accounts or new passwords, chunk by chunk.

Every chunk is one transaction conditional on the job's progress, so a redelivered message or a
concurrent run applies nothing twice and a new delivery resumes where the last one stopped. An error
is retried by SQS; on the last receive the job is marked FAILED with the reason (what was created
stays, and its credentials sheet is still delivered).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import aws
from chalicelib.observability import logger, metrics
from chalicelib.resources import EVENT_ROUTES
from chalicelib.services import account_jobs
from functions.events import created_objects

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = next(route.max_receive_count for route in EVENT_ROUTES if route.function == "accounts")
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


def record_handler(record: SQSRecord, lambda_context: Any = None) -> None:
    """One SQS message: every job input it announces."""
    time_left = getattr(lambda_context, "get_remaining_time_in_millis", None)
    for created in created_objects(record.body):
        try:
            account_jobs.run_job(created.key, time_left)
        except Exception as error:
            parsed = account_jobs.parse_input_key(created.key)
            if parsed is None or _receive_count(record) < MAX_RECEIVES:
                raise  # SQS delivers it again: the job resumes where it stopped
            logger.exception("account job failed", extra={"job_id": parsed[1]})
            account_jobs.fail_job(parsed[1], f"The job stopped: {error}")
            metrics.add_metric(name="AccountJobsFailed", unit="Count", value=1)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
