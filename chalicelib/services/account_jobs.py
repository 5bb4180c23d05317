"""Account jobs: roster imports and bulk password resets of any size, run by the accounts function.

The API validates the request, stores the job's rows under ``jobs/{exam_id}/{job_id}.json`` and a job
item (PENDING), and answers 202 at once: no password is hashed in a request. The object's creation
feeds the accounts function (S3 → SQS), which applies the rows in chunks. Each chunk is ONE DynamoDB
transaction: the students, their claims and enrolments, the chunk's encrypted credentials part and the
job's counters, conditional on the job's ``processed`` count. A crash, a timeout or a redelivered
message therefore never applies a chunk twice, and the next delivery resumes where the last stopped.
The credentials sheet (every part) is downloadable once, by the admin who started the job, when the job
is DONE or FAILED (for the accounts created before a failure).

A roster that would rename existing students (same e-mail or student number, another name) is not
queued until the admin confirms that very list of renames (409 ``roster_renames_unconfirmed`` with the
list and its ``confirm_token``, sent back as ``?confirm_renames=``); the job input carries the confirmed
renames and the job applies those only, each audited (old and new name) in its chunk's transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import aws, storage
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind
from chalicelib.domain.roster import (
    LineError,
    Rename,
    RosterFile,
    RosterFileError,
    RosterRow,
    read_roster,
    renames_token,
)
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.jobs import AccountJob, CredentialPart, JobLineError
from chalicelib.models.students import Enrolment, Student
from chalicelib.observability import logger
from chalicelib.resources import JOBS_PREFIX
from chalicelib.services import audit, auth, credentials, exams, passwords, ratelimit, roster
from chalicelib.services.roster import PlannedRow
from chalicelib.settings import get_settings

ROSTER_IMPORT = "roster_import"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a job kind, not a password
FINISHED = ("DONE", "FAILED")
#: Rows per transaction: at most 4 items a row + the credentials part + the job (DynamoDB allows 100).
#: (A renaming row is an update matched by e-mail or number: its student, at most one new claim, its
#: enrolment and its audit event.)
CHUNK_SIZE = 20
MAX_STORED_ERRORS = 500
CREDENTIALS_LIFETIME = timedelta(days=1)
JOB_LIFETIME = timedelta(days=30)
#: Stop taking chunks when less time than this is left; a fresh message carries on.
DEADLINE_MARGIN_MS = 60_000
#: argon2-cffi releases the GIL: two threads hash ~1.3x faster than one on 2 cores (measured).
HASH_WORKERS = 2
CHUNK_ATTEMPTS = 4
UNAVAILABLE = "This link was already used or has expired."


# ------------------------------------------------------------------------------------------ input keys


def input_key(exam_id: str, job_id: str) -> str:
    """Where a job's rows are stored (their creation feeds the accounts function)."""
    return f"{JOBS_PREFIX}{exam_id}/{job_id}.json"


def parse_input_key(key: str) -> tuple[str, str] | None:
    """(exam id, job id) of a job input key, or None."""
    if not key.startswith(JOBS_PREFIX) or not key.endswith(".json"):
        return None
    parts = key[len(JOBS_PREFIX) : -len(".json")].split("/")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


# ------------------------------------------------------------------------------------------- API side


def _start(
    exam_id: str,
    kind: str,
    actor: Principal,
    rows: list[Any],
    errors: list[LineError],
    renames: list[Rename] | None = None,
) -> AccountJob:
    now = utcnow()
    job = AccountJob(
        uuid.uuid4().hex,
        exam_id=exam_id,
        kind=kind,
        owner_id=actor.id,
        status="PENDING" if rows else "DONE",
        input_key=None,
        total=len(rows),
        errors=[_stored(e) for e in errors[:MAX_STORED_ERRORS]],
        error_count=len(errors),
        created_at=now,
        updated_at=now,
        ttl=now + JOB_LIFETIME,
    )
    if rows:
        job.input_key = input_key(exam_id, job.id)
    job.save(condition=AccountJob.id.does_not_exist())
    if rows:
        payload = {"kind": kind, "exam_id": exam_id, "job_id": job.id, "rows": rows}
        if renames:
            payload["renames"] = [rename.as_dict() for rename in renames]
        try:
            storage.put_bytes(job.input_key, json.dumps(payload).encode(), "application/json")
        except Exception:
            fail_job(job.id, "The job's rows could not be stored; nothing was changed. Try again.")
            raise
    return job


