"""Health routes of API.md: no authentication, no secrets."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.access import PUBLIC
from chalicelib.models.base import utcnow
from chalicelib.services import health
from chalicelib.web import RequestContext, endpoint, json_response

blueprint = Blueprint(__name__)


@endpoint(blueprint, "/api/health", methods=["GET"], access=PUBLIC)
def overall(ctx: RequestContext):
    """Database and storage reachable → 200 healthy, else 503 unhealthy."""
    database, storage = health.database_ok(), health.storage_ok()
    healthy = database and storage
    return json_response(
        {
            "status": "healthy" if healthy else "unhealthy",
            "database": "ok" if database else "error",
            "storage": "ok" if storage else "error",
            "timestamp": utcnow().isoformat(),
        },
        200 if healthy else 503,
    )


@endpoint(blueprint, "/api/health/live", methods=["GET"], access=PUBLIC)
def live(ctx: RequestContext):
    """The process answers."""
    return {"status": "alive"}


@endpoint(blueprint, "/api/health/ready", methods=["GET"], access=PUBLIC)
def ready(ctx: RequestContext):
    """The database answers → 200 ready, else 503 not_ready."""
    database = health.database_ok()
    return json_response(
        {"status": "ready" if database else "not_ready", "database": "ok" if database else "error"},
        200 if database else 503,
    )
