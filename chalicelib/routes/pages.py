"""An exam's pages to place (BATCH pages left over after a scan's last full copy): list, attach to a
copy, make a new copy, discard. Admins only; every change audited."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.access import ADMIN
from chalicelib.services import loose_pages
from chalicelib.web import RequestContext, endpoint, json_response

blueprint = Blueprint(__name__)
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AttachBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copy_id: Id
    position: StrictInt = Field(ge=1, le=loose_pages.MAX_COPY_PAGES)


class NewCopyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page_ids: list[Id] = Field(min_length=1, max_length=loose_pages.MAX_NEW_COPY_PAGES)


@endpoint(blueprint, "/api/exams/{exam_id}/loose-pages", methods=["GET"], access=ADMIN)
def list_pages(ctx: RequestContext, exam_id: str):
    """The exam's pages to place, each with a short-lived image URL."""
    return {"pages": loose_pages.list_pages(exam_id)}


@endpoint(blueprint, "/api/exams/{exam_id}/loose-pages/new-copy", methods=["POST"], access=ADMIN)
def new_copy(ctx: RequestContext, exam_id: str):
    """A new copy (to identify) made of these pages, in this order."""
    body = ctx.body(NewCopyBody)
    return json_response(
        loose_pages.new_copy(exam_id, body.page_ids, actor=ctx.caller, origin=ctx.origin), 201
    )


@endpoint(blueprint, "/api/exams/{exam_id}/loose-pages/{page_id}/attach", methods=["POST"], access=ADMIN)
def attach(ctx: RequestContext, exam_id: str, page_id: str):
    """Insert the page into an undispatched copy at a 1-based position."""
    body = ctx.body(AttachBody)
    return loose_pages.attach(
        exam_id, page_id, body.copy_id, body.position, actor=ctx.caller, origin=ctx.origin
    )


@endpoint(blueprint, "/api/exams/{exam_id}/loose-pages/{page_id}", methods=["DELETE"], access=ADMIN)
def discard(ctx: RequestContext, exam_id: str, page_id: str):
    """Throw the page away."""
    return loose_pages.discard(exam_id, page_id, actor=ctx.caller, origin=ctx.origin)
