"""Personalised answer sheets: the API queues a generation, the sheets function prints it.

The API checks the request, writes the exam's job item (PENDING, a new ``job_id``) and its audit event
in one transaction conditional on no other run being PENDING, then stores the job's input under
``sheet-jobs/{exam_id}/{job_id}.json``; the object's creation feeds the sheets function (S3 → SQS).

The function gives every enrolled pupil a booklet (its id stays the pupil's across generations: ``s001``
…, new pupils take the next free number), keeps the ``N`` anonymous ones (``a001`` …, numbered), renders
the PDF (``functions.pdf.sheets``), stores it under ``sheets/`` (never cleaned by the janitor) and marks
the job DONE, conditional on the job still being that PENDING run: a redelivered message, or a message of
an older run, changes nothing. On the last receive an error marks the job FAILED with the reason.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from chalicelib import aws, storage
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import Conflict
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.exams import Exam
from chalicelib.models.sheets import Booklet, SheetJob
from chalicelib.models.students import Enrolment, Student
from chalicelib.observability import logger
from chalicelib.resources import SHEET_JOBS_PREFIX, SHEETS_PREFIX
from chalicelib.services import audit, exams

MAX_EXTRA_BLANK_BOOKLETS = 200
#: A PENDING run older than this is taken as lost (its messages all spent): a new one may start.
STALE_AFTER = timedelta(hours=1)
STUDENT_PREFIX, ANONYMOUS_PREFIX = "s", "a"
_NUMBERED = re.compile(r"([sa])(\d+)")
FAILED_TO_QUEUE = "The request could not be stored; nothing was printed. Try again."


def input_key(exam_id: str, job_id: str) -> str:
    """Where a run's input is stored (its creation feeds the sheets function)."""
    return f"{SHEET_JOBS_PREFIX}{exam_id}/{job_id}.json"


def parse_input_key(key: str) -> tuple[str, str] | None:
    """(exam id, job id) of an input key, or None."""
    if not key.startswith(SHEET_JOBS_PREFIX) or not key.endswith(".json"):
        return None
    parts = key[len(SHEET_JOBS_PREFIX) : -len(".json")].split("/")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def pdf_key(exam_id: str) -> str:
    """Where an exam's answer sheets are stored: one object an exam, each run overwrites the last, so no
    older print (it names pupils) lingers beyond the bucket's version history."""
    return f"{SHEETS_PREFIX}{exam_id}.pdf"


# ------------------------------------------------------------------------------------------- API side


def start(exam_id: str, extra_blank_booklets: int, *, actor: Principal, origin: Origin) -> SheetJob:
    """Queue a generation of the exam's sheets (409 while one runs, or with nothing to print)."""
    exam = exams.get_exam(exam_id)
    if not exam.pages_per_copy:
        raise Conflict(
            "Set the exam's pages per copy before printing its answer sheets.",
            reason="sheets_need_page_count",
        )
    if extra_blank_booklets == 0 and next(iter(Enrolment.query(exam_id, limit=1)), None) is None:
        raise Conflict(
            "The exam's roster is empty: import it, or ask for anonymous booklets.",
            reason="sheets_nothing_to_print",
        )
    now = utcnow()
    job = SheetJob(
        exam_id,
        job_id=uuid.uuid4().hex,
        status="PENDING",
        extra_blank_booklets=extra_blank_booklets,
        requested_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    free = (
        SheetJob.exam_id.does_not_exist()
        | (SheetJob.status != "PENDING")
        | (SheetJob.updated_at < now - STALE_AFTER)
    )
    event = audit.build_event(
        "sheets.generate",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"job_id": job.job_id, "extra_blank_booklets": extra_blank_booklets},
    )
    try:
        with aws.transact_write() as write:
            write.save(job, condition=free)
            write.save(event, condition=audit.UNIQUE)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict(
                "The answer sheets are already being generated; wait for them.", reason="sheets_pending"
            ) from error
        raise
    audit.announce(event)
    payload = {"exam_id": exam_id, "job_id": job.job_id, "extra_blank_booklets": extra_blank_booklets}
    try:
        storage.put_bytes(input_key(exam_id, job.job_id), json.dumps(payload).encode(), "application/json")
    except Exception:
        fail_job(exam_id, job.job_id, FAILED_TO_QUEUE)
        raise
    return job


def current(exam_id: str) -> tuple[Exam, SheetJob | None]:
    """The exam (404 when unknown) and its latest run, or None when none was ever asked for."""
    exam = exams.get_exam(exam_id)
    try:
        return exam, SheetJob.get(exam_id, consistent_read=True)
    except DoesNotExist:
        return exam, None


def serialise(job: SheetJob | None, exam_name: str = "") -> dict[str, Any]:
    """``{"status", "url"?, "pages"?, "booklets"?, "error"?}``; the url is a short-lived signed link."""
    if job is None:
        return {"status": "NONE"}
    answer: dict[str, Any] = {
        "status": job.status,
        "extra_blank_booklets": int(job.extra_blank_booklets or 0),
        "requested_at": job.created_at.isoformat(),
    }
    if job.status == "DONE" and job.pdf_key:
        answer["url"] = storage.presigned_get(job.pdf_key, download_name=download_name(exam_name))
        answer["pages"] = int(job.pages or 0)
        answer["booklets"] = int(job.booklets or 0)
    if job.status == "FAILED":
        answer["error"] = job.error
    return answer


