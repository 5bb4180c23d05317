"""A short exclusive section across processes (e.g. one dispatch per exam at a time)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.errors import Conflict
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.grading import Lock
from chalicelib.services import locks


@contextmanager
def exclusive(
    name: str, *, holder: str, busy: str = "Busy; try again in a moment.", seconds: int = 60
) -> Iterator[None]:
    """Hold ``name`` for the block; 409 when another holder has it and it has not expired."""
    now = utcnow()
    token = secrets.token_hex(16)
    expires = now + timedelta(seconds=seconds)
    try:
        Lock(
            name,
            token=token,
            holder_id=holder,
            holder_name=holder,
            acquired_at=now,
            expires_at=expires,
            ttl=expires,
        ).save(condition=locks.free_condition(now))
    except PutError as error:
        if condition_failed(error):
            raise Conflict(busy, reason="busy") from error
        raise
    try:
        yield
    finally:
        try:
            Lock(name).delete(condition=Lock.token == token)
        except DeleteError as error:
            if not condition_failed(error):
                raise
