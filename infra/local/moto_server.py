"""moto's server with DynamoDB writes serialised, as DynamoDB serialises them.

moto checks a write's or a transaction's conditions and then applies it without a lock (and rolls a
failed transaction back by restoring whole-table snapshots), so two concurrent requests can both pass
a condition that only one may pass. One process-wide lock around every DynamoDB write restores the
all-or-nothing, one-winner semantics the application relies on. Reads stay unlocked.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

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


if __name__ == "__main__":
    serialise_dynamodb_writes()
    sys.exit(main())
