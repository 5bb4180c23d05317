"""Server-side sessions: an opaque cookie token, stored only as an HMAC, 4 hours absolute lifetime.

A token names its account, ``{kind tag}{account id}.{random}`` (e.g. ``s3f2c….Qx9…``), so a request
reads the session and the account it needs in one round trip (``auth.resolve``). The stored key is the
HMAC of the whole token: changing its account part changes the key, so a forged one finds no session.
Tokens of the earlier form (the random part alone) are still accepted until they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.roles import PrincipalKind
from chalicelib.models.base import utcnow
from chalicelib.models.users import Session
from chalicelib.settings import get_settings

COOKIE_NAME = "korrigo_session"
MAX_TOKEN_LENGTH = 128
_KIND_TAGS = {PrincipalKind.STAFF: "s", PrincipalKind.STUDENT: "t"}
_KINDS = {tag: kind for kind, tag in _KIND_TAGS.items()}
_TOKEN = re.compile(r"([st])([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43,})")
_LEGACY_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class TokenClaim:
    """What a token says about itself: the account it was opened for (checked against the session)."""

    kind: PrincipalKind
    principal_id: str


def session_key(token: str) -> str:
    """The stored key of a session token (a leaked table does not leak live cookies)."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def claim_of(token: str) -> TokenClaim | None:
    """The account a token names, or None for a malformed token or one of the earlier form."""
    match = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
    return TokenClaim(_KINDS[match[1]], match[2]) if match else None


def is_legacy(token: str) -> bool:
    """True for a token of the earlier form (no account part), opened before tokens named their account."""
    return _LEGACY_TOKEN.fullmatch(token) is not None


def new_token(principal_id: str, kind: PrincipalKind) -> str:
    """A fresh cookie token naming its account; 32 random bytes make it unguessable."""
    token = f"{_KIND_TAGS[kind]}{principal_id}.{secrets.token_urlsafe(32)}"
    if claim_of(token) != TokenClaim(kind, principal_id):
        raise ValueError("An account id a session token cannot carry.")
    return token


def open_session(principal_id: str, kind: PrincipalKind, ip: str | None) -> tuple[str, Session]:
    """Create a session; returns the cookie token (shown once) and the stored session."""
    token = new_token(principal_id, kind)
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


def live(session: Session | None) -> Session | None:
    """``session`` while within its absolute lifetime; an expired one is deleted and gives None."""
    if session is None:
        return None
    if session.expires_at <= utcnow():
        session.delete()
        return None
    return session


def find_session(token: str) -> Session | None:
    """The live session of ``token`` (one read), or None when unknown or past its absolute lifetime."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        session = Session.get(session_key(token), consistent_read=True)
    except DoesNotExist:
        return None
    return live(session)


def revoked(session: Session, valid_after: datetime | None) -> bool:
    """True when ``session`` was opened before its account's "sessions valid after" time.

    Password resets, disabling, role changes and revocations set that time on the account, so every
    older session ends at once, even one that the sessions index (eventually consistent) did not list.
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
