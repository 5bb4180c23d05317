"""Student accounts (admins only): reset a password, disable or enable, end sessions; in bulk per exam."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from chalicelib.access import ADMIN
from chalicelib.services import students
from chalicelib.web import RequestContext, empty_response, endpoint

blueprint = Blueprint(__name__)

StudentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ResetPasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exam_id: str | None = Field(default=None, max_length=64)  # the exam whose roster the admin works on


class UpdateStudentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: StrictBool  # "no" or 0 is a 400, not a silent False


class BulkAccountsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_ids: list[StudentId] = Field(min_length=1, max_length=2000)
    action: Literal["disable", "enable", "revoke_sessions"]


def _optional_body(ctx: RequestContext) -> ResetPasswordBody:
    return ctx.body(ResetPasswordBody) if ctx.request.raw_body else ResetPasswordBody()


@endpoint(blueprint, "/api/students/{student_id}/reset-password", methods=["POST"], access=ADMIN)
def reset_password(ctx: RequestContext, student_id: str):
    """A new one-time initial password, delivered as a one-time credentials sheet; sessions end."""
    body = _optional_body(ctx)
    token = students.reset_password(student_id, actor=ctx.caller, origin=ctx.origin, exam_id=body.exam_id)
    return {"credentials_csv_url": f"/api/credentials/{token}"}


@endpoint(blueprint, "/api/students/{student_id}", methods=["PATCH"], access=ADMIN)
def update_student(ctx: RequestContext, student_id: str):
    """Disable (ending every session at once) or enable a student account."""
    body = ctx.body(UpdateStudentBody)
    student = students.set_active(student_id, body.active, actor=ctx.caller, origin=ctx.origin)
    return students.serialise(student)


@endpoint(blueprint, "/api/students/{student_id}/revoke-sessions", methods=["POST"], access=ADMIN)
def revoke_sessions(ctx: RequestContext, student_id: str):
    """End every session of a student."""
    students.revoke_sessions(student_id, actor=ctx.caller, origin=ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/exams/{exam_id}/students/accounts", methods=["POST"], access=ADMIN)
def bulk_accounts(ctx: RequestContext, exam_id: str):
    """Disable, enable or end the sessions of many students of the exam's roster: ``{"changed": n}``."""
    body = ctx.body(BulkAccountsBody)
    changed = students.apply_to_exam_students(
        exam_id, body.student_ids, body.action, actor=ctx.caller, origin=ctx.origin
    )
    return {"changed": changed}
