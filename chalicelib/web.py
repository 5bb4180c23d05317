"""The HTTP edge: the ``endpoint`` decorator (access + parsing + error mapping) and responses."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib import access as access_rules
from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import BadRequest, Forbidden, KorrigoError, PayloadTooLarge, UnsupportedMediaType
from chalicelib.observability import logger
from chalicelib.services import auth, sessions
from chalicelib.settings import get_settings

BodyT = TypeVar("BodyT", bound=BaseModel)
MAX_JSON_DEPTH = 24  # objects and arrays nested in a body; DynamoDB refuses documents past 32 levels
_TOO_DEEP = f"The body is nested too deeply (at most {MAX_JSON_DEPTH} levels of objects and arrays)."
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class RequestContext:
    """What a route handler gets: the request, its id and origin, and the authorised principal."""

    request: Request
    request_id: str
    origin: Origin
    principal: Principal | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def caller(self) -> Principal:
        """The signed-in principal (routes that are not public always have one)."""
        if self.principal is None:
            raise Forbidden("Sign in first.", reason="not_signed_in")
        return self.principal

    def body(self, model: type[BodyT]) -> BodyT:
        """The JSON body validated against ``model``: 400 naming the bad fields, 415, 413."""
        content_type = (self.request.headers.get("content-type") or "").split(";")[0].strip()
        if content_type != "application/json":
            raise UnsupportedMediaType("Send the body as application/json.", reason="json_required")
        raw = self.request.raw_body or b""
        if len(raw) > get_settings().max_json_body_bytes:
            raise PayloadTooLarge("The request body is too large.", reason="body_too_large")
        try:
            data = json.loads(raw or b"null")
        except RecursionError as error:  # the C parser's own guard, far past MAX_JSON_DEPTH
            raise BadRequest(_TOO_DEEP, reason="body_too_deep", params={"max": MAX_JSON_DEPTH}) from error
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest("The body is not valid JSON.", reason="invalid_json") from error
        if json_depth(data) > MAX_JSON_DEPTH:
            raise BadRequest(_TOO_DEEP, reason="body_too_deep", params={"max": MAX_JSON_DEPTH})
        if not isinstance(data, dict):
            raise BadRequest("The body must be a JSON object.", reason="body_not_object")
        try:
            return model.model_validate(data)
        except ValidationError as error:
            fields = _fields(error)
            first = fields[0] if fields else {"reason": "invalid_value", "params": {"field": "body"}}
            raise BadRequest(
                _describe(error), reason=first["reason"], params=first["params"], extra={"fields": fields}
            ) from error

    def query(self, name: str) -> str | None:
        """One query-string parameter, or None."""
        return (self.request.query_params or {}).get(name)

    def cookie(self, name: str) -> str | None:
        """A request cookie's value, or None."""
        jar = SimpleCookie()
        try:
            jar.load(self.request.headers.get("cookie") or "")
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None


