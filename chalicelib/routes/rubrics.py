"""Shared rubrics: an exam's rubric items per question; editing one re-scores every copy that uses it."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

from chalicelib.access import STAFF
from chalicelib.domain.rubric import MAX_COMMENT, MAX_LABEL
from chalicelib.errors import BadRequest
from chalicelib.services import rubrics
from chalicelib.web import RequestContext, empty_response, endpoint, json_response

blueprint = Blueprint(__name__)
Number = StrictInt | StrictFloat  # a JSON number: not a string, not a boolean
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LABEL)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)]
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class NewItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: QuestionId
    label: Label
    kind: Literal["delta", "absolute"]
    points: Number
    comment: Comment | None = None


class ItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(ge=1)
    label: Label | None = None
    kind: Literal["delta", "absolute"] | None = None
    points: Number | None = None
    comment: Comment | None = None
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)


@endpoint(blueprint, "/api/exams/{exam_id}/rubrics", methods=["GET"], access=STAFF)
def list_items(ctx: RequestContext, exam_id: str):
    """The exam's rubric items by question then position (one question's with ``?question_id=``)."""
    return {"items": rubrics.list_items(exam_id, ctx.caller, ctx.query("question_id"))}


@endpoint(blueprint, "/api/exams/{exam_id}/rubrics", methods=["POST"], access=STAFF)
def create_item(ctx: RequestContext, exam_id: str):
    """Append an item to a question's rubric (admins; the question's teachers in question mode)."""
    body = ctx.body(NewItemBody)
    item = rubrics.create_item(exam_id, ctx.caller, body.model_dump(), ctx.origin)
    return json_response(rubrics.serialise(item), 201)


@endpoint(blueprint, "/api/exams/{exam_id}/rubrics/{item_id}", methods=["PATCH"], access=STAFF)
def update_item(ctx: RequestContext, exam_id: str, item_id: str):
    """Change an item; a change of its points, kind, label or comment re-scores the copies using it."""
    body = ctx.body(ItemPatch)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("label", "kind", "points", "position"):
        if name in changes and changes[name] is None:
            raise BadRequest(f"{name} cannot be null.", reason="rubric_field_null", params={"field": name})
    done = rubrics.update_item(exam_id, item_id, ctx.caller, body.version, changes, ctx.origin)
    return {
        "item": rubrics.serialise(done.item),
        "rescore": {"copies": done.copies, "status": "PENDING" if done.rescoring else "NONE"},
    }


@endpoint(blueprint, "/api/exams/{exam_id}/rubrics/{item_id}", methods=["DELETE"], access=STAFF)
def delete_item(ctx: RequestContext, exam_id: str, item_id: str):
    """Remove an item no copy uses (``?version=`` required)."""
    version = ctx.query("version")
    if not version or not version.isdigit():
        raise BadRequest("Pass the item's version as ?version=N.", reason="rubric_version_required")
    rubrics.delete_item(exam_id, item_id, ctx.caller, int(version), ctx.origin)
    return empty_response()
