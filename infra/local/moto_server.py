"""moto's server with DynamoDB writes serialised, as DynamoDB serialises them.

moto checks a write's or a transaction's conditions and then applies it without a lock (and rolls a
failed transaction back by restoring whole-table snapshots), so two concurrent requests can both pass
a condition that only one may pass. One process-wide lock around every DynamoDB write restores the
all-or-nothing, one-winner semantics the application relies on. Reads stay unlocked.

Its request log (werkzeug's lines) is redacted: the gateway forwards pre-signed reads with their
signature and credential in the query string, and a log must not keep a working link.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

from chalicelib.observability import RedactingFilter

_WRITES = threading.RLock()
WRITE_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items")


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _WRITES:
            return method(*args, **kwargs)

    return locked


def serialise_dynamodb_writes() -> None:
    """Wrap moto's DynamoDB write methods in one re-entrant lock (idempotent)."""
    for name in WRITE_METHODS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "korrigo_serialised", False):
            wrapped = _serialised(method)
            wrapped.korrigo_serialised = True  # type: ignore[attr-defined]
            setattr(DynamoDBBackend, name, wrapped)


def redact_request_log() -> None:
    """Redact signatures and credentials from the server's request lines (idempotent)."""
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(existing, RedactingFilter) for existing in werkzeug.filters):
        werkzeug.addFilter(RedactingFilter())


if __name__ == "__main__":
    serialise_dynamodb_writes()
    redact_request_log()
    sys.exit(main())
