"""Domain errors and their HTTP mapping: ``{"error": {"code", "message"}}`` with the right status."""

from __future__ import annotations

from typing import Any


class KorrigoError(Exception):
    """Base of every error the API turns into a JSON error response."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.params = params or {}
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response: the stable ``code``, the English ``message``, and,
        when known, the precise ``reason`` (a stable identifier the SPA words in the user's language)
        with the ``params`` its sentence uses."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.reason:
            error["reason"] = self.reason
        if self.params:
            error["params"] = self.params
        return {"error": error, **self.extra}


class BadRequest(KorrigoError):
    status, code = 400, "bad_request"


class ValidationFailed(KorrigoError):
    status, code = 400, "validation_error"


class Unauthenticated(KorrigoError):
    status, code = 401, "unauthenticated"


class Forbidden(KorrigoError):
    status, code = 403, "forbidden"


class NotFound(KorrigoError):
    status, code = 404, "not_found"


class Conflict(KorrigoError):
    status, code = 409, "conflict"


class PayloadTooLarge(KorrigoError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(KorrigoError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(KorrigoError):
    status, code = 422, "unprocessable"


class TooManyRequests(KorrigoError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        # No ``reason``: the SPA words every 429 itself, with the wait from ``Retry-After``.
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)