def download_name(exam_name: str) -> str:
    """``Contrôle n° 3`` → ``copies-controle-n-3.pdf``: ASCII letters and digits (a safe header value)."""
    ascii_name = unicodedata.normalize("NFKD", exam_name.lower()).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return f"copies-{slug[:60] or 'examen'}.pdf"


# -------------------------------------------------------------------------------------- function side


@dataclass(frozen=True)
class PlannedBooklet:
    """A booklet to print: a pupil's (``student``) or anonymous (``number``)."""

    sheet_id: str
    student: Student | None = None
    number: int | None = None


@dataclass(frozen=True)
class SheetRun:
    """What the renderer gets: the exam and its booklets, in print order (pupils by name, then anonymous)."""

    exam: Exam
    booklets: tuple[PlannedBooklet, ...]
    pages_per_booklet: int


Render = Callable[[SheetRun], tuple[bytes, int]]  # → the PDF and its page count


def _number(sheet_id: str, prefix: str) -> int | None:
    match = _NUMBERED.fullmatch(sheet_id)
    return int(match.group(2)) if match and match.group(1) == prefix else None


def plan_booklets(exam_id: str, students: Sequence[Student], anonymous: int) -> list[PlannedBooklet]:
    """Booklets of the pupils (theirs kept, the next free ``sNNN`` for a new one) and ``a001``…``aNNN``."""
    existing = list(Booklet.query(exam_id, consistent_read=True))
    by_student = {booklet.student_id: booklet.sheet_id for booklet in existing if booklet.student_id}
    taken = [_number(booklet.sheet_id, STUDENT_PREFIX) or 0 for booklet in existing]
    next_number = max(taken, default=0) + 1
    planned = []
    for student in students:
        sheet_id = by_student.get(student.id)
        if sheet_id is None:
            sheet_id = f"{STUDENT_PREFIX}{next_number:03d}"
            next_number += 1
        planned.append(PlannedBooklet(sheet_id, student=student))
    planned += [PlannedBooklet(f"{ANONYMOUS_PREFIX}{n:03d}", number=n) for n in range(1, anonymous + 1)]
    return planned


def _save_booklets(exam_id: str, planned: Sequence[PlannedBooklet], pages: int) -> None:
    """Each booklet written once for its owner: a sheet id already given to someone else is a conflict
    (a concurrent run): the error makes SQS deliver again, and the next plan sees the winner's ids."""
    for booklet in planned:
        student_id = booklet.student.id if booklet.student else None
        owner = (
            Booklet.student_id == student_id
            if student_id
            else (Booklet.student_id.does_not_exist() & (Booklet.number == booklet.number))
        )
        item = Booklet(exam_id, booklet.sheet_id, student_id=student_id, number=booklet.number, pages=pages)
        try:
            item.save(condition=Booklet.sheet_id.does_not_exist() | owner)
        except PutError as error:
            if condition_failed(error):
                taken = f"booklet {booklet.sheet_id} was given to another pupil meanwhile"
                raise RuntimeError(taken) from error
            raise


def _students(exam_id: str) -> list[Student]:
    ids = [enrolment.student_id for enrolment in Enrolment.query(exam_id, consistent_read=True)]
    students = list(Student.batch_get(ids)) if ids else []
    return sorted(students, key=lambda s: (s.last_name.lower(), s.first_name.lower(), s.id))


def run_job(key: str, render: Render) -> bool:
    """Print the run whose input is ``key``; False when there is nothing to do (an older or finished run)."""
    parsed = parse_input_key(key)
    if parsed is None:
        logger.warning("not a sheets input", extra={"key": key})
        return False
    exam_id, job_id = parsed
    try:
        job = SheetJob.get(exam_id, consistent_read=True)
    except DoesNotExist:
        return False
    if job.job_id != job_id or job.status != "PENDING":
        logger.info("sheets run already settled", extra={"exam_id": exam_id, "job_id": job_id})
        return False
    exam = exams.get_exam(exam_id)
    if not exam.pages_per_copy:
        raise ValueError("the exam has no pages per copy")
    pages = int(exam.pages_per_copy)
    planned = plan_booklets(exam_id, _students(exam_id), int(job.extra_blank_booklets or 0))
    if not planned:
        raise ValueError("nothing to print: no pupil on the roster and no anonymous booklet asked for")
    _save_booklets(exam_id, planned, pages)
    data, page_count = render(SheetRun(exam, tuple(planned), pages))
    key_out = pdf_key(exam_id)
    storage.put_bytes(key_out, data, "application/pdf")
    try:
        job.update(
            actions=[
                SheetJob.status.set("DONE"),
                SheetJob.pdf_key.set(key_out),
                SheetJob.pages.set(page_count),
                SheetJob.booklets.set(len(planned)),
                SheetJob.updated_at.set(utcnow()),
            ],
            condition=(SheetJob.job_id == job_id) & (SheetJob.status == "PENDING"),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False  # settled meanwhile (a concurrent delivery)
        raise
    logger.info("sheets printed", extra={"exam_id": exam_id, "job_id": job_id, "pages": page_count})
    return True


def fail_job(exam_id: str, job_id: str, reason: str) -> None:
    """Mark the run FAILED with ``reason`` (nothing when it is settled or superseded)."""
    try:
        SheetJob(exam_id).update(
            actions=[
                SheetJob.status.set("FAILED"),
                SheetJob.error.set(reason[:500]),
                SheetJob.updated_at.set(utcnow()),
            ],
            condition=(SheetJob.job_id == job_id) & (SheetJob.status == "PENDING"),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
