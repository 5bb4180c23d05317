"""Maintenance, rule by rule, against the in-process mocks: what it recovers, what it never touches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import aws, storage
from chalicelib.models import ALL_MODELS
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Upload
from chalicelib.models.grading import Lock
from chalicelib.models.jobs import AccountJob
from chalicelib.observability import metrics
from chalicelib.resources import EVENT_ROUTES
from chalicelib.services import account_jobs, finalize, maintenance
from chalicelib.settings import get_settings
from functions.events import created_objects

EXAM = "exam-1"


@pytest.fixture(autouse=True)
def empty_bucket_and_queues(mocked_aws: None) -> Iterator[None]:
    """Each test sees only its own objects and queued events (other modules' tests leave some), and
    leaves none to the next one."""
    for key in keys():
        s3().delete_object(Bucket=get_settings().files_bucket, Key=key)
    purge_queues()
    yield
    purge_queues()


def purge_queues() -> None:
    sqs = aws.client("sqs")
    for route in EVENT_ROUTES:
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=get_settings().queue_name(route.function))[
            "QueueUrl"])


def s3() -> Any:
    return aws.client("s3")


def head(key: str) -> dict[str, Any]:
    return s3().head_object(Bucket=get_settings().files_bucket, Key=key)


def keys() -> set[str]:
    listing = s3().list_objects_v2(Bucket=get_settings().files_bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def put(key: str, data: bytes = b"x") -> str:
    storage.put_bytes(key, data, "application/octet-stream")
    return key


def make_copy(copy_id: str, status: str, *, age: timedelta = timedelta(0), attempts: int = 0,
              upload_id: str = "u1") -> Copy:
    copy = Copy(copy_id, exam_id=EXAM, upload_id=upload_id, anonymous_id=f"AB-{copy_id}", status=status,
                grading_attempts=attempts, updated_at=utcnow() - age)
    copy.save()
    return copy


def stuck_copy(copy_id: str = "c1", attempt: int = 1, with_spec: bool = True) -> Copy:
    copy = make_copy(copy_id, "GRADING_IN_PROGRESS", attempts=attempt,
                     age=maintenance.RENDER_DEADLINE + timedelta(minutes=1))
    if with_spec:
        put(finalize.spec_key(EXAM, copy_id, attempt), json.dumps({"copy_id": copy_id}).encode())
    return copy


def audit_actions(action: str) -> list[AuditEvent]:
    return [event for event in AuditEvent.scan() if event.action == action]


def render_messages() -> list[str]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().queue_name("render"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [created.key for message in messages for created in created_objects(message["Body"])]


def kinds(report: maintenance.Report) -> list[tuple[str, str]]:
    return sorted((action.kind, action.target) for action in report.actions)


# ------------------------------------------------------------------------------------ stuck copies


def test_a_copy_stuck_past_the_render_deadline_is_redriven_once_then_failed_with_the_reason():
    stuck_copy()
    spec = finalize.spec_key(EXAM, "c1", 1)
    render_messages()  # the finalise's own event, consumed (lost) long ago

    first = maintenance.run()
    assert [(a.kind, a.done) for a in first.actions] == [("copy.redrive", True)]
    assert first.stuck_copies == 1
    assert maintenance.REDRIVE_MARK in head(spec)["Metadata"]
    assert spec in render_messages()  # the render function runs on the rewritten spec
    copy = Copy.get("c1")
    assert copy.status == "GRADING_IN_PROGRESS" and copy.updated_at > utcnow() - timedelta(minutes=1)
    [redrive] = audit_actions("copy.render_redriven")
    assert redrive.actor_role == "system" and redrive.metadata["attempt"] == 1

    assert maintenance.run().actions == []  # the re-drive restarted the clock

    later = utcnow() + maintenance.RENDER_DEADLINE + timedelta(minutes=1)
    second = maintenance.run(now=later)
    assert [(a.kind, a.done) for a in second.actions] == [("copy.fail", True)]
    copy = Copy.get("c1")
    assert copy.status == "GRADING_FAILED" and copy.grading_error == maintenance.RENDER_TOO_LATE
    assert "did not finish in time" in copy.grading_error
    assert copy.grading_error_reason == "render_too_late"
    [failed] = audit_actions("copy.render_failed")
    assert failed.actor_role == "system" and failed.metadata["reason"] == maintenance.RENDER_TOO_LATE


def test_a_copy_whose_render_spec_is_gone_fails_at_once():
    stuck_copy(with_spec=False)
    report = maintenance.run()
    assert [(a.kind, a.done) for a in report.actions] == [("copy.fail", True)]
    assert Copy.get("c1").status == "GRADING_FAILED"


def test_a_render_still_within_its_deadline_is_left_alone():
    make_copy("c1", "GRADING_IN_PROGRESS", attempts=1, age=maintenance.RENDER_DEADLINE - timedelta(minutes=1))
    report = maintenance.run()
    assert report.actions == [] and report.stuck_copies == 0
    assert Copy.get("c1").status == "GRADING_IN_PROGRESS"


def test_a_copy_graded_after_the_pass_read_it_is_not_touched():
    seen = stuck_copy()
    Copy("c1").update(actions=[Copy.status.set("GRADED"), Copy.version.add(1)])
    run = maintenance.Pass(False, utcnow(), None)
    maintenance.recover_stuck_copies([seen], run)
    assert [(a.kind, a.done) for a in run.report.actions] == [("copy.redrive", False)]
    assert Copy.get("c1").status == "GRADED"
    assert maintenance.REDRIVE_MARK not in head(finalize.spec_key(EXAM, "c1", 1)).get("Metadata", {})
    assert audit_actions("copy.render_redriven") == []


def test_deadlines_cover_each_functions_timeout_in_the_template():
    from infra.template import FUNCTIONS

    timeouts = {spec.name: timedelta(seconds=spec.timeout_s) for spec in FUNCTIONS}
    assert maintenance.RENDER_DEADLINE > timeouts["render"]
    assert maintenance.INGEST_DEADLINE > timeouts["ingest"]
    assert maintenance.ACCOUNTS_DEADLINE > timeouts["accounts"]


# ------------------------------------------------------------------------------------------- locks


def lock(copy_id: str, expires_in: timedelta) -> Lock:
    now = utcnow()
    item = Lock(copy_id, token="t", holder_id="teacher-1", holder_name="Mme Durand",
                expires_at=now + expires_in, ttl=now + expires_in + timedelta(hours=1))
    item.save()
    return item


def test_locked_copies_whose_lock_expired_or_vanished_go_back_to_ready_a_live_lock_stays():
    make_copy("expired", "LOCKED")
    lock("expired", -timedelta(minutes=1))
    make_copy("gone", "LOCKED")
    make_copy("live", "LOCKED")
    lock("live", timedelta(minutes=5))

    report = maintenance.run()

    assert kinds(report) == [("lock.expire", "expired"), ("lock.expire", "gone")]
    assert all(action.done for action in report.actions)
    assert Copy.get("expired").status == "READY" and Copy.get("gone").status == "READY"
    assert Copy.get("live").status == "LOCKED" and Lock.get("live").holder_id == "teacher-1"
    assert [lock.copy_id for lock in Lock.scan()] == ["live"]
    events = audit_actions("lock.expire")
    assert sorted(e.copy_id for e in events) == ["expired", "gone"]
    assert {e.actor_role for e in events} == {"system"}


def test_a_lock_taken_again_after_the_pass_read_it_is_never_broken():
    make_copy("c1", "LOCKED")
    stale = lock("c1", -timedelta(minutes=1))
    lock("c1", timedelta(minutes=10))  # the teacher came back meanwhile
    assert maintenance._expire_lock(Copy.get("c1"), stale, utcnow()) is False
    assert Copy.get("c1").status == "LOCKED" and Lock.get("c1").expires_at > utcnow()


# ----------------------------------------------------------------------------------------- uploads


def upload(upload_id: str, status: str, age: timedelta, with_file: bool = False) -> Upload:
    key = storage.scan_key(EXAM, upload_id)
    item = Upload(EXAM, upload_id, filename="scan.pdf", size=10, object_key=key, status=status,
                  created_by="admin", created_at=utcnow() - age, updated_at=utcnow() - age)
    item.save()
    if with_file:
        put(key, b"%PDF-1.4")
    return item


def test_uploads_stuck_in_processing_fail_with_a_reason_and_lose_their_half_copies():
    upload("stuck", "PROCESSING", maintenance.INGEST_DEADLINE + timedelta(minutes=1), with_file=True)
    upload("busy", "PROCESSING", timedelta(minutes=5), with_file=True)
    make_copy("half", "STAGING", upload_id="stuck")
    Page("half", 0, image_key="pages/x", width=1, height=1).save()

    report = maintenance.run()

    assert kinds(report) == [("upload.fail", f"{EXAM}/stuck")]
    stuck = Upload.get(EXAM, "stuck")
    assert stuck.status == "FAILED" and stuck.error == maintenance.SCAN_TOO_LATE
    assert stuck.error_reason == "scan_too_late"
    assert Upload.get(EXAM, "busy").status == "PROCESSING"
    assert list(Copy.scan()) == [] and list(Page.scan()) == []
    assert storage.scan_key(EXAM, "stuck") in keys()  # the scan itself is never deleted
    [event] = audit_actions("upload.failed")
    assert event.actor_role == "system" and event.target_id == "stuck"


def test_upload_records_that_never_received_a_file_fail_after_a_day():
    upload("empty", "UPLOADED", timedelta(days=1, minutes=1))
    upload("fresh", "UPLOADED", timedelta(hours=3))
    upload("unprocessed", "UPLOADED", timedelta(days=2), with_file=True)
    upload("done", "DONE", timedelta(days=9))

    report = maintenance.run()

    assert kinds(report) == [("upload.fail", f"{EXAM}/empty")]
    empty = Upload.get(EXAM, "empty")
    assert empty.status == "FAILED" and empty.error == maintenance.NO_FILE
    assert {u.id: u.status for u in Upload.scan()} == {
        "empty": "FAILED", "fresh": "UPLOADED", "unprocessed": "UPLOADED", "done": "DONE"}


# ------------------------------------------------------------------------------------ account jobs


def account_job(job_id: str, status: str, age: timedelta, with_input: bool = True) -> AccountJob:
    key = account_jobs.input_key(EXAM, job_id)
    job = AccountJob(job_id, exam_id=EXAM, kind=account_jobs.ROSTER_IMPORT, owner_id="admin-1", status=status,
                     input_key=key, total=40, processed=20, updated_at=utcnow() - age)
    job.save()
    if with_input:
        put(key, json.dumps({"rows": []}).encode())
    return job


def test_a_stuck_account_job_is_redriven_once_then_failed():
    account_job("j1", "RUNNING", maintenance.ACCOUNTS_DEADLINE + timedelta(minutes=1))
    key = account_jobs.input_key(EXAM, "j1")

    first = maintenance.run()
    assert [(a.kind, a.done) for a in first.actions] == [("job.redrive", True)]
    assert maintenance.REDRIVE_MARK in head(key)["Metadata"]
    assert AccountJob.get("j1").status == "RUNNING"
    assert [e.actor_role for e in audit_actions("account_job.redriven")] == ["system"]

    second = maintenance.run(now=utcnow() + maintenance.ACCOUNTS_DEADLINE + timedelta(minutes=1))
    assert [(a.kind, a.done) for a in second.actions] == [("job.fail", True)]
    job = AccountJob.get("j1")
    assert job.status == "FAILED" and job.error == maintenance.JOB_TOO_LATE
    assert key not in keys()
    assert [e.actor_role for e in audit_actions("account_job.failed")] == ["system"]


def test_a_stuck_job_without_its_input_fails_and_a_busy_one_is_left_alone():
    account_job("lost", "PENDING", maintenance.ACCOUNTS_DEADLINE + timedelta(minutes=1), with_input=False)
    account_job("busy", "RUNNING", timedelta(minutes=3))
    report = maintenance.run()
    assert kinds(report) == [("job.fail", "lost")]
    assert AccountJob.get("lost").error == maintenance.JOB_INPUT_GONE
    assert AccountJob.get("busy").status == "RUNNING"


# ----------------------------------------------------------------------------------------- orphans


def orphan_scene() -> dict[str, set[str]]:
    """Objects of existing and vanished records; which ones are orphans."""
    make_copy("alive", "GRADED", attempts=2)
    account_job("running", "RUNNING", timedelta(0))
    account_job("ended", "DONE", timedelta(0))
    kept = {
        put(storage.page_key(EXAM, "alive", 0)),
        put(storage.header_key(EXAM, "alive")),
        put(finalize.spec_key(EXAM, "alive", 2)),
        put(account_jobs.input_key(EXAM, "running")),
        put(storage.final_pdf_key(EXAM, "alive", 1)),
        put(storage.final_pdf_key(EXAM, "vanished", 1)),  # final/: never, even without its copy
        put(storage.scan_key(EXAM, "no-such-upload")),  # scans/: never
        put("pages/not-a-layout.jpg"),  # unknown layouts are kept
    }
    orphans = {
        put(storage.page_key(EXAM, "vanished", 0)),
        put(storage.page_key(EXAM, "vanished", 0, masked=True)),
        put(storage.header_key(EXAM, "vanished")),
        put(finalize.spec_key(EXAM, "alive", 1)),  # a superseded attempt
        put(finalize.spec_key(EXAM, "vanished", 1)),
        put(f"exports/{EXAM}/results.csv"),
        put(account_jobs.input_key(EXAM, "ended")),
        put(account_jobs.input_key(EXAM, "unknown-job")),
    }
    return {"kept": kept, "orphans": orphans}


def test_unreferenced_objects_older_than_a_day_are_deleted_never_final_pdfs_or_scans():
    scene = orphan_scene()
    report = maintenance.run(now=utcnow() + timedelta(hours=25))
    deleted = {a.target for a in report.actions if a.kind == "object.delete" and a.done}
    assert deleted == scene["orphans"]
    assert keys() == scene["kept"]
    events = audit_actions("storage.orphans_deleted")
    assert {e.actor_role for e in events} == {"system"}
    assert {key for e in events for key in e.metadata["keys"]} == scene["orphans"]


def test_orphans_younger_than_a_day_are_kept():
    scene = orphan_scene()
    report = maintenance.run(now=utcnow() + timedelta(hours=23))
    assert [a for a in report.actions if a.kind == "object.delete"] == []
    assert keys() == scene["kept"] | scene["orphans"]


def test_deletion_refuses_final_and_scan_keys_whatever_it_is_given():
    run = maintenance.Pass(False, utcnow(), None)
    for key in (storage.final_pdf_key(EXAM, "c", 1), storage.scan_key(EXAM, "u")):
        with pytest.raises(ValueError):
            maintenance._delete_objects("pages/", ["pages/a/b/c.jpg", key], run)


# ----------------------------------------------------------------------------------------- dry run


def state() -> dict[str, Any]:
    tables = {model.__name__: sorted(json.dumps(item.serialize(), sort_keys=True, default=str)
                                     for item in model.scan()) for model in ALL_MODELS}
    objects = {key: head(key).get("Metadata", {}) for key in keys()}
    return {"tables": tables, "objects": objects}


def test_a_dry_run_reports_the_same_actions_and_changes_nothing():
    stuck_copy("redrive-me")
    stuck_copy("fail-me", with_spec=False)
    make_copy("expired", "LOCKED")
    lock("expired", -timedelta(minutes=1))
    upload("stuck", "PROCESSING", maintenance.INGEST_DEADLINE + timedelta(minutes=1))
    account_job("j1", "RUNNING", maintenance.ACCOUNTS_DEADLINE + timedelta(minutes=1))
    orphan_scene()
    later = utcnow() + timedelta(hours=25)
    before = state()

    dry = maintenance.run(dry_run=True, now=later)

    assert state() == before
    assert not any(action.done for action in dry.actions)
    assert all(action.line(True).startswith("[would]") for action in dry.actions)
    real = maintenance.run(now=later)
    assert kinds(dry) == kinds(real)
    assert all(action.done for action in real.actions)


# ----------------------------------------------------------------------------------------- metrics


def test_the_handler_publishes_copy_counts_per_status_and_the_stuck_copies_gauge(capsys):
    from functions import maintenance as function

    stuck_copy()
    make_copy("r1", "READY")
    make_copy("r2", "READY")
    make_copy("s1", "STAGING")
    capsys.readouterr()
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
             "time": utcnow().isoformat(), "resources": [], "detail": {}}

    summary = function.handler(event, None)

    assert summary["actions"] == {"copy.redrive": 1} and summary["errors"] == 0
    assert summary["copies_by_status"]["READY"] == 2 and summary["stuck_copies"] == 1
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    values = {name: value[0] if isinstance(value, list) else value for blob in blobs
              for name, value in blob.items() if not name.startswith("_") and isinstance(value, list | float)}
    assert values["StuckCopies"] == 1.0 and values["IdentificationBacklog"] == 1.0
    assert values["CopiesStatusReady"] == 2.0 and values["CopiesStatusGradingInProgress"] == 1.0
    assert values["CopiesStatusGraded"] == 0.0
    assert "CopiesGraded" not in values  # the render function's count of graded copies, not a gauge
    directive = blobs[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == metrics.namespace


def test_the_metric_names_are_the_ones_the_template_alarms_on():
    from infra import template

    assert metrics.namespace == template.METRICS_NAMESPACE
    assert maintenance.status_metric("GRADING_IN_PROGRESS") == "CopiesStatusGradingInProgress"


def test_the_cli_prints_each_action_and_a_dry_run_changes_nothing(capsys):
    from chalicelib import cli
    from chalicelib.observability import logger

    stuck_copy()
    level = logger.log_level
    try:
        assert cli.main(["maintenance", "--dry-run"]) == 0
        dry = capsys.readouterr().out
        assert Copy.get("c1").version == 1 and maintenance.REDRIVE_MARK not in head(
            finalize.spec_key(EXAM, "c1", 1)).get("Metadata", {})
        assert cli.main(["maintenance"]) == 0
        real = capsys.readouterr().out
    finally:
        logger.setLevel(level)
    assert "[would] copy.redrive c1" in dry and "nothing changed" in dry
    assert "[done] copy.redrive c1" in real and "1 action(s) taken, 0 error(s)." in real
