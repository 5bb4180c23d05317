"""Re-drive a function's dead-letter queue into its queue, once the cause of the failures is fixed.

In AWS, SQS moves the messages itself (``StartMessageMoveTask``, DLQ → the function's queue). Emulators
that do not implement it (moto) get the same result by receive → send → delete, a message deleted
from the DLQ only once it is in the queue.

Usage::

    python -m infra.redrive ingest          # the local stack (AWS_ENDPOINT_URL, else the emulator's port)
    KORRIGO_RESOURCE_PREFIX=korrigo-prod python -m infra.redrive ingest --aws   # a deployed stack
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.resources import EVENT_ROUTES
from chalicelib.settings import Settings

#: Error codes of an endpoint that does not implement message move tasks.
UNSUPPORTED_CODES = {"NotImplemented", "InternalFailure", "InvalidAction", "UnsupportedOperation",
                     "InternalError"}
BATCH = 10  # SQS's maximum per receive
COPY_VISIBILITY_SECONDS = 60


@dataclass(frozen=True)
class Redrive:
    """What a re-drive did: ``moved`` messages (None while SQS's own task still runs), and how."""

    function: str
    method: str  # "move-task" or "copy"
    moved: int | None
    task_handle: str | None = None


def functions() -> tuple[str, ...]:
    """The functions that have a queue (and so a dead-letter queue)."""
    return tuple(route.function for route in EVENT_ROUTES)


def endpoint_url(settings: Settings, in_aws: bool) -> str | None:
    """None for AWS; else the configured endpoint, or the local emulator's."""
    if in_aws:
        return None
    port = os.environ.get("KORRIGO_EMULATOR_PORT", "4566")
    return settings.aws_endpoint_url or f"http://127.0.0.1:{port}"


def sqs_client(settings: Settings, in_aws: bool = False) -> Any:
    """An SQS client for AWS or for the local stack."""
    return boto3.client("sqs", region_name=settings.aws_region, endpoint_url=endpoint_url(settings, in_aws))


def queue_arns(sqs: Any, settings: Settings, function: str) -> tuple[str, str, str, str]:
    """(queue URL, queue ARN, DLQ URL, DLQ ARN) of a function."""
    if function not in functions():
        raise ValueError(f"unknown queue {function!r}; expected one of {', '.join(functions())}")
    found = []
    for name in (settings.queue_name(function), settings.queue_name(function, dead_letter=True)):
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        found += [url, arn]
    return found[0], found[1], found[2], found[3]


def waiting(sqs: Any, url: str) -> int:
    """Approximate number of visible messages in a queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def copy_messages(sqs: Any, dlq_url: str, queue_url: str) -> int:
    """Receive every message of the DLQ, send it to the queue, then delete it from the DLQ."""
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=0,
                                       VisibilityTimeout=COPY_VISIBILITY_SECONDS,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            sent: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                sent["MessageAttributes"] = message["MessageAttributes"]
            sqs.send_message(**sent)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1


def start_move_task(sqs: Any, dlq_arn: str, queue_arn: str) -> str | None:
    """Start SQS's own move task; None when the endpoint does not implement it."""
    try:
        return sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=queue_arn)["TaskHandle"]
    except NotImplementedError:  # moto in-process
        return None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in UNSUPPORTED_CODES or status in (500, 501):
            return None
        raise


def wait_for_task(sqs: Any, dlq_arn: str, handle: str, timeout_s: float, poll_s: float = 2) -> int | None:
    """Messages moved by the task once it has finished; None if it still runs after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        for task in sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10).get("Results", []):
            if task.get("TaskHandle") == handle and task["Status"] != "RUNNING":
                if task["Status"] != "COMPLETED":
                    raise RuntimeError(f"the move task ended {task['Status']}: {task.get('FailureReason')}")
                return int(task.get("ApproximateNumberOfMessagesMoved", 0))
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll_s)


def redrive(function: str, settings: Settings | None = None, *, sqs: Any = None, copy: bool = False,
            wait_s: float = 300) -> Redrive:
    """Send the DLQ's messages of ``function`` back to its queue (``copy`` forces receive/send/delete)."""
    settings = settings or Settings()
    sqs = sqs or sqs_client(settings)
    queue_url, queue_arn, dlq_url, dlq_arn = queue_arns(sqs, settings, function)
    handle = None if copy else start_move_task(sqs, dlq_arn, queue_arn)
    if handle is None:
        return Redrive(function, "copy", copy_messages(sqs, dlq_url, queue_url))
    moved = wait_for_task(sqs, dlq_arn, handle, wait_s) if wait_s > 0 else None
    return Redrive(function, "move-task", moved, handle)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: re-drive one function's DLQ and print what happened."""
    parser = argparse.ArgumentParser(prog="python -m infra.redrive", description=__doc__.splitlines()[0])
    parser.add_argument("function", choices=functions(), help="whose dead-letter queue to re-drive")
    parser.add_argument("--copy", action="store_true", help="receive/send/delete even if SQS can move")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for SQS's move task")
    parser.add_argument("--aws", action="store_true", help="a deployed stack, not the local one")
    args = parser.parse_args(argv)
    settings = Settings()
    target = endpoint_url(settings, args.aws) or "AWS"
    sqs = sqs_client(settings, args.aws)
    try:
        _, _, dlq_url, _ = queue_arns(sqs, settings, args.function)
        before = waiting(sqs, dlq_url)
        print(f"{settings.queue_name(args.function, dead_letter=True)} on {target}: {before} message(s)")
        if before == 0:
            print("nothing to re-drive")
            return 0
        result = redrive(args.function, settings, sqs=sqs, copy=args.copy, wait_s=args.wait)
    except (ClientError, RuntimeError) as error:
        print(f"re-drive failed: {error}", file=sys.stderr)
        return 1
    if result.moved is None:
        print(f"SQS move task {result.task_handle} still running; check the DLQ depth again later")
    else:
        queue = settings.queue_name(args.function)
        print(f"{result.moved} message(s) sent back to {queue} ({result.method})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