def _line_errors(errors: list[LineError]) -> list[dict[str, Any]]:
    return [error.as_dict() for error in errors]


def _stored(error: LineError) -> JobLineError:
    """A line error as the job keeps it, with its reason and params."""
    return JobLineError(
        line=error.line, message=error.message[:300], reason=error.reason or None, params=error.params or None
    )


def line_error_json(error: JobLineError) -> dict[str, Any]:
    """A stored line error's JSON shape (as ``LineError.as_dict``)."""
    return LineError(int(error.line), error.message, error.reason, error.params or {}).as_dict()


def _check_renames(exam_id: str, roster_file: RosterFile, confirm: str | None) -> list[Rename]:
    """The file's renames, when ``confirm`` is their token; else 409 with the list (nothing queued)."""
    found = roster.find_renames(roster_file.rows, exam_id)
    if not found:
        return []
    token = renames_token(found)
    if confirm == token:
        return found
    count = len(found)
    raise Conflict(
        f"{count} student(s) of this roster would get another name: check the list, then confirm "
        "the renames to import the file."
        if not confirm
        else "The renames changed since they were confirmed: check the new list and confirm it again.",
        reason="roster_renames_changed" if confirm else "roster_renames_unconfirmed",
        params={"count": count},
        extra={
            "renames": [rename.as_dict() for rename in found],
            "confirm_token": token,
            "total": len(roster_file.rows),
            "errors": _line_errors(roster_file.errors),
            "mapping": roster_file.mapping(),
        },
    )


def begin_roster_import(
    exam_id: str, data: bytes, *, actor: Principal, origin: Origin, confirm_renames: str | None = None
) -> tuple[AccountJob, RosterFile, list[Rename]]:
    """Validate a roster file and queue its import; a structural error imports nothing (400).

    A file that renames existing students is queued only with ``confirm_renames`` equal to the token
    of its renames (409 with the list otherwise). The parsed file and the confirmed renames come back
    too: its line errors and how its columns were read (``mapping()``).
    """
    settings = get_settings()
    exams.get_exam(exam_id)
    ratelimit.consume(
        f"roster-import:{actor.id}",
        settings.imports_per_hour,
        3600,
        "Too many roster imports. Try again later.",
    )
    try:
        roster = read_roster(data)
    except RosterFileError as error:
        audit.record(
            "roster.import",
            actor=actor,
            origin=origin,
            outcome="failure",
            target_type="exam",
            target_id=exam_id,
            exam_id=exam_id,
            metadata={"reason": str(error)},
        )
        raise BadRequest(str(error), reason="roster_file_invalid", extra={"errors": []}) from error
    confirmed = _check_renames(exam_id, roster, confirm_renames)
    job = _start(
        exam_id, ROSTER_IMPORT, actor, [asdict(row) for row in roster.rows], roster.errors, confirmed
    )
    audit.record(
        "roster.import_started",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={
            "job_id": job.id,
            "rows": len(roster.rows),
            "errors": len(roster.errors),
            "encoding": roster.encoding,
            "columns": sorted(roster.columns),
            "renames": len(confirmed),
        },
    )
    return job, roster, confirmed


def start_password_reset(
    exam_id: str, student_ids: list[str], *, actor: Principal, origin: Origin
) -> AccountJob:
    """Queue new initial passwords for students of an exam's roster (400 naming the others)."""
    settings = get_settings()
    exams.get_exam(exam_id)
    unique = list(dict.fromkeys(student_ids))
    if not unique:
        raise BadRequest("Select at least one student.", reason="no_student_selected")
    enrolled = {e.student_id for e in Enrolment.query(exam_id, consistent_read=True)}
    strangers = [student_id for student_id in unique if student_id not in enrolled]
    if strangers:
        raise BadRequest(
            "These students are not on this exam's roster: " + ", ".join(strangers[:20]),
            reason="students_not_on_roster",
            params={"n": len(strangers)},
            extra={"student_ids": strangers},
        )
    ratelimit.consume(
        f"password-reset:{actor.id}", settings.imports_per_hour, 3600, "Too many resets. Try again later."
    )
    job = _start(exam_id, PASSWORD_RESET, actor, unique, [])
    audit.record(
        "students.password_reset_started",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"job_id": job.id, "students": len(unique)},
    )
    return job


