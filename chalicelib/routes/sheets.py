"""Personalised answer sheets of an exam (admins): ask for a generation, follow it, download the PDF."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.access import ADMIN
from chalicelib.services import sheets
from chalicelib.web import RequestContext, endpoint, json_response

blueprint = Blueprint(__name__)


class SheetsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extra_blank_booklets: StrictInt = Field(default=0, ge=0, le=sheets.MAX_EXTRA_BLANK_BOOKLETS)


@endpoint(blueprint, "/api/exams/{exam_id}/sheets", methods=["POST"], access=ADMIN)
def generate_sheets(ctx: RequestContext, exam_id: str):
    """Queue the exam's answer sheets (a booklet per pupil + ``extra_blank_booklets`` anonymous): 202."""
    body = ctx.body(SheetsBody)
    job = sheets.start(exam_id, body.extra_blank_booklets, actor=ctx.caller, origin=ctx.origin)
    return json_response(sheets.serialise(job), 202)


@endpoint(blueprint, "/api/exams/{exam_id}/sheets", methods=["GET"], access=ADMIN)
def get_sheets(ctx: RequestContext, exam_id: str):
    """The latest generation: ``NONE | PENDING | DONE | FAILED``, with a short-lived link once DONE."""
    exam, job = sheets.current(exam_id)
    return sheets.serialise(job, exam.name)
