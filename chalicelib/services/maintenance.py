"""Maintenance: recover what the event pipeline left behind, tidy the bucket, count copies per status.

One pass (the scheduled ``maintenance`` function, ``python -m chalicelib.cli maintenance``):

- copies in GRADING_IN_PROGRESS past the render deadline are re-driven once (the render spec of the
  current attempt is written again, marked in its S3 metadata, so its event runs the render function);
  still stuck past the deadline after that, they become GRADING_FAILED with a reason;
- LOCKED copies whose lock expired (or vanished) go back to READY, never breaking a live lock;
- uploads stuck in PROCESSING past the ingest deadline become FAILED (their half copies discarded);
  upload records that never received a file become FAILED after a day (kept, with the reason, so the
  admin sees what happened);
- account jobs stuck PENDING/RUNNING past the accounts deadline are re-driven once (their input is
  written again), then FAILED;
- objects older than a day under pages/, headers/, renders/, exports/ and jobs/ that no record
  references are deleted; nothing under final/ or scans/ is ever deleted.

Every state change is a conditional write (status, attempt, version in the condition): a pass racing
the pipeline, a teacher or another pass changes nothing that moved meanwhile. Every action is audited
(``actor_role="system"``) and logged; a dry run reports the same actions and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import aws, storage
from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Upload
from chalicelib.models.grading import Lock
from chalicelib.models.jobs import AccountJob
from chalicelib.observability import IDENTIFICATION_BACKLOG_METRIC, STUCK_COPIES_METRIC, logger, metrics
from chalicelib.resources import (
    EVENT_ROUTES,
    EXPORTS_PREFIX,
    FINAL_PREFIX,
    HEADERS_PREFIX,
    JOBS_PREFIX,
    PAGES_PREFIX,
    RENDER_SPECS_PREFIX,
    SCANS_PREFIX,
)
from chalicelib.services import account_jobs, audit, finalize, locks, scans
from chalicelib.services.copy_transitions import TransitionLost, transition
from chalicelib.settings import get_settings

#: Added to a function's longest invocation before its work counts as stuck (clock skew, queue delay).
DEADLINE_MARGIN = timedelta(minutes=2)
ORPHAN_AGE = timedelta(hours=24)
UNRECEIVED_UPLOAD_AGE = timedelta(days=1)
#: S3 user metadata set on an object written again by maintenance: the re-drive already happened.
REDRIVE_MARK = "korrigo-redriven-at"
#: Prefixes whose unreferenced objects are deleted. final/ and scans/ are never listed here.
ORPHAN_PREFIXES = (PAGES_PREFIX, HEADERS_PREFIX, RENDER_SPECS_PREFIX, EXPORTS_PREFIX, JOBS_PREFIX)
PROTECTED_PREFIXES = (FINAL_PREFIX, SCANS_PREFIX)
COPY_STATUSES = tuple(str(status) for status in CopyStatus)
DELETE_BATCH = 500
#: Actions listed one by one in a summary (the counts by kind are always complete).
SUMMARY_DETAILS = 1000

RENDER_TOO_LATE = "The render did not finish in time; retry it."
SCAN_TOO_LATE = "The scan was not processed in time (the processing stopped); upload it again."
NO_FILE = "No file was received for this upload within a day; upload the scan again."
JOB_TOO_LATE = "The job did not finish in time; start it again for the remaining lines."
JOB_INPUT_GONE = "The job's input is gone; start it again."


def deadline(function: str) -> timedelta:
    """How long one invocation of an event function may run, plus the margin.

    That is its queue's visibility timeout, which the template refuses to set below the function's
    timeout: one definition, shared by the functions' bundle (``infra/`` is not deployed).
    """
    route = next(route for route in EVENT_ROUTES if route.function == function)
    return timedelta(seconds=route.visibility_timeout) + DEADLINE_MARGIN


RENDER_DEADLINE = deadline("render")
INGEST_DEADLINE = deadline("ingest")
ACCOUNTS_DEADLINE = deadline("accounts")


def status_metric(status: str) -> str:
    """``GRADING_IN_PROGRESS`` → ``CopiesStatusGradingInProgress``, the per-status gauge's metric name
    (not ``CopiesGraded``: the render function counts each graded copy under that name)."""
    return "CopiesStatus" + "".join(part.capitalize() for part in status.split("_"))


@dataclass(frozen=True)
class Action:
    """One thing a pass did (or, in a dry run, would do)."""

    kind: str  # copy.redrive | copy.fail | lock.expire | upload.fail | job.redrive | job.fail | object.delete
    target: str
    detail: str
    done: bool = False  # False in a dry run, or when the record changed meanwhile (nothing written)
    error: str | None = None

    def line(self, dry_run: bool) -> str:
        """A printable line."""
        state = "would" if dry_run else ("error" if self.error else ("done" if self.done else "skipped"))
        suffix = f" ({self.error})" if self.error else ""
        return f"[{state}] {self.kind} {self.target}: {self.detail}{suffix}"


@dataclass
class Report:
    """What a pass found and did."""

    dry_run: bool
    started_at: str
    copies_by_status: dict[str, int] = field(default_factory=dict)
    stuck_copies: int = 0
    actions: list[Action] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Actions that raised."""
        return sum(1 for action in self.actions if action.error)

    def as_dict(self) -> dict[str, Any]:
        """The JSON summary (the scheduled function's answer)."""
        kinds = Counter(action.kind for action in self.actions)
        return {
            "dry_run": self.dry_run,
            "started_at": self.started_at,
            "copies_by_status": self.copies_by_status,
            "stuck_copies": self.stuck_copies,
            "actions": dict(sorted(kinds.items())),
            "errors": self.errors,
            "details": [asdict(action) for action in self.actions[:SUMMARY_DETAILS]],
        }