def get_job(exam_id: str, job_id: str) -> AccountJob:
    """A job of this exam (404 otherwise)."""
    try:
        job = AccountJob.get(job_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such job.", reason="job_not_found") from error
    if job.exam_id != exam_id:
        raise NotFound("No such job.", reason="job_not_found")
    return job


def _sheet_available(job: AccountJob, caller: Principal) -> bool:
    return (
        job.status in FINISHED
        and int(job.credentials or 0) > 0
        and job.credentials_taken_at is None
        and job.owner_id == caller.id
        and utcnow() < job.created_at + CREDENTIALS_LIFETIME
    )


def serialise(job: AccountJob, caller: Principal) -> dict[str, Any]:
    """The job's progress; the one-time sheet link only for the admin who started it."""
    url = f"/api/exams/{job.exam_id}/account-jobs/{job.id}/credentials"
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "total": int(job.total or 0),
        "processed": int(job.processed or 0),
        "created": int(job.created or 0),
        "updated": int(job.updated or 0),
        "errors": sorted((line_error_json(e) for e in job.errors or []), key=lambda e: e["line"]),
        "error_count": int(job.error_count or 0),
        "error": job.error,
        "credentials_csv_url": url if _sheet_available(job, caller) else None,
    }


def take_credentials(exam_id: str, job_id: str, caller: Principal, origin: Origin) -> bytes:
    """The job's credentials sheet, once, for the admin who started it; its parts are deleted."""
    job = get_job(exam_id, job_id)
    if not _sheet_available(job, caller):
        raise NotFound(UNAVAILABLE, reason="link_expired")
    try:
        job.update(
            actions=[AccountJob.credentials_taken_at.set(utcnow())],
            condition=AccountJob.credentials_taken_at.does_not_exist() & (AccountJob.owner_id == caller.id),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise NotFound(UNAVAILABLE, reason="link_expired") from error
        raise
    parts = list(CredentialPart.query(job_id, consistent_read=True))
    rows = [row for part in parts for row in credentials.decrypt_part(job_id, part.ciphertext)]
    with CredentialPart.batch_write() as batch:
        for part in parts:
            batch.delete(part)
    audit.record(
        "roster.credentials_download",
        actor=caller,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"job_id": job_id, "kind": job.kind, "rows": len(rows)},
    )
    return credentials.sheet_csv(rows)


# -------------------------------------------------------------------------------------- function side


class _Items:
    """A transaction that remembers which line each item belongs to (None: the job's own items).

    DynamoDB reports a failed condition by the item's position; PynamoDB sends puts before updates.
    """

    def __init__(self, transaction: Any) -> None:
        self.transaction = transaction
        self.line: int | None = None
        self._puts: list[int | None] = []
        self._updates: list[int | None] = []

    def save(self, model: Any, condition: Any = None) -> None:
        self.transaction.save(model, condition=condition)
        self._puts.append(self.line)

    def update(self, model: Any, actions: list[Any], condition: Any = None) -> None:
        self.transaction.update(model, actions=actions, condition=condition)
        self._updates.append(self.line)

    def owners(self) -> list[int | None]:
        return self._puts + self._updates


def _hash_all(secrets_: list[str]) -> list[str]:
    if len(secrets_) < 2:
        return [passwords.hash_password(secret) for secret in secrets_]
    with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
        return list(pool.map(passwords.hash_password, secrets_))


def _plan_resets(
    entries: list[tuple[int, str]], now: datetime
) -> tuple[list[PlannedRow], list[LineError]]:
    """New initial passwords for (line, student id) entries; a vanished student is a line error."""
    ids = [student_id for _, student_id in entries]
    found = {s.id: s for s in Student.batch_get(ids, consistent_read=True)} if ids else {}
    planned, errors = [], []
    for line, student_id in entries:
        student = found.get(student_id)
        if student is None:
            errors.append(
                LineError(
                    line,
                    f"the student {student_id} no longer exists",
                    "roster_line_student_gone",
                    {"id": student_id},
                )
            )
            continue
        actions = [
            Student.must_change_password.set(True),
            Student.initial_password_expires_at.set(roster.initial_password_expiry(now)),
            Student.sessions_valid_after.set(now),
            Student.updated_at.set(now),
            Student.version.add(1),
        ]
        planned.append(
            PlannedRow(line, student, False, [], actions=actions, password=passwords.generate_password())
        )
    return planned, errors


