"""Roster routes: import jobs, bulk password resets, their progress and one-time credentials sheets."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.access import ADMIN
from chalicelib.domain import csv_format
from chalicelib.domain.roster import MAX_BYTES, MAX_ROWS
from chalicelib.errors import PayloadTooLarge
from chalicelib.services import account_jobs, credentials, exams, roster, students
from chalicelib.web import RequestContext, csv_response, endpoint, json_response

blueprint = Blueprint(__name__)

StudentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ResetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_ids: list[StudentId] = Field(min_length=1, max_length=MAX_ROWS)


@endpoint(
    blueprint,
    "/api/exams/{exam_id}/roster",
    methods=["POST"],
    access=ADMIN,
    content_types=["text/csv", "text/plain", "application/octet-stream"],
)
def import_roster(ctx: RequestContext, exam_id: str):
    """Validate a CSV roster (Pronote export or plain header) and queue its import: 202 with the job.

    A roster that renames existing students is a 409 listing the renames and their ``confirm_token``;
    the same file sent again with ``?confirm_renames=<token>`` applies them.
    """
    data = ctx.request.raw_body or b""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge("The roster file is larger than 2 MB.", reason="roster_too_large")
    job, roster_file, renames = account_jobs.begin_roster_import(
        exam_id, data, actor=ctx.caller, origin=ctx.origin, confirm_renames=ctx.query("confirm_renames")
    )
    errors = roster_file.errors
    return json_response(
        {
            "job_id": job.id,
            "status": job.status,
            "total": int(job.total),
            "errors": [error.as_dict() for error in errors],
            "mapping": roster_file.mapping(),
            "renames": [rename.as_dict() for rename in renames],
        },
        202,
    )


@endpoint(blueprint, "/api/exams/{exam_id}/students/reset-passwords", methods=["POST"], access=ADMIN)
def reset_passwords(ctx: RequestContext, exam_id: str):
    """Queue new initial passwords for students of the exam's roster: 202 with the job."""
    body = ctx.body(ResetBody)
    job = account_jobs.start_password_reset(exam_id, body.student_ids, actor=ctx.caller, origin=ctx.origin)
    return json_response(account_jobs.serialise(job, ctx.caller), 202)


@endpoint(blueprint, "/api/exams/{exam_id}/account-jobs/{job_id}", methods=["GET"], access=ADMIN)
def get_account_job(ctx: RequestContext, exam_id: str, job_id: str):
    """A roster import's or password reset's progress, with the one-time sheet link once finished."""
    return account_jobs.serialise(account_jobs.get_job(exam_id, job_id), ctx.caller)


@endpoint(
    blueprint, "/api/exams/{exam_id}/account-jobs/{job_id}/credentials", methods=["GET"], access=ADMIN
)
def download_job_credentials(ctx: RequestContext, exam_id: str, job_id: str):
    """The job's credentials sheet (CSV attachment), once, for the admin who started the job.

    For Excel in French by default (UTF-8 with BOM, ``;``, CRLF); ``?format=rfc``: ``,`` without BOM.
    Any other ``format`` is a 400 that leaves the sheet downloadable.
    """
    dialect = csv_format.dialect_named(ctx.query("format"))
    data = account_jobs.take_credentials(exam_id, job_id, ctx.caller, ctx.origin)
    return csv_response(f"credentials-{exam_id[:8]}-{job_id[:8]}.csv", csv_format.rewrite(data, dialect))


@endpoint(blueprint, "/api/credentials/{token}", methods=["GET"], access=ADMIN)
def download_credentials(ctx: RequestContext, token: str):
    """A one-time credentials sheet of a single student (CSV attachment); ``?format=`` as for a job's."""
    dialect = csv_format.dialect_named(ctx.query("format"))
    exam_id, data = credentials.take_sheet(token, ctx.caller, ctx.origin)
    return csv_response(f"credentials-{exam_id[:8]}.csv", csv_format.rewrite(data, dialect))


@endpoint(blueprint, "/api/exams/{exam_id}/students", methods=["GET"], access=ADMIN)
def list_students(ctx: RequestContext, exam_id: str):
    """The exam's roster."""
    exams.get_exam(exam_id)
    return {"students": [students.serialise(s) for s in roster.exam_students(exam_id)]}
