"""Sheets function: a run's input landed under ``sheet-jobs/`` → the exam's personalised answer sheets.

The run is idempotent (``chalicelib.services.sheets.run_job``): a redelivered message prints nothing
twice. An error is retried by SQS; on the last receive the run is marked FAILED with the reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import aws
from chalicelib.domain.sheet_codes import code_key
from chalicelib.observability import logger, metrics
from chalicelib.resources import EVENT_ROUTES
from chalicelib.services import sheets
from chalicelib.services.sheets import SheetRun
from chalicelib.settings import get_settings
from functions.events import created_objects
from functions.pdf.sheets import BookletSheet, SheetExam, render_sheets

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = next(route.max_receive_count for route in EVENT_ROUTES if route.function == "sheets")
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record


def render(run: SheetRun) -> tuple[bytes, int]:
    """The run's PDF and its page count."""
    exam = run.exam
    booklets = [
        BookletSheet(
            planned.sheet_id,
            student_name=f"{planned.student.last_name.upper()} {planned.student.first_name}"
            if planned.student
            else None,
            number=planned.number,
        )
        for planned in run.booklets
    ]
    sheet_exam = SheetExam(exam.id, exam.name, exam.subject or "", exam.date, run.pages_per_booklet)
    data = render_sheets(sheet_exam, booklets, code_key(get_settings().secret_key))
    return data, len(booklets) * run.pages_per_booklet


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


def record_handler(record: SQSRecord, lambda_context: Any = None) -> None:
    """One SQS message: every run input it announces."""
    for created in created_objects(record.body):
        try:
            if sheets.run_job(created.key, render):
                metrics.add_metric(name="AnswerSheetsPrinted", unit="Count", value=1)
        except Exception as error:
            parsed = sheets.parse_input_key(created.key)
            if parsed is None or _receive_count(record) < MAX_RECEIVES:
                raise  # SQS delivers it again
            logger.exception("answer sheets failed", extra={"exam_id": parsed[0], "job_id": parsed[1]})
            sheets.fail_job(parsed[0], parsed[1], f"The answer sheets could not be printed: {error}")
            metrics.add_metric(name="AnswerSheetsFailed", unit="Count", value=1)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
