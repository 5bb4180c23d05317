"""The local event pump against real queues: batches, partial failures, retries, redrive, event shape."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from typing import Any

import pytest

from chalicelib.resources import EVENT_ROUTES, EventRoute
from infra.local import provision as provision_module
from infra.local import pump as pump_module
from infra.local.pump import RETRY_DELAY_SECONDS, QueuePump

pytestmark = pytest.mark.integration


class Recorder:
    """A handler that records every event and answers with ``fail(record)``'s verdict per record."""

    def __init__(self, fail=lambda record: False, crash: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.fail, self.crash = fail, crash

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        if self.crash:
            raise RuntimeError("handler crashed on purpose")
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}
                                      for record in event["Records"] if self.fail(record)]}

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for event in self.events for record in event["Records"]]


@pytest.fixture
def route(provisioned, monkeypatch) -> EventRoute:
    """A fresh route with its own queue and dead-letter queue, made by the real provisioning code."""
    from chalicelib.settings import get_settings

    fresh = EventRoute(f"pumptest{uuid.uuid4().hex[:10]}", "pumptest/", ".json", max_receive_count=3)
    monkeypatch.setattr(provision_module, "EVENT_ROUTES", (fresh,))
    provision_module.provision_queues(get_settings())
    return fresh


def make_pump(route: EventRoute, handler) -> QueuePump:
    return QueuePump(route, handler, threading.Event(), wait_seconds=1)


def send(sqs, pump: QueuePump, bodies: list[str]) -> dict[str, str]:
    """Send ``bodies``; returns body → message id."""
    return {body: sqs.send_message(QueueUrl=pump.queue_url, MessageBody=body)["MessageId"]
            for body in bodies}


def counts(sqs, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return (int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]))


def poll_until(pump: QueuePump, handler: Recorder, records: int, timeout: float) -> float:
    """Poll until the handler saw ``records`` records in all; returns the seconds it took."""
    start = time.monotonic()
    while len(handler.records) < records:
        if time.monotonic() - start > timeout:
            raise AssertionError(f"handler saw {len(handler.records)} records, expected {records}")
        pump.poll_once()
    return time.monotonic() - start


def dead_letter_url(sqs, settings, route: EventRoute) -> str:
    return sqs.get_queue_url(QueueName=settings.queue_name(route.function, dead_letter=True))["QueueUrl"]


def test_reported_failure_is_retried_after_the_short_delay_and_the_rest_deleted(route, sqs):
    handler = Recorder(fail=lambda record: record["body"] == "bad")
    pump = make_pump(route, handler)
    ids = send(sqs, pump, ["good-1", "bad", "good-2"])

    assert pump.poll_once() == 3
    assert len(handler.events) == 1  # one batch, one invocation
    assert counts(sqs, pump.queue_url) == (0, 1)  # the two others were deleted

    retried_after = poll_until(pump, handler, records=4, timeout=RETRY_DELAY_SECONDS + 5)
    retry = handler.records[3]
    assert retry["messageId"] == ids["bad"]
    assert retry["attributes"]["ApproximateReceiveCount"] == "2"
    # back after the pump's retry delay, not the queue's visibility timeout
    assert retried_after < RETRY_DELAY_SECONDS + 3 < route.visibility_timeout


def test_message_failing_every_time_moves_to_the_dead_letter_queue_after_max_receives(
        route, sqs, settings):
    handler = Recorder(fail=lambda record: True)
    pump = make_pump(route, handler)
    ids = send(sqs, pump, ["poison"])
    dlq = dead_letter_url(sqs, settings, route)

    poll_until(pump, handler, records=route.max_receive_count,
               timeout=route.max_receive_count * (RETRY_DELAY_SECONDS + 2))
    assert [r["attributes"]["ApproximateReceiveCount"] for r in handler.records] == [
        str(n) for n in range(1, route.max_receive_count + 1)]
    assert counts(sqs, dlq) == (0, 0)  # not dead-lettered before its last allowed receive

    # The next receive (after the retry delay) moves it to the dead-letter queue instead of delivering it.
    deadline = time.monotonic() + RETRY_DELAY_SECONDS + 5
    while counts(sqs, dlq)[0] == 0 and time.monotonic() < deadline:
        pump.poll_once()
    assert len(handler.records) == route.max_receive_count
    assert counts(sqs, pump.queue_url) == (0, 0)
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(ids["poison"], "poison")]


def test_crashing_handler_fails_the_whole_batch_and_deletes_nothing(route, sqs):
    handler = Recorder(crash=True)
    pump = make_pump(route, handler)
    ids = send(sqs, pump, ["a", "b", "c"])

    assert pump.poll_once() == 3
    assert counts(sqs, pump.queue_url) == (0, 3)

    poll_until(pump, handler, records=6, timeout=RETRY_DELAY_SECONDS + 5)
    again = handler.records[3:]
    assert sorted(r["messageId"] for r in again) == sorted(ids.values())
    assert {r["attributes"]["ApproximateReceiveCount"] for r in again} == {"2"}


