"""Server-side sessions: an opaque cookie token, stored only as an HMAC; sliding, with an absolute cap.

A session ends ``session_idle_seconds`` (4 h) after its last extension and never later than
``session_max_seconds`` (12 h) after sign-in. Activity slides it: a request whose session was last
extended more than ``session_extend_after_seconds`` (5 min) ago moves ``expires_at`` (and the TTL)
forward with ONE conditional update (``extend``); every other request writes nothing. The request's
session end is kept per thread (``request_expiry``) for the ``X-Session-Expires`` response header.

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
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.roles import PrincipalKind
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.users import Session
from chalicelib.settings import get_settings

COOKIE_NAME = "korrigo_session"
MAX_TOKEN_LENGTH = 128
_KIND_TAGS = {PrincipalKind.STAFF: "s", PrincipalKind.STUDENT: "t"}
_KINDS = {tag: kind for kind, tag in _KIND_TAGS.items()}
_TOKEN = re.compile(r"([st])([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43,})")
_LEGACY_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_REQUEST = threading.local()  # chalice local serves requests in threads: one expiry per thread


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


def cap_of(session: Session) -> datetime:
    """The absolute end of a session: ``session_max_seconds`` after sign-in, however active."""
    return session.created_at + timedelta(seconds=get_settings().session_max_seconds)


def deadline(session: Session, now: datetime) -> datetime:
    """Where activity at ``now`` moves the session's end: idle timeout from now, never past the cap."""
    return min(now + timedelta(seconds=get_settings().session_idle_seconds), cap_of(session))


def _extend_after() -> timedelta:
    """How long an extension lasts before the next one; at most a quarter of the idle timeout."""
    settings = get_settings()
    return timedelta(seconds=min(settings.session_extend_after_seconds, settings.session_idle_seconds / 4))


def open_session(principal_id: str, kind: PrincipalKind, ip: str | None) -> tuple[str, Session]:
    """Create a session; returns the cookie token (shown once) and the stored session."""
    token = new_token(principal_id, kind)
    now = utcnow()
    session = Session(
        session_key(token),
        principal_id=principal_id,
        kind=str(kind),
        csrf_token=secrets.token_urlsafe(32),
        ip=ip or "",
        created_at=now,
    )
    session.expires_at = session.ttl = deadline(session, now)
    session.save(condition=Session.id.does_not_exist())
    note_expiry(session.expires_at)
    return token, session


def live(session: Session | None) -> Session | None:
    """``session`` while within its idle timeout and its cap; an ended one is deleted and gives None."""
    if session is None:
        return None
    now = utcnow()
    if min(session.expires_at, cap_of(session)) <= now:
        session.delete()
        return None
    return session


def extend(session: Session) -> datetime:
    """Slide a live session's end forward after activity; returns its end (written or not).

    Writes only when the last extension is older than ``_extend_after`` (so at most one write per
    session every few minutes, none on most requests), never past the cap. The update is conditional
    on the end it read: of racing requests one writes, the others keep the end they read (still
    valid), and a session deleted meanwhile (sign-out) is never recreated.
    """
    now = utcnow()
    new_end = deadline(session, now)
    if new_end - session.expires_at < _extend_after():
        return session.expires_at
    seen = session.expires_at
    try:
        session.update(
            actions=[Session.expires_at.set(new_end), Session.ttl.set(new_end)],
            condition=Session.expires_at == seen,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
    return session.expires_at


def note_expiry(expires_at: datetime | None) -> None:
    """Remember the end of the session this request uses (None: no session, e.g. after sign-out)."""
    _REQUEST.expiry = expires_at


def request_expiry() -> datetime | None:
    """The end of the session the current request resolved or opened, if any."""
    return getattr(_REQUEST, "expiry", None)


def iso_utc(moment: datetime) -> str:
    """``2026-11-30T14:05:00Z``: a session end as every browser's ``Date.parse`` reads it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_session(token: str) -> Session | None:
    """The live session of ``token`` (one read), or None when unknown or ended (idle or past its cap)."""
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
