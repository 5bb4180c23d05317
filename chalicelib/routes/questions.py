"""Question-first grading: dispatch by question, question regions, the copies of a question,
question locks and scores."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from chalicelib.access import ADMIN, STAFF
from chalicelib.errors import KorrigoError
from chalicelib.services import exams, question_dispatch, question_grading, question_locks
from chalicelib.web import RequestContext, empty_response, endpoint, json_response

blueprint = Blueprint(__name__)
Number = StrictInt | StrictFloat  # a JSON number: not a string, not a boolean
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class DispatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["COPY", "QUESTION"]
    assignments: dict[Id, Annotated[list[Id], Field(max_length=100)]] = Field(
        default_factory=dict, max_length=500
    )


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: StrictInt = Field(ge=0, le=999)
    x: Number
    y: Number
    w: Number
    h: Number


class RegionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: dict[Id, Region] = Field(max_length=500)


class QuestionScoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(ge=0)  # the score's version last seen (0: none yet)
    rubric_item_ids: list[Id] = Field(default_factory=list, max_length=50)
    adjustment: Number = 0
    remark: Annotated[str, StringConstraints(max_length=2000)] = ""
    complete: StrictBool


def _token(ctx: RequestContext) -> str | None:
    return ctx.request.headers.get("x-lock-token")


@endpoint(blueprint, "/api/exams/{exam_id}/question-dispatch", methods=["PUT"], access=ADMIN)
def dispatch(ctx: RequestContext, exam_id: str):
    """Grade the exam by copy or by question (each question to its teachers); audited."""
    body = ctx.body(DispatchBody)
    exam = question_dispatch.dispatch(exam_id, body.mode, body.assignments, ctx.caller, ctx.origin)
    return exams.serialise(exam)


@endpoint(blueprint, "/api/exams/{exam_id}/question-regions", methods=["PUT"], access=ADMIN)
def regions(ctx: RequestContext, exam_id: str):
    """Where each question is on a copy (page and box), set on a sample copy; audited."""
    body = ctx.body(RegionsBody)
    clean = {question_id: region.model_dump() for question_id, region in body.regions.items()}
    return exams.serialise(question_dispatch.set_regions(exam_id, clean, ctx.caller, ctx.origin))


@endpoint(blueprint, "/api/teacher/questions", methods=["GET"], access=STAFF)
def teacher_questions(ctx: RequestContext):
    """The questions the caller grades in question-mode exams, with their progress."""
    return {"questions": question_grading.teacher_questions(ctx.caller)}


@endpoint(blueprint, "/api/exams/{exam_id}/questions/{question_id}/copies", methods=["GET"], access=STAFF)
def question_copies(ctx: RequestContext, exam_id: str, question_id: str):
    """The exam's copies on one question: score, completeness, lock."""
    return question_grading.question_copies(exam_id, question_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/questions/{question_id}", methods=["GET"], access=STAFF)
def copy_question(ctx: RequestContext, copy_id: str, question_id: str):
    """One question of one copy: its page, score, rubric and lock."""
    return question_grading.copy_question(copy_id, question_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/questions/{question_id}/lock", methods=["POST"], access=STAFF)
def lock(ctx: RequestContext, copy_id: str, question_id: str):
    """Take the question lock (201), get yours again (200), or 409."""
    grant = question_locks.acquire(copy_id, question_id, ctx.caller, ctx.origin)
    return json_response(
        {"token": grant.token, "expires_at": grant.expires_at.isoformat()}, 201 if grant.created else 200
    )


@endpoint(
    blueprint, "/api/copies/{copy_id}/questions/{question_id}/lock/heartbeat", methods=["POST"], access=STAFF
)
def heartbeat(ctx: RequestContext, copy_id: str, question_id: str):
    """Keep the question lock alive."""
    expires = question_locks.heartbeat(copy_id, question_id, ctx.caller, _token(ctx) or "")
    return {"expires_at": expires.isoformat()}


@endpoint(blueprint, "/api/copies/{copy_id}/questions/{question_id}/lock", methods=["DELETE"], access=STAFF)
def unlock(ctx: RequestContext, copy_id: str, question_id: str):
    """Release the question lock; an admin without the token breaks it."""
    question_locks.release(copy_id, question_id, ctx.caller, _token(ctx), ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/copies/{copy_id}/questions/{question_id}/score", methods=["PUT"], access=STAFF)
def put_score(ctx: RequestContext, copy_id: str, question_id: str):
    """Save the question's rubric items, adjustment, remark and completeness (the score is computed
    here); completing the copy's last question finalises it."""
    try:
        body = ctx.body(QuestionScoreBody)
    except KorrigoError:
        question_locks.exam_ref(copy_id, ctx.caller, question_id)  # 404 / 403 before a 400
        raise
    return question_grading.save_score(
        copy_id,
        question_id,
        ctx.caller,
        _token(ctx),
        version=body.version,
        rubric_item_ids=body.rubric_item_ids,
        adjustment=body.adjustment,
        remark=body.remark,
        complete=body.complete,
        origin=ctx.origin,
    )


@endpoint(blueprint, "/api/copies/{copy_id}/finalise-questions", methods=["POST"], access=ADMIN)
def finalise_questions(ctx: RequestContext, copy_id: str):
    """Finalise a copy graded question by question: 202 while it renders, 200 once GRADED."""
    status = question_grading.finalise_questions(copy_id, ctx.caller, ctx.origin)
    return json_response({"status": status}, 200 if status == "GRADED" else 202)