def test_handler_receives_a_lambda_sqs_event_for_an_uploaded_scan(provisioned, s3, sqs, settings,
                                                                    empty_route_queues):
    ingest = next(route for route in EVENT_ROUTES if route.function == "ingest")
    handler = Recorder()
    pump = make_pump(ingest, handler)
    key = f"scans/{uuid.uuid4().hex[:8]}/class 3B.pdf"
    s3.put_object(Bucket=settings.files_bucket, Key=key, Body=b"%PDF-1.4", ContentType="application/pdf")

    deadline = time.monotonic() + 10
    scan_records: list[dict[str, Any]] = []
    while not scan_records:
        assert time.monotonic() < deadline, "the scan's event never reached the handler"
        pump.poll_once()
        scan_records = [r for r in handler.records if "Records" in json.loads(r["body"])]

    queue_arn = sqs.get_queue_attributes(QueueUrl=empty_route_queues["ingest"],
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    record = scan_records[0]
    assert set(record) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                           "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert record["awsRegion"] == settings.aws_region
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["receiptHandle"]
    s3_record = json.loads(record["body"])["Records"][0]
    assert urllib.parse.unquote_plus(s3_record["s3"]["object"]["key"]) == key
    context = handler.contexts[-1]
    assert context.function_name == "korrigo-ingest"
    assert 0 < context.get_remaining_time_in_millis() <= ingest.visibility_timeout * 1000
    # handled without failures: deleted from the queue
    assert counts(sqs, empty_route_queues["ingest"]) == (0, 0)


def test_run_stops_promptly_when_the_stop_event_is_set(route):
    handler = Recorder()
    stop = threading.Event()
    pump = QueuePump(route, handler, stop, wait_seconds=1)
    thread = threading.Thread(target=pump.run, daemon=True)
    thread.start()
    time.sleep(0.2)
    stop.set()
    thread.join(timeout=3)
    assert not thread.is_alive()


def test_run_pumps_skips_routes_whose_handler_is_missing(provisioned, monkeypatch):
    monkeypatch.setattr(pump_module, "load_handler", lambda function: None)
    stop = threading.Event()
    try:
        assert pump_module.run_pumps(stop) == []
    finally:
        stop.set()


# --- scheduled functions -----------------------------------------------------------------------------

def test_every_scheduled_function_of_the_template_runs_on_its_schedule(provisioned, monkeypatch):
    from functions import maintenance
    from infra.template import FUNCTIONS

    scheduled = [spec for spec in FUNCTIONS if spec.schedule]
    assert [spec.name for spec in scheduled] == ["maintenance"]
    assert pump_module.schedule_seconds(scheduled[0].schedule) == 300  # make dev: every 5 minutes
    assert pump_module.load_handler("maintenance") is maintenance.handler

    periods: list[str] = []
    monkeypatch.setattr(pump_module, "schedule_seconds", lambda rule: periods.append(rule) or 0.2)
    handler = Recorder()
    stop = threading.Event()
    started = time.monotonic()
    threads = pump_module.run_schedules(stop, handlers={"maintenance": handler})
    try:
        assert [t.name for t in threads] == ["schedule-maintenance"]
        deadline = time.monotonic() + 5
        while len(handler.events) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=3)
    assert periods == ["rate(5 minutes)"]
    assert len(handler.events) >= 3 and time.monotonic() - started >= 0.6  # one per period, not at once
    event = handler.events[0]
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
    assert handler.contexts[0].function_name == "korrigo-maintenance"
    assert not any(thread.is_alive() for thread in threads)


def test_a_crashing_scheduled_function_runs_again_at_the_next_tick(provisioned):
    from infra.template import FunctionSpec

    spec = FunctionSpec(name="ticker", description="", memory_mb=128, timeout_s=10, tables={},
                        schedule="rate(1 minute)")
    handler = Recorder(crash=True)
    runner = pump_module.ScheduledFunction(spec, handler, threading.Event(), period=0.1)
    assert runner.run_once() is None and runner.run_once() is None
    assert len(handler.events) == 2


@pytest.mark.parametrize("rule, seconds", [("rate(5 minutes)", 300), ("rate(1 minute)", 60),
                                           ("rate(2 hours)", 7200), ("rate(1 day)", 86400)])
def test_rate_expressions_give_their_period(rule, seconds):
    assert pump_module.schedule_seconds(rule) == seconds


@pytest.mark.parametrize("rule", ["cron(0 12 * * ? *)", "rate(0 minutes)", "rate(5 fortnights)"])
def test_other_schedules_are_refused_by_the_parser(rule):
    with pytest.raises(ValueError):
        pump_module.schedule_seconds(rule)
