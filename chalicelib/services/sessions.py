"""Server-side sessions: an opaque cookie token, stored only as an HMAC, 4 hours absolute lifetime."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.roles import PrincipalKind
from chalicelib.models.base import utcnow
from chalicelib.models.users import Session
from chalicelib.settings import get_settings

COOKIE_NAME = "korrigo_session"


def session_key(token: str) -> str:
    """The stored key of a session token (a leaked table does not leak live cookies)."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def open_session(principal_id: str, kind: PrincipalKind, ip: str | None) -> tuple[str, Session]:
    """Create a session; returns the cookie token (shown once) and the stored session."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(seconds=get_settings().session_lifetime_seconds)
    session = Session(
        session_key(token),
        principal_id=principal_id,
        kind=str(kind),
        csrf_token=secrets.token_urlsafe(32),
        ip=ip or "",
        created_at=now,
        expires_at=expires,
        ttl=expires,
    )
    session.save(condition=Session.id.does_not_exist())
    return token, session


def find_session(token: str) -> Session | None:
    """The live session of ``token``, or None when unknown or past its absolute lifetime."""
    if not token or len(token) > 128:
        return None
    try:
        session = Session.get(session_key(token), consistent_read=True)
    except DoesNotExist:
        return None
    if session.expires_at <= utcnow():
        session.delete()
        return None
    return session


def revoked(session: Session, valid_after: datetime | None) -> bool:
    """True when ``session`` was opened before its account's "sessions valid after" time.

    Password resets, disabling and revocations set that time on the account, so every older session
    ends at once, even one that the sessions index (eventually consistent) did not list for deletion.
    """
    return valid_after is not None and session.created_at < valid_after


def close_session(session_id: str) -> None:
    """Revoke one session (logout)."""
    Session(session_id).delete()


def close_all_sessions(principal_id: str, *, keep: str | None = None) -> int:
    """Delete the sessions of an account that the index lists, except ``keep`` (returns how many).

    The index may lag: callers also set the account's ``sessions_valid_after`` (see ``revoked``).
    """
    closed = 0
    with Session.batch_write() as batch:
        for session in Session.principal_index.query(principal_id):
            if session.id != keep:
                batch.delete(session)
                closed += 1
    return closed
