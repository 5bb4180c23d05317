"""HTTP middleware: request id on every response and log line, one error format, security headers."""

from __future__ import annotations

import json
from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.observability import logger
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
    """Wrap every API request: bind the request id to the logs and stamp the response."""
    request_id = request_id_of(event)
    logger.append_keys(request_id=request_id, path=event.path, method=event.method)
    try:
        response = get_response(event)
        response = _chalice_error(response) or response
        response.headers.update(SECURITY_HEADERS)
        response.headers["X-Request-Id"] = request_id
        logger.info("request", extra={"status": response.status_code})
        return response
    finally:
        logger.remove_keys(["request_id", "path", "method"])
