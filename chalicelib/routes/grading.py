"""Grading routes: copy detail, lock, annotations, scores, drafts, finalise, history, comment bank."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from chalicelib.access import ADMIN, STAFF, TEACHER
from chalicelib.errors import BadRequest, KorrigoError, Unprocessable
from chalicelib.services import bank, copies, copy_reads, finalize, grading, locks
from chalicelib.web import BodyT, RequestContext, empty_response, endpoint, json_response

blueprint = Blueprint(__name__)
Text = Annotated[str, StringConstraints(max_length=2000)]
Number = StrictInt | StrictFloat  # a JSON number: not a string, not a boolean


class _NoPoints(BaseModel):
    """Annotations carry no points (``chalicelib.domain.annotations``): a ``score_delta`` is recognised
    only to be refused with a 422 that names it (never stored, not in the OpenAPI schema)."""

    score_delta: SkipJsonSchema[Any] = Field(default=None, exclude=True)


NoPointsT = TypeVar("NoPointsT", bound=_NoPoints)


class AnnotationBody(_NoPoints):
    model_config = ConfigDict(extra="forbid")
    page_index: StrictInt = Field(ge=0, le=999)
    type: Literal["rect", "ink", "tick", "cross", "text"]
    geometry: dict[str, Any]
    text: Text | None = None


class AnnotationPatch(_NoPoints):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(ge=1)
    geometry: dict[str, Any] | None = None
    text: Text | None = None


class ScoresBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt | None = Field(default=None, ge=0)  # the score sheet's version last seen (0: none)
    scores: dict[str, Number] = Field(max_length=500)
    remarks: dict[str, str] = Field(default_factory=dict, max_length=500)
    appreciation: Annotated[str, StringConstraints(max_length=5000)] = ""


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(ge=0)
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    payload: dict[str, Any]


class ReopenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class BankBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _body(ctx: RequestContext, copy_id: str, model: type[BodyT]) -> BodyT:
    """The validated body; a bad one on a copy the caller may not see is a 404/403 first."""
    try:
        return ctx.body(model)
    except KorrigoError:
        copy_reads.visible(copy_id, ctx.caller)
        raise


def _annotation_body(ctx: RequestContext, copy_id: str, model: type[NoPointsT]) -> NoPointsT:
    """The validated annotation body; one carrying ``score_delta`` is a 422 (after the 404/403 check)."""
    body = _body(ctx, copy_id, model)
    if "score_delta" in body.model_fields_set:
        copy_reads.visible(copy_id, ctx.caller)
        raise Unprocessable(
            "score_delta is not accepted: annotations carry no points; scores come from the score sheet.",
            reason="annotation_points_removed",
            params={"field": "score_delta"},
        )
    return body


def _token(ctx: RequestContext) -> str | None:
    return ctx.request.headers.get("x-lock-token")


def _outcome(outcome: finalize.Outcome):
    """200 once the copy is GRADED, 202 while its final PDF renders."""
    status = 200 if outcome is finalize.Outcome.GRADED else 202
    return json_response({"status": str(outcome.value)}, status)


@endpoint(blueprint, "/api/teacher/copies", methods=["GET"], access=TEACHER)
def teacher_copies(ctx: RequestContext):
    """The copies dispatched to the caller, anonymous."""
    return {"copies": copies.teacher_copies(ctx.caller)}


@endpoint(blueprint, "/api/copies/{copy_id}", methods=["GET"], access=STAFF)
def copy_detail(ctx: RequestContext, copy_id: str):
    """Pages, scheme, scores, annotations and lock of a copy."""
    return grading.copy_detail(copy_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/status", methods=["GET"], access=STAFF)
def copy_status(ctx: RequestContext, copy_id: str):
    """Status, lock and render outcome of a copy: the small answer to poll (no URLs)."""
    return grading.status(copy_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/lock", methods=["POST"], access=STAFF)
def lock(ctx: RequestContext, copy_id: str):
    """Acquire the grading lock (201), get yours again (200), or 409 with the holder."""
    grant = locks.acquire(copy_id, ctx.caller, ctx.origin)
    return json_response(
        {"token": grant.token, "expires_at": grant.expires_at.isoformat()}, 201 if grant.created else 200
    )


@endpoint(blueprint, "/api/copies/{copy_id}/lock/heartbeat", methods=["POST"], access=STAFF)
def heartbeat(ctx: RequestContext, copy_id: str):
    """Keep the lock alive (every 30 s)."""
    return {"expires_at": locks.heartbeat(copy_id, ctx.caller, _token(ctx) or "").isoformat()}


@endpoint(blueprint, "/api/copies/{copy_id}/lock", methods=["DELETE"], access=STAFF)
def unlock(ctx: RequestContext, copy_id: str):
    """Release the lock; an admin without the token breaks it."""
    locks.release(copy_id, ctx.caller, _token(ctx), ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/copies/{copy_id}/draft", methods=["GET"], access=STAFF)
def get_draft(ctx: RequestContext, copy_id: str):
    """The autosaved draft."""
    return grading.get_draft(copy_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/draft", methods=["PUT"], access=STAFF)
def put_draft(ctx: RequestContext, copy_id: str):
    """Autosave (409 for a stale version or another session)."""
    body = _body(ctx, copy_id, DraftBody)
    return grading.save_draft(copy_id, ctx.caller, _token(ctx), body.version, body.client_id, body.payload)


@endpoint(blueprint, "/api/copies/{copy_id}/annotations", methods=["POST"], access=STAFF)
def add_annotation(ctx: RequestContext, copy_id: str):
    """Add an annotation."""
    body = _annotation_body(ctx, copy_id, AnnotationBody)
    annotation = grading.add_annotation(copy_id, ctx.caller, _token(ctx), body.model_dump(), ctx.origin)
    return json_response(grading.serialise_annotation(annotation), 201)


@endpoint(blueprint, "/api/copies/{copy_id}/annotations/{annotation_id}", methods=["PATCH"], access=STAFF)
def update_annotation(ctx: RequestContext, copy_id: str, annotation_id: str):
    """Change an annotation (409 when its version is stale)."""
    body = _annotation_body(ctx, copy_id, AnnotationPatch)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    annotation = grading.update_annotation(
        copy_id, ctx.caller, _token(ctx), annotation_id, body.version, changes, ctx.origin
    )
    return grading.serialise_annotation(annotation)


@endpoint(blueprint, "/api/copies/{copy_id}/annotations/{annotation_id}", methods=["DELETE"], access=STAFF)
def delete_annotation(ctx: RequestContext, copy_id: str, annotation_id: str):
    """Delete an annotation (``?version=`` required)."""
    version = ctx.query("version")
    if not version or not version.isdigit():
        raise BadRequest("Pass the annotation's version as ?version=N.", reason="annotation_version_required")
    grading.delete_annotation(copy_id, ctx.caller, _token(ctx), annotation_id, int(version), ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/copies/{copy_id}/scores", methods=["PUT"], access=STAFF)
def put_scores(ctx: RequestContext, copy_id: str):
    """Save the scores, remarks and appreciation."""
    body = _body(ctx, copy_id, ScoresBody)
    return grading.save_scores(
        copy_id,
        ctx.caller,
        _token(ctx),
        body.scores,
        body.remarks,
        body.appreciation,
        ctx.origin,
        version=body.version,
    )


@endpoint(blueprint, "/api/copies/{copy_id}/finalize", methods=["POST"], access=STAFF)
def finalize_copy(ctx: RequestContext, copy_id: str):
    """Finalise: 202 while the PDF renders (repeat-safe), 422 naming unscored questions."""
    return _outcome(finalize.finalize(copy_id, ctx.caller, _token(ctx), ctx.origin))


@endpoint(blueprint, "/api/copies/{copy_id}/retry", methods=["POST"], access=STAFF)
def retry_render(ctx: RequestContext, copy_id: str):
    """Render a failed copy again."""
    return _outcome(finalize.retry(copy_id, ctx.caller, ctx.origin))


@endpoint(blueprint, "/api/copies/{copy_id}/reopen", methods=["POST"], access=ADMIN)
def reopen(ctx: RequestContext, copy_id: str):
    """GRADED → READY with the reason its teacher is shown (audited; the previous PDF and scores are
    kept in the history)."""
    copy = finalize.reopen(copy_id, ctx.caller, ctx.origin, ctx.body(ReopenBody).reason)
    return copies.serialise(copy, with_identity=True)


@endpoint(blueprint, "/api/copies/{copy_id}/final-pdf", methods=["GET"], access=STAFF)
def final_pdf(ctx: RequestContext, copy_id: str):
    """A short-lived link to the final PDF."""
    return finalize.final_pdf_url(copy_id, ctx.caller)


@endpoint(blueprint, "/api/copies/{copy_id}/history", methods=["GET"], access=STAFF)
def history(ctx: RequestContext, copy_id: str):
    """The copy's timeline."""
    return {"events": copies.history(copy_reads.visible(copy_id, ctx.caller), ctx.caller)}


@endpoint(blueprint, "/api/bank", methods=["GET"], access=STAFF)
def list_bank(ctx: RequestContext):
    """The caller's reusable comments."""
    return {"comments": [bank.serialise(c) for c in bank.list_comments(ctx.caller)]}


@endpoint(blueprint, "/api/bank", methods=["POST"], access=STAFF)
def add_bank(ctx: RequestContext):
    """Save a reusable comment."""
    return json_response(bank.serialise(bank.add_comment(ctx.caller, ctx.body(BankBody).text)), 201)


@endpoint(blueprint, "/api/bank/{comment_id}/use", methods=["POST"], access=STAFF)
def use_bank(ctx: RequestContext, comment_id: str):
    """Count a use of a comment."""
    bank.use_comment(ctx.caller, comment_id)
    return {"id": comment_id}


@endpoint(blueprint, "/api/bank/{comment_id}", methods=["DELETE"], access=STAFF)
def delete_bank(ctx: RequestContext, comment_id: str):
    """Remove a comment."""
    bank.delete_comment(ctx.caller, comment_id)
    return empty_response()
