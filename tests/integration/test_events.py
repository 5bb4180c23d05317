"""S3 → SQS routing on the real endpoint: objects created under a route's prefix feed that route's queue."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid

import pytest

from chalicelib.resources import EVENT_ROUTES

pytestmark = pytest.mark.integration


def receive_records(sqs, url: str, until_key: str | None, timeout: float = 10) -> list[dict]:
    """S3 event records of ``url`` (TestEvents skipped, messages deleted), until ``until_key`` is seen.

    Once the awaited key arrived (or when ``until_key`` is None), one more non-waiting receive
    collects whatever else sits in the queue.
    """
    records: list[dict] = []
    deadline = time.monotonic() + timeout
    waiting = until_key is not None
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1 if waiting else 0).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            if body.get("Event") == "s3:TestEvent":
                continue
            records.extend(body["Records"])
        if not waiting and not messages:
            return records
        if waiting and any(urllib.parse.unquote_plus(r["s3"]["object"]["key"]) == until_key
                           for r in records):
            waiting = False
        elif waiting and time.monotonic() > deadline:
            raise AssertionError(f"no event for {until_key!r} within {timeout} s; got {records}")


def test_pdf_under_scans_reaches_the_ingest_queue_with_a_form_encoded_key(
        s3, settings, empty_route_queues, sqs):
    key = f"scans/exam {uuid.uuid4().hex[:6]}/a b+c.pdf"
    body = b"%PDF-1.4 not really a pdf"
    s3.put_object(Bucket=settings.files_bucket, Key=key, Body=body, ContentType="application/pdf")

    records = receive_records(sqs, empty_route_queues["ingest"], until_key=key)

    assert len(records) == 1
    record = records[0]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == settings.files_bucket
    raw_key = record["s3"]["object"]["key"]
    assert raw_key != key  # form-encoded on the wire: consumers must unquote_plus it
    assert urllib.parse.unquote_plus(raw_key) == key
    assert record["s3"]["object"]["size"] == len(body)
    stored = s3.get_object(Bucket=settings.files_bucket, Key=key)
    assert stored["Body"].read() == body


def test_each_route_receives_only_its_own_objects(s3, settings, empty_route_queues, sqs):
    bucket = settings.files_bucket
    tag = uuid.uuid4().hex[:8]
    unrouted = [
        f"pages/{tag}/x.jpg",           # a prefix without a route
        f"final/{tag}/copy.pdf",
        f"scans/{tag}/notes.txt",       # a routed prefix with the wrong suffix
        f"headers/{tag}/h.png",
        f"{tag}/scans/a.pdf",           # the prefix must start the key
    ]
    for key in unrouted:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x", ContentType="application/octet-stream")
    # One matching object per route, created after the others: once it arrives, the others would have.
    expected = {route.function: f"{route.prefix}{tag}/object{route.suffix}" for route in EVENT_ROUTES}
    for key in expected.values():
        s3.put_object(Bucket=bucket, Key=key, Body=b"x", ContentType="application/octet-stream")

    for function, url in empty_route_queues.items():
        records = receive_records(sqs, url, until_key=expected[function])
        keys = [urllib.parse.unquote_plus(r["s3"]["object"]["key"]) for r in records]
        assert keys == [expected[function]], f"queue of {function} received {keys}"


def test_object_outside_every_route_reaches_no_queue(s3, settings, empty_route_queues, sqs):
    s3.put_object(Bucket=settings.files_bucket, Key=f"pages/{uuid.uuid4().hex}/x.jpg", Body=b"jpeg",
                  ContentType="image/jpeg")

    for function, url in empty_route_queues.items():
        assert receive_records(sqs, url, until_key=None) == [], f"{function} got an event"
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        assert attributes == {"ApproximateNumberOfMessages": "0",
                              "ApproximateNumberOfMessagesNotVisible": "0"}
