"""Regrade requests: students ask after release, teachers and admins answer."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

from chalicelib.access import ADMIN, STAFF, STUDENT
from chalicelib.errors import BadRequest
from chalicelib.services import regrades
from chalicelib.web import RequestContext, endpoint, json_response

blueprint = Blueprint(__name__)
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=regrades.MAX_TEXT)]
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Number = StrictInt | StrictFloat  # a JSON number: not a string, not a boolean


class FileBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: QuestionId
    message: Message


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(ge=1)
    answer: Message
    score: Number | None = None
    rubric_item_ids: list[QuestionId] | None = Field(default=None, max_length=30)
    adjustment: Number | None = None


def _status(ctx: RequestContext) -> str | None:
    """``?status=OPEN|ANSWERED`` (or none); anything else is a 400."""
    status = ctx.query("status")
    if status is not None and status not in regrades.STATUSES:
        raise BadRequest(
            "status is OPEN or ANSWERED.", reason="regrade_status_invalid", params={"field": "status"}
        )
    return status


@endpoint(blueprint, "/api/students/me/copies/{copy_id}/regrades", methods=["GET"], access=STUDENT)
def my_regrades(ctx: RequestContext, copy_id: str):
    """The window, the questions and the requests of one of the student's released copies."""
    return regrades.student_overview(ctx.caller, copy_id)


@endpoint(blueprint, "/api/students/me/copies/{copy_id}/regrades", methods=["POST"], access=STUDENT)
def file_regrade(ctx: RequestContext, copy_id: str):
    """Ask for a regrade of one question (one open request per question, within the window)."""
    body = ctx.body(FileBody)
    return json_response(
        regrades.file_request(ctx.caller, copy_id, body.question_id, body.message, ctx.origin), 201
    )


@endpoint(blueprint, "/api/regrades", methods=["GET"], access=STAFF)
def regrade_queue(ctx: RequestContext):
    """A teacher's queue (the questions they graded); an admin's: every exam's."""
    return {"requests": regrades.queue(ctx.caller, _status(ctx))}


@endpoint(blueprint, "/api/exams/{exam_id}/regrades", methods=["GET"], access=ADMIN)
def exam_regrades(ctx: RequestContext, exam_id: str):
    """Every request of an exam with its state."""
    return {"requests": regrades.exam_requests(exam_id, ctx.caller, _status(ctx))}


@endpoint(blueprint, "/api/regrades/{copy_id}/{question_id}", methods=["GET"], access=STAFF)
def regrade_detail(ctx: RequestContext, copy_id: str, question_id: str):
    """One request with its question, page (masked for teachers), current score and rubric."""
    return regrades.detail(copy_id, question_id, ctx.caller)


@endpoint(blueprint, "/api/regrades/{copy_id}/{question_id}/answer", methods=["POST"], access=STAFF)
def answer_regrade(ctx: RequestContext, copy_id: str, question_id: str):
    """Answer a request; a new score re-renders the copy, which stays released."""
    try:
        body = ctx.body(AnswerBody)
    except BadRequest:
        regrades.read(copy_id, question_id, ctx.caller)  # 404 / 403 before a 400
        raise
    change = regrades.NewScore(
        score=body.score,
        rubric_item_ids=body.rubric_item_ids,
        adjustment=body.adjustment,
    )
    return regrades.answer(copy_id, question_id, ctx.caller, body.version, body.answer, change, ctx.origin)
