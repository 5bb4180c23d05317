"""Copies of an exam: listing, the identification desk, dispatch and reassignment."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib.access import ADMIN, STAFF
from chalicelib.services import copies
from chalicelib.web import RequestContext, endpoint

blueprint = Blueprint(__name__)
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class IdentifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: Id


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teacher_id: Id


@endpoint(blueprint, "/api/exams/{exam_id}/copies", methods=["GET"], access=STAFF)
def list_copies(ctx: RequestContext, exam_id: str):
    """Admins: all copies with identity; teachers: their own, anonymous."""
    return {"copies": copies.list_copies(exam_id, ctx.caller)}


@endpoint(blueprint, "/api/exams/{exam_id}/identification", methods=["GET"], access=ADMIN)
def identification(ctx: RequestContext, exam_id: str):
    """Unidentified copies (header, OCR text, suggestions), identified ones, students without a copy."""
    return copies.identification_queue(exam_id)


@endpoint(blueprint, "/api/copies/{copy_id}/identify", methods=["POST"], access=ADMIN)
def identify(ctx: RequestContext, copy_id: str):
    """Confirm who wrote a copy (STAGING → READY), or correct it while the exam is not released."""
    body = ctx.body(IdentifyBody)
    copy = copies.identify(copy_id, body.student_id, actor=ctx.caller, origin=ctx.origin)
    return copies.identity_answer(copy)


@endpoint(blueprint, "/api/copies/{copy_id}/unidentify", methods=["POST"], access=ADMIN)
def unidentify(ctx: RequestContext, copy_id: str):
    """Send a READY copy back to be identified (not while released, not once grading started)."""
    return copies.identity_answer(copies.unidentify(copy_id, actor=ctx.caller, origin=ctx.origin))


@endpoint(blueprint, "/api/exams/{exam_id}/dispatch", methods=["POST"], access=ADMIN)
def dispatch(ctx: RequestContext, exam_id: str):
    """Balance the READY copies over the exam's teachers."""
    return copies.dispatch(exam_id, actor=ctx.caller, origin=ctx.origin)


@endpoint(blueprint, "/api/copies/{copy_id}/reassign", methods=["POST"], access=ADMIN)
def reassign(ctx: RequestContext, copy_id: str):
    """Move one copy to another teacher of its exam."""
    body = ctx.body(ReassignBody)
    copy = copies.reassign(copy_id, body.teacher_id, actor=ctx.caller, origin=ctx.origin)
    return copies.serialise(copy, with_identity=True)
