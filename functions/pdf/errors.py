"""The one exception the ingest turns into a FAILED upload."""

from __future__ import annotations

from typing import Any


class ScanRejected(Exception):
    """The scan cannot be processed; ``message`` is an English sentence the admin can act on.

    Raised for problems of the file itself (not a PDF, encrypted, damaged, too big, a page count that does
    not fit the exam layout, a page that cannot be rendered within the limits). Retrying will not help, so
    the caller marks the upload FAILED with the message, its stable ``reason`` code and ``params`` (the SPA
    words the reason in the user's language). Any other exception is an infrastructure problem (disk full,
    a bug) that may be retried.
    """

    def __init__(self, message: str, reason: str | None = None, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.params = dict(params or {})

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with reason and params (the rejection crosses the sandbox boundary)."""
        return (type(self), (self.message, self.reason, self.params))


def short_error(exc: BaseException) -> str:
    """One line of an exception's message for a reason sentence (MuPDF's "code=N: " prefix removed)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if text.startswith("code=") and ": " in text:
        text = text.split(": ", 1)[1]
    return text[:160]
