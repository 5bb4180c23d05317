"""Maintenance against the real local endpoint: copies left in GRADING_IN_PROGRESS with no render coming
are re-driven through S3 → SQS → the render function, or end GRADING_FAILED; a dry run changes nothing."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.test_grading import account, grade, graded_copy_setup, request

pytestmark = pytest.mark.slow


def backdate(copy_id: str) -> None:
    """As if the copy had waited for its render longer than the render deadline."""
    from chalicelib.models.base import utcnow
    from chalicelib.models.copies import Copy
    from chalicelib.services import maintenance

    Copy(copy_id).update(
        actions=[Copy.updated_at.set(utcnow() - maintenance.RENDER_DEADLINE - timedelta(minutes=1))]
    )


def snapshot() -> dict[str, Any]:
    """Every item of every table and every object's key and metadata."""
    from chalicelib import aws
    from chalicelib.models import ALL_MODELS
    from chalicelib.settings import get_settings

    s3, bucket = aws.client("s3"), get_settings().files_bucket
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects[item["Key"]] = (item["ETag"], s3.head_object(Bucket=bucket, Key=item["Key"])["Metadata"])
    tables = {
        model.__name__: sorted(
            json.dumps(item.serialize(), sort_keys=True, default=str)
            for item in model.scan(consistent_read=True)
        )
        for model in ALL_MODELS
    }
    return {"objects": objects, "tables": tables}


def render_pump(failing_copy: str):
    """The render function behind the real pump, except that one copy's render never succeeds."""
    from chalicelib.resources import EVENT_ROUTES
    from functions import render
    from infra.local.pump import QueuePump

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        doomed = [r for r in event["Records"] if failing_copy in r["body"]]
        rest = [r for r in event["Records"] if r not in doomed]
        result = render.handler({"Records": rest}, context) if rest else {"batchItemFailures": []}
        failures = result["batchItemFailures"] + [{"itemIdentifier": r["messageId"]} for r in doomed]
        return {"batchItemFailures": failures}

    route = next(r for r in EVENT_ROUTES if r.function == "render")
    return QueuePump(route, handler, threading.Event(), wait_seconds=1)


def status(copy_id: str) -> tuple[str, str | None]:
    from chalicelib.models.copies import Copy

    copy = Copy.get(copy_id, consistent_read=True)
    return copy.status, copy.grading_error


def test_stuck_copies_are_redriven_to_graded_or_failed_with_the_reason_and_a_dry_run_changes_nothing(
    api, sqs, empty_route_queues
):
    from chalicelib.services import maintenance
    from chalicelib.services.auth import find_staff
    from functions import maintenance as function
    from infra.local.pump import scheduled_event

    teacher = account(api, "maintenance-grader", "teacher")
    teacher_id = find_staff("maintenance-grader").id
    rescued, doomed = graded_copy_setup(teacher_id)[0], graded_copy_setup(teacher_id)[0]
    for copy_id in (rescued, doomed):
        token = grade(api, teacher, copy_id)
        assert request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)[0] == 202
    sqs.purge_queue(QueueUrl=empty_route_queues["render"])  # the renders' events are lost: none is coming
    for copy_id in (rescued, doomed):
        backdate(copy_id)

    before = snapshot()
    dry = maintenance.run(dry_run=True)
    assert {(a.kind, a.target) for a in dry.actions} >= {("copy.redrive", rescued), ("copy.redrive", doomed)}
    assert snapshot() == before

    summary = function.handler(scheduled_event("maintenance"), None)  # the scheduled function, one pass
    redriven = {d["target"] for d in summary["details"] if d["kind"] == "copy.redrive" and d["done"]}
    assert {rescued, doomed} <= redriven

    pump = render_pump(failing_copy=doomed)
    for _ in range(30):
        if status(rescued)[0] == "GRADED":
            break
        pump.poll_once()
    assert status(rescued) == ("GRADED", None)
    assert status(doomed)[0] == "GRADING_IN_PROGRESS"

    backdate(doomed)  # its re-drive did not help either: the next pass gives up on it
    second = maintenance.run()
    assert ("copy.fail", doomed) in {(a.kind, a.target) for a in second.actions if a.done}
    assert status(doomed) == ("GRADING_FAILED", maintenance.RENDER_TOO_LATE)
    assert status(rescued)[0] == "GRADED"

    _, history = request(api, teacher, "GET", f"/api/copies/{doomed}/history")
    actions = [event["action"] for event in history["events"]]
    assert "copy.render_redriven" in actions and "copy.render_failed" in actions
