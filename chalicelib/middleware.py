"""HTTP middleware: request id on every response and log line, one error format, security headers.

An authenticated answer also says when its session ends (``X-Session-Expires``, ISO-8601 UTC), so the
SPA can warn before it.

Each request's log line carries its status and its AWS round trips (``round_trips``: the DynamoDB and
S3 requests it sent). The access log names the route's template (``/api/credentials/{token}``), never
the requested path, so no path parameter, query string, cookie or body reaches it; the request's
metrics are flushed at its end.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from chalice import Response
from chalice.app import Request

from chalicelib import aws
from chalicelib.observability import flush_metrics, logger, redact
from chalicelib.services import sessions
from chalicelib.web import SECURITY_HEADERS, json_response, request_id_of

_CHALICE_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}


SESSION_EXPIRES_HEADER = "X-Session-Expires"


def _chalice_error(response: Response) -> Response | None:
    """Chalice's own errors (``{"Code", "Message"}``) rewritten in Korrigo's error format."""
    body = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return None
    status = response.status_code
    message = "An unexpected error occurred." if status >= 500 else str(body["Message"])
    headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
    return json_response(
        {"error": {"code": _CHALICE_CODES.get(status, "error"), "message": message}}, status, headers
    )


def http_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Wrap every API request: bind the request id to the logs, stamp the response, flush its metrics."""
    request_id = request_id_of(event)
    # ``event.path`` is the route's template (API Gateway's resource path): no secret path parameter
    # thread-local keys: ``chalice local`` serves concurrent requests in threads of one process
    logger.thread_safe_append_keys(request_id=request_id, path=event.path, method=event.method)
    aws.reset_round_trips()
    sessions.note_expiry(None)
    try:
        response = get_response(event)
        response = _chalice_error(response) or response
        response.headers.update(SECURITY_HEADERS)
        response.headers["X-Request-Id"] = request_id
        expiry = sessions.request_expiry()
        if expiry is not None:  # the SPA warns before it (same origin: no CORS exposure needed)
            response.headers[SESSION_EXPIRES_HEADER] = sessions.iso_utc(expiry)
        logger.info("request", extra={"status": response.status_code, "round_trips": aws.round_trips()})
        return response
    finally:
        logger.thread_safe_remove_keys(["request_id", "path", "method"])
        flush_metrics()


def _redacted_request_line(handler: BaseHTTPRequestHandler, format: str, *args: object) -> None:
    """``BaseHTTPRequestHandler.log_message`` with the line redacted (the requested path, not a template)."""
    line = redact(format % args)
    sys.stderr.write(f"{handler.address_string()} - - [{handler.log_date_time_string()}] {line}\n")


def redact_local_server_log() -> None:
    """Under ``chalice local``, its own request lines (stderr) are redacted: they carry the real path.

    In Lambda, ``chalice.local`` is never imported and API Gateway's access log is not enabled.
    """
    local = sys.modules.get("chalice.local")
    if local is not None:
        local.ChaliceRequestHandler.log_message = _redacted_request_line


redact_local_server_log()
