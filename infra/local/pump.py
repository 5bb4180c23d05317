"""The local event pump: long-polls each function's queue and calls its handler with real SQS events,
and runs each scheduled function of the template on its schedule.

It does what the Lambda SQS event source does in AWS: batches of up to 10 messages, the handler's
``batchItemFailures`` decide which messages are deleted, failed ones come back after a short
visibility timeout, and the queue's redrive policy moves a message to its dead-letter queue after
``maxReceiveCount`` receives. What EventBridge does for a ``rate(N minutes)`` schedule it does too:
a scheduled event every N minutes (the first one N minutes after the start), one run at a time.
"""

from __future__ import annotations

import importlib
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib import aws
from chalicelib.observability import logger
from chalicelib.resources import EVENT_ROUTES, EventRoute
from chalicelib.settings import get_settings
from infra.template import FUNCTIONS, FunctionSpec

Handler = Callable[[dict[str, Any], Any], dict[str, Any] | None]
RETRY_DELAY_SECONDS = 2
RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class LocalLambdaContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: int = 900

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda event for a batch of received SQS messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": get_settings().aws_region,
            }
            for message in messages
        ]
    }


def load_handler(function: str) -> Handler | None:
    """``functions.<function>.handler``, or None when that function is not part of this build."""
    try:
        module = importlib.import_module(f"functions.{function}")
    except ModuleNotFoundError as error:
        if error.name in (f"functions.{function}", "functions"):
            return None
        raise
    return module.handler


class QueuePump:
    """Feeds one queue to one handler until stopped."""

    def __init__(
        self, route: EventRoute, handler: Handler, stop: threading.Event, wait_seconds: int = 2
    ) -> None:
        self.route, self.handler, self.stop, self.wait_seconds = route, handler, stop, wait_seconds
        sqs = aws.client("sqs")
        self.queue_url = sqs.get_queue_url(QueueName=get_settings().queue_name(route.function))["QueueUrl"]
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def poll_once(self) -> int:
        """Receive one batch, run the handler, settle each message; returns messages received."""
        sqs = aws.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        context = LocalLambdaContext(
            f"korrigo-{self.route.function}", uuid.uuid4().hex, timeout_seconds=self.route.visibility_timeout
        )
        try:
            result = self.handler(sqs_event(messages, self.queue_arn), context) or {}
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a crashing invocation fails the whole batch, as in Lambda
            logger.exception("handler crashed", extra={"function": self.route.function})
            failed = {message["MessageId"] for message in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(done)
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=RETRY_DELAY_SECONDS,
                )
        return len(messages)

    def run(self) -> None:
        """Poll until stopped; transient emulator errors are logged and retried."""
        while not self.stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep pumping through a restart of the emulator
                logger.exception("pump error", extra={"function": self.route.function})
                self.stop.wait(1)


def run_pumps(stop: threading.Event, handlers: dict[str, Handler] | None = None) -> list[threading.Thread]:
    """Start one pump thread per route that has a handler."""
    threads = []
    for route in EVENT_ROUTES:
        handler = (handlers or {}).get(route.function) or load_handler(route.function)
        if handler is None:
            logger.info("no handler in this build", extra={"function": route.function})
            continue
        pump = QueuePump(route, handler, stop)
        thread = threading.Thread(target=pump.run, name=f"pump-{route.function}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def schedule_seconds(expression: str) -> int:
    """The period of an EventBridge ``rate(...)`` expression, in seconds (ValueError otherwise)."""
    match = RATE.fullmatch(expression.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"unsupported schedule {expression!r}: only rate(N minutes|hours|days) runs locally")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).removesuffix("s")]


def scheduled_event(function: str) -> dict[str, Any]:
    """The event EventBridge sends a function on its schedule."""
    region = get_settings().aws_region
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/korrigo-{function}"],
        "detail": {},
    }


class ScheduledFunction:
    """Calls one function's handler every ``period`` seconds until stopped."""

    def __init__(self, spec: FunctionSpec, handler: Handler, stop: threading.Event, period: float) -> None:
        self.spec, self.handler, self.stop, self.period = spec, handler, stop, period
        self.runs = 0

    def run_once(self) -> dict[str, Any] | None:
        """One scheduled invocation; a crash is logged (as Lambda would report it), never raised."""
        context = LocalLambdaContext(
            f"korrigo-{self.spec.name}",
            uuid.uuid4().hex,
            memory_limit_in_mb=self.spec.memory_mb,
            timeout_seconds=self.spec.timeout_s,
        )
        self.runs += 1
        try:
            return self.handler(scheduled_event(self.spec.name), context)
        except Exception:  # noqa: BLE001 - the next tick runs again, as EventBridge would
            logger.exception("scheduled function crashed", extra={"function": self.spec.name})
            return None

    def run(self) -> None:
        """Wait a period, run, repeat, until stopped."""
        while not self.stop.wait(self.period):
            self.run_once()


def run_schedules(
    stop: threading.Event,
    handlers: dict[str, Handler] | None = None,
    specs: tuple[FunctionSpec, ...] = FUNCTIONS,
) -> list[threading.Thread]:
    """Start one thread per function of the template that has a schedule (and a handler)."""
    threads = []
    for spec in specs:
        if spec.schedule is None:
            continue
        try:
            period = schedule_seconds(spec.schedule)
        except ValueError:
            logger.warning("schedule not run locally", extra={"function": spec.name, "rule": spec.schedule})
            continue
        handler = (handlers or {}).get(spec.name) or load_handler(spec.name)
        if handler is None:
            logger.info("no handler in this build", extra={"function": spec.name})
            continue
        scheduled = ScheduledFunction(spec, handler, stop, period)
        thread = threading.Thread(target=scheduled.run, name=f"schedule-{spec.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def main() -> None:
    """Run the pumps and the schedules until SIGINT/SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threads = run_pumps(stop) + run_schedules(stop)
    logger.info("event pump running", extra={"threads": [t.name for t in threads]})
    stop.wait()
    for thread in threads:
        thread.join(timeout=5)


if __name__ == "__main__":
    main()
