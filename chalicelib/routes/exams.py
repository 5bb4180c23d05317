"""Exams, marking schemes, teachers and uploads (admins; teachers read their exams)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.access import ADMIN, STAFF
from chalicelib.errors import BadRequest
from chalicelib.services import exams, uploads
from chalicelib.web import RequestContext, empty_response, endpoint, json_response

blueprint = Blueprint(__name__)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


class ExamBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    subject: Subject = ""
    date: dt.date
    upload_mode: Literal["BATCH", "INDIVIDUAL"]
    pages_per_copy: int | None = Field(default=None, ge=1, le=64)
    split_a3: bool = False


class ExamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    subject: Subject | None = None
    date: dt.date | None = None
    upload_mode: Literal["BATCH", "INDIVIDUAL"] | None = None
    pages_per_copy: int | None = Field(default=None, ge=1, le=64)
    split_a3: bool | None = None
    regrade_window_days: StrictInt | None = Field(default=None, ge=0, le=365)  # 0: no regrade requests


class SchemeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nodes: list[Any] = Field(max_length=200)


class TeachersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teacher_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(max_length=200)


class UploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    size: int = Field(ge=0)


@endpoint(blueprint, "/api/exams", methods=["GET"], access=STAFF)
def list_exams(ctx: RequestContext):
    """Exams newest first (teachers: the ones they grade)."""
    return {"exams": [exams.serialise(exam) for exam in exams.list_exams(ctx.caller)]}


@endpoint(blueprint, "/api/exams", methods=["POST"], access=ADMIN)
def create_exam(ctx: RequestContext):
    """Create an exam."""
    body = ctx.body(ExamBody)
    exam = exams.create_exam(body.model_dump(), actor=ctx.caller, origin=ctx.origin)
    return json_response(exams.serialise(exam), 201)


@endpoint(blueprint, "/api/exams/{exam_id}", methods=["GET"], access=STAFF)
def get_exam(ctx: RequestContext, exam_id: str):
    """One exam (admins; its teachers)."""
    return exams.serialise(exams.visible_exam(exam_id, ctx.caller))


@endpoint(blueprint, "/api/exams/{exam_id}", methods=["PATCH"], access=ADMIN)
def update_exam(ctx: RequestContext, exam_id: str):
    """Change an exam's settings."""
    fields = ctx.body(ExamPatch).model_dump(exclude_unset=True)
    if any(value is None for key, value in fields.items() if key != "pages_per_copy"):
        raise BadRequest("Only pages_per_copy may be set to null.", reason="only_pages_per_copy_nullable")
    return exams.serialise(exams.update_exam(exam_id, fields, actor=ctx.caller, origin=ctx.origin))


@endpoint(blueprint, "/api/exams/{exam_id}", methods=["DELETE"], access=ADMIN)
def delete_exam(ctx: RequestContext, exam_id: str):
    """Delete an exam without copies (409 otherwise)."""
    exams.delete_exam(exam_id, actor=ctx.caller, origin=ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/exams/{exam_id}/marking-scheme", methods=["PUT"], access=ADMIN)
def put_marking_scheme(ctx: RequestContext, exam_id: str):
    """Replace the marking scheme; the tree comes back with ids and derived points."""
    body = ctx.body(SchemeBody)
    exam = exams.set_marking_scheme(exam_id, body.nodes, actor=ctx.caller, origin=ctx.origin)
    return {"nodes": exam.marking_scheme["nodes"], "max_points": exams.serialise(exam)["max_points"]}


@endpoint(blueprint, "/api/exams/{exam_id}/teachers", methods=["PUT"], access=ADMIN)
def put_teachers(ctx: RequestContext, exam_id: str):
    """Assign the exam's teachers."""
    body = ctx.body(TeachersBody)
    exam = exams.set_teachers(exam_id, body.teacher_ids, actor=ctx.caller, origin=ctx.origin)
    return {"teacher_ids": sorted(exam.teacher_ids or [])}


@endpoint(blueprint, "/api/exams/{exam_id}/uploads", methods=["POST"], access=ADMIN)
def create_upload(ctx: RequestContext, exam_id: str):
    """Register an upload; returns the pre-signed POST for the browser."""
    body = ctx.body(UploadBody)
    upload, post = uploads.start_upload(
        exam_id, body.filename, body.size, actor=ctx.caller, origin=ctx.origin
    )
    return json_response({"upload_id": upload.id, **post}, 201)


@endpoint(blueprint, "/api/exams/{exam_id}/uploads", methods=["GET"], access=ADMIN)
def list_uploads(ctx: RequestContext, exam_id: str):
    """An exam's uploads with their processing status."""
    return {"uploads": [uploads.serialise(upload) for upload in uploads.list_uploads(exam_id)]}


@endpoint(blueprint, "/api/exams/{exam_id}/uploads/{upload_id}", methods=["GET"], access=ADMIN)
def get_upload(ctx: RequestContext, exam_id: str, upload_id: str):
    """One upload's status, error and counts."""
    return uploads.serialise(uploads.get_upload(exam_id, upload_id))


@endpoint(blueprint, "/api/exams/{exam_id}/uploads/{upload_id}", methods=["DELETE"], access=ADMIN)
def delete_upload(ctx: RequestContext, exam_id: str, upload_id: str):
    """Remove a processed scan and its copies while none is dispatched (409 naming them otherwise)."""
    return uploads.delete_upload(exam_id, upload_id, actor=ctx.caller, origin=ctx.origin)