def _plan(
    job: AccountJob,
    chunk: list[Any],
    start: int,
    now: datetime,
    skip: set[int],
    renames: dict[str, Rename],
) -> tuple[list[PlannedRow], list[LineError]]:
    """Decide the chunk's rows (roster lines, or students to reset numbered from 1), ``skip`` left out."""
    if job.kind == ROSTER_IMPORT:
        rows = [RosterRow(**row) for row in chunk]
        return roster.plan_rows(
            [r for r in rows if r.line not in skip],
            job.exam_id,
            now,
            passwords.generate_password,
            renames,
        )
    entries = [(start + offset + 1, sid) for offset, sid in enumerate(chunk)]
    return _plan_resets([(line, sid) for line, sid in entries if line not in skip], now)


def _add_chunk(
    items: _Items,
    job: AccountJob,
    start: int,
    size: int,
    planned: list[PlannedRow],
    errors: list[LineError],
    now: datetime,
) -> list[Any]:
    """Every item of one chunk's transaction, the job's progress last; returns its audit events."""
    hashes = iter(_hash_all([p.password for p in planned if p.password]))
    sheet = [
        (p.student.last_name, p.student.first_name, p.student.class_name or "", p.sign_in, p.password)
        for p in planned
        if p.password
    ]
    events = []
    for entry in planned:
        items.line = entry.line
        password_hash = next(hashes) if entry.password else None
        if job.kind == ROSTER_IMPORT:
            roster.add_to_transaction(items, entry, job.exam_id, password_hash)
            if entry.rename:
                events.append(_rename_event(job, entry.rename))
                items.save(events[-1], condition=audit.UNIQUE)
        else:
            items.update(
                entry.student,
                actions=[*entry.actions, Student.password_hash.set(password_hash)],
                condition=Student.id.exists(),
            )
    items.line = None
    if sheet:
        items.save(
            CredentialPart(
                job.id,
                start // CHUNK_SIZE,
                ciphertext=credentials.encrypt_part(job.id, sheet),
                ttl=job.created_at + CREDENTIALS_LIFETIME,
            ),
            condition=CredentialPart.part.does_not_exist(),
        )
    room = max(0, MAX_STORED_ERRORS - len(job.errors or []))
    stored = [_stored(e) for e in errors[:room]]
    created = sum(1 for p in planned if p.created)
    actions = [
        AccountJob.processed.add(size),
        AccountJob.created.add(created),
        AccountJob.updated.add(len(planned) - created),
        AccountJob.credentials.add(len(sheet)),
        AccountJob.error_count.add(len(errors)),
        AccountJob.updated_at.set(now),
    ]
    if stored:
        actions.append(AccountJob.errors.set(AccountJob.errors.append(stored)))
    items.update(
        job, actions=actions, condition=(AccountJob.processed == start) & (AccountJob.status == "RUNNING")
    )
    return events


def _rename_event(job: AccountJob, rename: Rename) -> Any:
    """The audit event of a confirmed rename: the student, the old and the new name."""
    return audit.build_event(
        "roster.student_renamed",
        actor_id=job.owner_id,
        actor_role="admin",
        target_type="student",
        target_id=rename.student_id,
        exam_id=job.exam_id,
        metadata={
            "job_id": job.id,
            "line": rename.line,
            "old_name": " ".join(rename.old),
            "new_name": " ".join(rename.new),
        },
    )