def json_depth(value: Any) -> int:
    """How many objects and arrays are nested in a parsed JSON value (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


# pydantic's error type → (reason, {param: the ``ctx`` value it comes from}); other types: invalid_value.
_FIELD_REASONS: dict[str, tuple[str, dict[str, str]]] = {
    "missing": ("field_required", {}),
    "int_parsing": ("not_a_number", {}),
    "int_type": ("not_a_number", {}),
    "float_parsing": ("not_a_number", {}),
    "float_type": ("not_a_number", {}),
    "finite_number": ("not_a_number", {}),
    "decimal_parsing": ("not_a_number", {}),
    "decimal_type": ("not_a_number", {}),
    "int_from_float": ("not_a_whole_number", {}),
    "string_type": ("not_text", {}),
    "bool_parsing": ("not_yes_no", {}),
    "bool_type": ("not_yes_no", {}),
    "string_too_long": ("too_long", {"max": "max_length"}),
    "string_too_short": ("too_short", {"min": "min_length"}),
    "too_long": ("too_many_items", {"max": "max_length"}),
    "too_short": ("too_few_items", {"min": "min_length"}),
    "greater_than_equal": ("number_at_least", {"min": "ge"}),
    "greater_than": ("number_above", {"min": "gt"}),
    "less_than_equal": ("number_at_most", {"max": "le"}),
    "less_than": ("number_below", {"max": "lt"}),
    "literal_error": ("invalid_choice", {"expected": "expected"}),
    "enum": ("invalid_choice", {"expected": "expected"}),
    "extra_forbidden": ("unknown_field", {}),
}


def _fields(error: ValidationError) -> list[dict[str, Any]]:
    """One entry per invalid field: its dotted path, pydantic's English message, and the stable
    ``reason`` with the ``params`` (``field`` and the limit) the SPA words it with."""
    fields = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        reason, wanted = _FIELD_REASONS.get(item["type"], ("invalid_value", {}))
        ctx = item.get("ctx") or {}
        params: dict[str, Any] = {"field": name}
        for param, key in wanted.items():
            value = ctx.get(key)
            params[param] = value if isinstance(value, int | float | str) else str(value)
        fields.append({"field": name, "message": item["msg"], "reason": reason, "params": params})
    return fields


def _describe(error: ValidationError) -> str:
    return "Invalid request: " + "; ".join(f"{f['field']}: {f['message']}" for f in _fields(error))


def client_ip(request: Request) -> str | None:
    """The caller's IP (API Gateway's source IP; the first forwarded hop behind the local gateway)."""
    if get_settings().trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return ((request.context or {}).get("identity") or {}).get("sourceIp")


def request_id_of(request: Request) -> str:
    """API Gateway's request id, or a fresh one (local mode); stored on the request for reuse."""
    existing = getattr(request, "korrigo_request_id", None)
    if existing:
        return existing
    request_id = (request.context or {}).get("requestId") or uuid.uuid4().hex
    request.korrigo_request_id = request_id  # type: ignore[attr-defined]
    return request_id


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(
        body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def empty_response(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    """A response without a body (204)."""
    return Response(body="", status_code=status, headers=headers or {})


def csv_response(filename: str, data: bytes) -> Response:
    """A UTF-8 CSV file as a download (``no-store``, like every API response)."""
    return Response(
        body=data.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def error_response(error: KorrigoError) -> Response:
    """The JSON error response of a domain error."""
    return json_response(error.body(), error.status, error.headers)


def internal_error_response(request_id: str) -> Response:
    """The 500 response: no stack trace, the request id to quote to support."""
    return json_response(
        {
            "error": {
                "code": "internal_error",
                "message": f"An unexpected error occurred (request id {request_id}).",
            }
        },
        500,
    )


def session_cookie(token: str) -> str:
    """The session cookie: no Expires/Max-Age (ends with the browser), HttpOnly, SameSite=Strict."""
    secure = "; Secure" if get_settings().cookie_secure else ""
    return f"{sessions.COOKIE_NAME}={token}; Path=/api; HttpOnly; SameSite=Strict{secure}"


def cleared_session_cookie() -> str:
    """A cookie header that makes the browser forget the session cookie."""
    secure = "; Secure" if get_settings().cookie_secure else ""
    return (
        f"{sessions.COOKIE_NAME}=; Path=/api; HttpOnly; SameSite=Strict{secure}; "
        "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    )


Handler = Callable[..., Any]


def endpoint(
    blueprint: Blueprint,
    path: str,
    *,
    methods: list[str],
    access: access_rules.Access,
    content_types: list[str] | None = None,
) -> Callable[[Handler], Handler]:
    """Register ``handler(ctx, **path_params)`` on ``path`` behind ``access``.

    The wrapper resolves the session, applies the access rule (401/403, CSRF), maps domain errors
    to JSON responses and unexpected ones to a 500 carrying the request id.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def view(**path_params: str) -> Response:
            request = blueprint.current_request
            request_id = request_id_of(request)
            ctx = RequestContext(request, request_id, Origin(ip=client_ip(request), request_id=request_id))
            try:
                principal = None if access.public else auth.resolve(ctx.cookie(sessions.COOKIE_NAME))
                ctx.principal = access_rules.authorise(
                    access, principal, request.method, request.headers.get("x-csrf-token")
                )
                result = handler(ctx, **path_params)
            except KorrigoError as error:
                return error_response(error)
            except Exception:  # noqa: BLE001 - the edge turns every surprise into a clean 500
                logger.exception("unhandled error", extra={"path": request.path})
                return internal_error_response(request_id)
            response = result if isinstance(result, Response) else json_response(result)
            response.headers.update(ctx.response_headers)
            return response

        view.korrigo_access = access  # type: ignore[attr-defined]
        blueprint.route(path, methods=methods, content_types=content_types or ["application/json"])(view)
        return handler

    return decorate
