"""The audit trail, for admins: filters by exam, copy, actor, action and time range; names resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalice import Blueprint

from chalicelib.access import ADMIN
from chalicelib.errors import BadRequest
from chalicelib.models.base import utcnow
from chalicelib.services import audit
from chalicelib.web import RequestContext, endpoint

blueprint = Blueprint(__name__)
DEFAULT_RANGE = timedelta(days=31)
MAX_RANGE = timedelta(days=366)


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise BadRequest(
            f"{name} must be an ISO 8601 date or time.",
            reason="not_a_date",
            params={"field": name},
        ) from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@endpoint(blueprint, "/api/audit", methods=["GET"], access=ADMIN)
def list_events(ctx: RequestContext):
    """Audit events, newest first (at most 500), with the names of their actors, exams and targets."""
    until = _instant(ctx.query("until"), "until") or utcnow()
    since = _instant(ctx.query("since"), "since") or until - DEFAULT_RANGE
    if since > until or until - since > MAX_RANGE:
        raise BadRequest("since must precede until, at most one year apart.", reason="audit_period_invalid")
    events = audit.query(
        since=since,
        until=until,
        exam_id=ctx.query("exam_id"),
        copy_id=ctx.query("copy_id"),
        actor_id=ctx.query("actor"),
        action=ctx.query("action"),
    )
    return {"events": audit.serialise_named(events)}