def apply_chunk(
    job: AccountJob, chunk: list[Any], start: int, renames: dict[str, Rename] | None = None
) -> None:
    """Apply rows ``start…`` of a running job in one transaction, or nothing if another run did it.

    ``renames`` are the confirmed renames (student id → rename). A row whose own condition keeps failing
    (a concurrent import took its e-mail meanwhile) becomes a line error after a few fresh attempts; the
    job's condition failing means the chunk is not ours.
    """
    skip: dict[int, LineError] = {}
    for attempt in range(CHUNK_ATTEMPTS):
        now = utcnow()
        planned, errors = _plan(job, chunk, start, now, set(skip), renames or {})
        items: _Items | None = None
        try:
            with aws.transact_write() as transaction:
                items = _Items(transaction)
                events = _add_chunk(items, job, start, len(chunk), planned, [*errors, *skip.values()], now)
            for event in events:
                audit.announce(event)
            if job.kind == PASSWORD_RESET:  # a pupil locked out by typos can use the new sheet at once
                for entry in planned:
                    auth.clear_sign_in_failures(PrincipalKind.STUDENT, entry.student.id)
            return
        except TransactWriteError as error:
            if not condition_failed(error) or items is None:
                raise
            owners = items.owners()
            reasons = getattr(error, "cancellation_reasons", None) or []
            failed = [owners[i] for i, r in enumerate(reasons) if r and r.code == "ConditionalCheckFailed"]
            if any(line is None for line in failed):
                logger.info("chunk applied by another run", extra={"job_id": job.id, "start": start})
                return
            if attempt >= CHUNK_ATTEMPTS - 2:
                for line in failed:
                    if line is not None:
                        skip[line] = LineError(
                            line,
                            "changed by another import meanwhile; import this line again",
                            "roster_line_changed_meanwhile",
                        )
    raise RuntimeError(f"rows {start + 1}… of job {job.id} could not be applied")


def _finish(job: AccountJob) -> None:
    try:
        job.update(
            actions=[AccountJob.status.set("DONE"), AccountJob.updated_at.set(utcnow())],
            condition=(AccountJob.status == "RUNNING") & (AccountJob.processed == job.total),
        )
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    _audit_end(job, "success")
    _drop_input(job)


def _audit_end(job: AccountJob, outcome: str) -> None:
    action = "roster.import" if job.kind == ROSTER_IMPORT else "students.password_reset"
    audit.record(
        action,
        actor_id=job.owner_id,
        actor_role="admin",
        outcome=outcome,
        target_type="exam",
        target_id=job.exam_id,
        exam_id=job.exam_id,
        metadata={
            "job_id": job.id,
            "total": int(job.total),
            "processed": int(job.processed),
            "created": int(job.created),
            "updated": int(job.updated),
            "errors": int(job.error_count),
            **({"reason": job.error} if job.error else {}),
        },
    )


def _drop_input(job: AccountJob) -> None:
    if job.input_key:
        aws.client("s3").delete_object(Bucket=get_settings().files_bucket, Key=job.input_key)


def fail_job(job_id: str, reason: str) -> None:
    """Give up on a job: FAILED with the reason; what was created stays, with its sheet."""
    try:
        job = AccountJob.get(job_id, consistent_read=True)
        job.update(
            actions=[
                AccountJob.status.set("FAILED"),
                AccountJob.error.set(reason[:500]),
                AccountJob.updated_at.set(utcnow()),
            ],
            condition=AccountJob.status.is_in("PENDING", "RUNNING"),
        )
    except DoesNotExist:
        return
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    _audit_end(job, "failure")
    _drop_input(job)


def run_job(key: str, time_left_ms: Callable[[], int] | None = None) -> None:
    """Run (or resume) the job whose input is ``key``; a finished job or a foreign key does nothing.

    When ``time_left_ms()`` runs low, the input object is written again: its new event resumes the job
    in a fresh invocation (no retry is spent, no chunk applied twice).
    """
    parsed = parse_input_key(key)
    if parsed is None:
        logger.warning("not an account job key", extra={"key": key})
        return
    _, job_id = parsed
    try:
        job = AccountJob.get(job_id, consistent_read=True)
    except DoesNotExist:
        logger.warning("input of an unknown job", extra={"job_id": job_id})
        return
    if job.status in FINISHED:
        return
    if job.status == "PENDING":
        try:
            job.update(
                actions=[AccountJob.status.set("RUNNING"), AccountJob.updated_at.set(utcnow())],
                condition=AccountJob.status == "PENDING",
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
    data = storage.get_bytes(key)
    payload = json.loads(data)
    rows = payload["rows"]
    renames = {r.student_id: r for r in map(Rename.from_dict, payload.get("renames") or [])}
    while True:
        job.refresh(consistent_read=True)
        if job.status != "RUNNING":
            return
        start = int(job.processed)
        if start >= int(job.total):
            _finish(job)
            return
        if time_left_ms is not None and time_left_ms() < DEADLINE_MARGIN_MS:
            logger.info("out of time: the job continues in a new invocation", extra={"job_id": job.id})
            storage.put_bytes(key, data, "application/json")
            return
        apply_chunk(job, rows[start : start + CHUNK_SIZE], start, renames)