class Pass:
    """One maintenance pass; ``act`` runs a step unless dry, and records, logs and reports it."""

    def __init__(self, dry_run: bool, now: datetime, on_action: Callable[[Action], None] | None) -> None:
        self.dry_run, self.now, self.on_action = dry_run, now, on_action
        self.report = Report(dry_run, now.isoformat())
        self.s3 = aws.client("s3")
        self.bucket = get_settings().files_bucket

    def act(self, kind: str, target: str, detail: str, apply: Callable[[], bool]) -> Action:
        done, error = False, None
        if not self.dry_run:
            try:
                done = apply()
            except Exception as failure:  # noqa: BLE001 - one failed step must not stop the pass
                logger.exception("maintenance step failed", extra={"kind": kind, "target": target})
                error = f"{failure.__class__.__name__}: {failure}"
        return self.record(Action(kind, target, detail, done, error))

    def record(self, action: Action) -> Action:
        """Report, log and announce an action."""
        self.report.actions.append(action)
        logger.info("maintenance", extra={"dry_run": self.dry_run, **asdict(action)})
        if self.on_action:
            self.on_action(action)
        return action

    # ------------------------------------------------------------------------------------ objects

    def head(self, key: str) -> dict[str, Any] | None:
        """An object's head, or None when it does not exist."""
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def rewrite(self, key: str) -> None:
        """Write an object again (its creation event runs its function), marked as re-driven."""
        body = self.s3.get_object(Bucket=self.bucket, Key=key)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body["Body"].read(),
            ContentType=body.get("ContentType", "application/json"),
            Metadata={REDRIVE_MARK: utcnow().isoformat()},
        )

    def listed(self, prefix: str) -> Iterator[dict[str, Any]]:
        """Every object under ``prefix`` (key, last modified)."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def exists(self, key: str) -> bool:
        """True when the object exists (a listing: the grant is on listing, not on reading scans)."""
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))


def redriven(head: dict[str, Any]) -> bool:
    """True when maintenance already wrote this object again."""
    return REDRIVE_MARK in (head.get("Metadata") or {})


# ---------------------------------------------------------------------------------------------- copies


def _redrive_copy(copy: Copy, key: str, run: Pass) -> bool:
    """Claim the re-drive (the clock restarts) with a conditional write, then write the spec again."""
    attempt = int(copy.grading_attempts or 0)
    try:
        transition(
            copy,
            copy_status.REDRIVE,
            version=copy.version,
            condition=Copy.grading_attempts == attempt,
            event=audit.copy_event(
                "copy.render_redriven",
                copy,
                actor_role="system",
                metadata={"attempt": attempt, "spec_key": key},
            ),
        )
    except TransitionLost:
        return False
    run.rewrite(key)
    return True


def recover_stuck_copies(copies: list[Copy], run: Pass) -> None:
    """GRADING_IN_PROGRESS past the render deadline: re-drive once, then GRADING_FAILED."""
    for copy in copies:
        if copy.status not in copy_status.RENDERING or copy.updated_at > run.now - RENDER_DEADLINE:
            continue
        run.report.stuck_copies += 1
        attempt = int(copy.grading_attempts or 0)
        key = finalize.spec_key(copy.exam_id, copy.id, attempt)
        head = run.head(key)
        if head is None or redriven(head):
            why = "its render spec is missing" if head is None else "still not rendered after a re-drive"
            run.act("copy.fail", copy.id, f"attempt {attempt}: {why}",
                    lambda c=copy, n=attempt: finalize.mark_failed(c, n, RENDER_TOO_LATE, "render_too_late"))
            continue
        run.act("copy.redrive", copy.id, f"attempt {attempt}: render spec written again ({key})",
                lambda copy=copy, key=key: _redrive_copy(copy, key, run))


def _expire_lock(copy: Copy, lock: Lock | None, now: datetime) -> bool:
    """LOCKED → READY and the lock deleted, only while the lock is still expired or absent."""
    expired = locks.free_condition(now)
    try:
        transition(
            copy,
            copy_status.EXPIRE_LOCK,
            items=[lambda write: write.delete(Lock(copy.id), condition=expired)],
            event=audit.copy_event(
                "lock.expire",
                copy,
                actor_role="system",
                metadata={
                    "holder": lock.holder_name if lock else None,
                    "expired_at": lock.expires_at.isoformat() if lock else None,
                },
            ),
        )
    except TransitionLost:
        return False
    return True


def expire_locks(copies: list[Copy], run: Pass) -> None:
    """LOCKED copies whose lock expired or vanished go back to READY (a live lock is never broken)."""
    locked = [copy for copy in copies if copy.status == CopyStatus.LOCKED]
    if not locked:
        return
    found = {lock.copy_id: lock for lock in Lock.batch_get([c.id for c in locked], consistent_read=True)}
    for copy in locked:
        lock = found.get(copy.id)
        if locks.is_live(lock, run.now):
            continue
        detail = f"lock of {lock.holder_name} expired at {lock.expires_at.isoformat()}" if lock else "no lock"
        run.act("lock.expire", copy.id, detail,
                lambda copy=copy, lock=lock: _expire_lock(copy, lock, run.now))


# --------------------------------------------------------------------------------------------- uploads


def _fail_upload(upload: Upload, message: str, reason: str) -> bool:
    scans.fail(upload.exam_id, upload.id, message, reason=reason)
    return True


def recover_uploads(run: Pass) -> None:
    """PROCESSING past the ingest deadline → FAILED; UPLOADED without a file after a day → FAILED."""
    for upload in Upload.scan(consistent_read=True):
        target = f"{upload.exam_id}/{upload.id}"
        if upload.status == "PROCESSING" and upload.updated_at <= run.now - INGEST_DEADLINE:
            run.act("upload.fail", target, f"processing since {upload.updated_at.isoformat()}",
                    lambda upload=upload: _fail_upload(upload, SCAN_TOO_LATE, "scan_too_late"))
        elif (
            upload.status == "UPLOADED"
            and upload.created_at <= run.now - UNRECEIVED_UPLOAD_AGE
            and not run.exists(upload.object_key)
        ):
            run.act("upload.fail", target, f"no file received since {upload.created_at.isoformat()}",
                    lambda upload=upload: _fail_upload(upload, NO_FILE, "scan_no_file"))


# ---------------------------------------------------------------------------------------- account jobs


def _fail_job(job: AccountJob, reason: str) -> bool:
    account_jobs.fail_job(job.id, reason)
    audit.record(
        "account_job.failed",
        actor_role="system",
        outcome="failure",
        target_type="exam",
        target_id=job.exam_id,
        exam_id=job.exam_id,
        metadata={"job_id": job.id, "kind": job.kind, "reason": reason},
    )
    return True


def _redrive_job(job: AccountJob, run: Pass) -> bool:
    try:
        job.update(
            actions=[AccountJob.updated_at.set(utcnow())],
            condition=(AccountJob.status == job.status)
            & (AccountJob.processed == job.processed)
            & (AccountJob.updated_at == job.updated_at),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    run.rewrite(job.input_key)
    audit.record(
        "account_job.redriven",
        actor_role="system",
        target_type="exam",
        target_id=job.exam_id,
        exam_id=job.exam_id,
        metadata={"job_id": job.id, "kind": job.kind, "processed": int(job.processed or 0)},
    )
    return True


def recover_jobs(jobs: list[AccountJob], run: Pass) -> None:
    """PENDING/RUNNING past the accounts deadline: write the input again once, then FAILED."""
    for job in jobs:
        if job.status not in ("PENDING", "RUNNING") or job.updated_at > run.now - ACCOUNTS_DEADLINE:
            continue
        head = run.head(job.input_key) if job.input_key else None
        progress = f"{int(job.processed or 0)}/{int(job.total or 0)} lines"
        if head is None or redriven(head):
            reason = JOB_INPUT_GONE if head is None else JOB_TOO_LATE
            run.act("job.fail", job.id, f"{job.status}, {progress}: {reason}",
                    lambda job=job, reason=reason: _fail_job(job, reason))
            continue
        run.act("job.redrive", job.id, f"{job.status}, {progress}: input written again",
                lambda job=job: _redrive_job(job, run))


# --------------------------------------------------------------------------------------------- orphans


def referenced(key: str, copies: dict[str, Copy], jobs: dict[str, AccountJob]) -> bool:
    """True unless the key's owner record is gone (or no longer needs it); unknown layouts are kept.

    pages/{exam}/{copy}/… and headers/{exam}/{copy}.jpg belong to their copy; renders/{exam}/{copy}/{n}.json
    to the copy while n is its current attempt; jobs/{exam}/{job}.json to its job until it ends;
    exports/ are never referenced by a record.
    """
    if key.startswith(PROTECTED_PREFIXES):
        return True
    if key.startswith(PAGES_PREFIX):
        parts = key[len(PAGES_PREFIX):].split("/")
        return len(parts) != 3 or parts[1] in copies
    if key.startswith(HEADERS_PREFIX):
        parsed = storage.parse_header_key(key)
        return parsed is None or parsed[1] in copies
    if key.startswith(RENDER_SPECS_PREFIX):
        spec = finalize.parse_spec_key(key)
        if spec is None:
            return True
        copy = copies.get(spec[1])
        return copy is not None and int(copy.grading_attempts or 0) == spec[2]
    if key.startswith(JOBS_PREFIX):
        parsed_job = account_jobs.parse_input_key(key)
        if parsed_job is None:
            return True
        job = jobs.get(parsed_job[1])
        return job is not None and job.status not in account_jobs.FINISHED
    return not key.startswith(EXPORTS_PREFIX)


def _delete_objects(prefix: str, keys: list[str], run: Pass) -> dict[str, str]:
    """Delete a batch in one request (audited); the keys that failed, with why."""
    if any(key.startswith(PROTECTED_PREFIXES) for key in keys):  # never, whatever the caller computed
        raise ValueError("refusing to delete under final/ or scans/")
    answer = run.s3.delete_objects(
        Bucket=run.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )
    failed = {error["Key"]: error.get("Message", "not deleted") for error in answer.get("Errors") or []}
    audit.record(
        "storage.orphans_deleted",
        actor_role="system",
        target_type="storage",
        target_id=prefix,
        metadata={"keys": [key for key in keys if key not in failed], "failed": sorted(failed)},
    )
    return failed


def delete_orphans(copies: dict[str, Copy], jobs: dict[str, AccountJob], run: Pass) -> None:
    """Objects older than ORPHAN_AGE under ORPHAN_PREFIXES whose owner record is gone: deleted."""
    cutoff = run.now - ORPHAN_AGE
    detail = "unreferenced, older than a day"
    for prefix in ORPHAN_PREFIXES:
        orphans = [
            item["Key"]
            for item in run.listed(prefix)
            if item["LastModified"] <= cutoff and not referenced(item["Key"], copies, jobs)
        ]
        for start in range(0, len(orphans), DELETE_BATCH):
            batch = orphans[start : start + DELETE_BATCH]
            failed: dict[str, str] = {}
            if not run.dry_run:
                try:
                    failed = _delete_objects(prefix, batch, run)
                except Exception as error:  # noqa: BLE001 - reported on each key, the pass goes on
                    logger.exception("orphan deletion failed", extra={"prefix": prefix})
                    failed = dict.fromkeys(batch, f"{error.__class__.__name__}: {error}")
            for key in batch:
                run.record(Action("object.delete", key, detail, not run.dry_run and key not in failed,
                                  failed.get(key)))


# ------------------------------------------------------------------------------------------------ pass


def run(
    dry_run: bool = False,
    now: datetime | None = None,
    on_action: Callable[[Action], None] | None = None,
) -> Report:
    """One maintenance pass; ``dry_run`` reports the same actions and writes nothing."""
    current = Pass(dry_run, now or utcnow(), on_action)
    copies = list(Copy.scan(consistent_read=True))
    counts = Counter(copy.status for copy in copies)
    current.report.copies_by_status = {status: counts.get(status, 0) for status in COPY_STATUSES} | dict(
        counts
    )
    jobs = list(AccountJob.scan(consistent_read=True))
    recover_stuck_copies(copies, current)
    expire_locks(copies, current)
    recover_uploads(current)
    recover_jobs(jobs, current)
    delete_orphans({c.id: c for c in copies}, {j.id: j for j in jobs}, current)
    return current.report


def publish_metrics(report: Report) -> None:
    """Copy counts per status and the stuck-copies gauge, into the metrics buffer the handler flushes."""
    for status, count in report.copies_by_status.items():
        metrics.add_metric(name=status_metric(status), unit="Count", value=count)
    metrics.add_metric(name=STUCK_COPIES_METRIC, unit="Count", value=report.stuck_copies)
    backlog = report.copies_by_status.get(CopyStatus.STAGING, 0)
    metrics.add_metric(name=IDENTIFICATION_BACKLOG_METRIC, unit="Count", value=backlog)
