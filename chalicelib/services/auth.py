"""Sign-in, sign-out, password changes and resolving a session cookie into a principal."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.domain import sign_in
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.errors import Conflict, TooManyRequests, Unauthenticated, ValidationFailed
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import Student
from chalicelib.models.users import Session, UniqueValue, User
from chalicelib.observability import count_throttled_sign_in
from chalicelib.services import audit, passwords, ratelimit, sessions
from chalicelib.settings import get_settings

INVALID_CREDENTIALS = "Invalid credentials."
THROTTLED = "Too many failed sign-in attempts. Try again later."
MAX_IDENTIFIER_LENGTH = 254


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the principal, its cookie token and the account record."""

    principal: Principal
    token: str
    account: User | Student


def _claimed(claim: str, model: type[Model]) -> Any:
    """The account owning a unique-value claim (consistent reads, no index lag), or None."""
    try:
        owner_id = UniqueValue.get(claim, consistent_read=True).owner_id
        return model.get(owner_id, consistent_read=True)
    except DoesNotExist:
        return None


def _normalised(identifier: str) -> str | None:
    value = identifier.strip().lower()
    return value if 0 < len(value) <= MAX_IDENTIFIER_LENGTH else None


def find_staff(identifier: str) -> User | None:
    """The staff account whose username or e-mail is ``identifier`` (case-insensitive)."""
    value = _normalised(identifier)
    if value is None:
        return None
    return _claimed(f"email#{value}" if "@" in value else f"username#{value}", User)


def find_student(identifier: str) -> Student | None:
    """The student whose e-mail or generated sign-in id is ``identifier`` (case-insensitive)."""
    value = _normalised(identifier)
    if value is None:
        return None
    return _claimed(f"student-email#{value}" if "@" in value else f"student-login#{value}", Student)


def account_throttle_key(kind: PrincipalKind, account_id: str) -> str:
    """The sign-in failure counter of one account, whatever identifier was typed."""
    return f"login:{kind}:{account_id}"


def _unknown_throttle_key(kind: PrincipalKind, identifier: str) -> str:
    # An identifier that names no account gets a counter of its own (the answers look the same), keyed
    # by a keyed hash: it may be a password typed into the wrong field.
    secret = get_settings().secret_key.encode()
    digest = hmac.new(secret, identifier.strip().lower().encode(), hashlib.sha256).hexdigest()[:40]
    return f"login:{kind}:unknown:{digest}"


def _address_throttle_key(ip: str | None) -> str:
    return f"login:ip:{ip or 'unknown'}"


def clear_sign_in_failures(kind: PrincipalKind, account_id: str) -> None:
    """Forget an account's failed sign-ins (after a successful one, or an admin's password reset)."""
    ratelimit.reset(account_throttle_key(kind, account_id))


def _failure_reason(account: User | Student | None, verified: bool) -> str | None:
    if account is None:
        return "unknown_account"
    if not verified:
        return "wrong_password"
    return sign_in.account_blocker(account, utcnow())


def _sign_in(
    kind: PrincipalKind,
    identifier: str,
    password: str,
    account: User | Student | None,
    origin: Origin,
) -> SignedIn:
    """Take an attempt of the account's budget atomically, then verify; see ``staff_login``."""
    settings = get_settings()
    key = account_throttle_key(kind, account.id) if account else _unknown_throttle_key(kind, identifier)
    # The typed identifier is recorded only when it names an account (it may be a password otherwise).
    named: dict[str, Any] = {"identifier": identifier.strip().lower()} if account else {}
    failure = {
        "actor_id": account.id if account else None,
        "target_type": str(kind) if account else None,
        "target_id": account.id if account else None,
    }
    wait = ratelimit.attempt(
        key,
        settings.login_max_failures,
        settings.login_window_seconds,
        max_window_seconds=settings.login_max_lockout_seconds,
    )
    if wait:
        reason = "account_throttled" if account else "unknown_account"
        audit.record(
            f"{kind}.login",
            outcome="throttled",
            origin=origin,
            metadata={**named, "reason": reason, "retry_after": wait},
            **failure,
        )
        count_throttled_sign_in()
        raise TooManyRequests(THROTTLED, retry_after=wait)
    verified = passwords.verify_password(account.password_hash if account else None, password)
    reason = _failure_reason(account, verified)
    if account is None or reason is not None:
        _refuse(kind, origin, {**named, "reason": reason or "unknown_account"}, failure)
    clear_sign_in_failures(kind, account.id)
    token, session = sessions.open_session(account.id, kind, origin.ip)
    principal = _principal(account, kind, session)
    audit.record(f"{kind}.login", actor=principal, origin=origin, target_type=str(kind), target_id=account.id)
    return SignedIn(principal, token, account)


def _refuse(
    kind: PrincipalKind, origin: Origin, metadata: dict[str, Any], failure: dict[str, Any]
) -> NoReturn:
    """Count a failure against the source address; 401, or 429 once the address is past its limit.

    The address limit never stops a correct password: it is only consulted after a failure.
    """
    settings = get_settings()
    window = settings.login_window_seconds
    address_key = _address_throttle_key(origin.ip)
    failures = ratelimit.hit(address_key, window) if settings.rate_limit_enabled else 0
    throttled = failures > settings.login_max_failures_per_ip
    if throttled:
        metadata = {**metadata, "address_throttled": True}
    audit.record(
        f"{kind}.login",
        outcome="throttled" if throttled else "failure",
        origin=origin,
        metadata=metadata,
        **failure,
    )
    if throttled:
        wait = ratelimit.retry_after(address_key, settings.login_max_failures_per_ip, window)
        count_throttled_sign_in()
        raise TooManyRequests(THROTTLED, retry_after=wait or window)
    raise Unauthenticated(INVALID_CREDENTIALS, reason="invalid_credentials")


def staff_login(identifier: str, password: str, origin: Origin) -> SignedIn:
    """Sign a staff member in by username or e-mail.

    Generic 401 for unknown accounts, wrong passwords and disabled accounts; 429 + Retry-After once the
    account used up its failures (counted before the password is checked, per account).
    """
    return _sign_in(PrincipalKind.STAFF, identifier, password, find_staff(identifier), origin)


def student_login(identifier: str, password: str, origin: Origin) -> SignedIn:
    """Sign a student in by e-mail or generated sign-in id; same rules as ``staff_login``.

    An initial password never changed stops working after ``initial_password_expires_at``.
    """
    return _sign_in(PrincipalKind.STUDENT, identifier, password, find_student(identifier), origin)


def _principal(account: User | Student, kind: PrincipalKind, session: Session) -> Principal:
    if isinstance(account, User):
        role, name = Role(account.role), account.username
    else:
        role, name = Role.STUDENT, f"{account.first_name} {account.last_name}"
    return Principal(
        id=account.id,
        kind=kind,
        role=role,
        display_name=name,
        session_id=session.id,
        csrf_token=session.csrf_token,
        must_change_password=bool(account.must_change_password),
    )


def _account_model(kind: PrincipalKind) -> type[User] | type[Student]:
    return User if kind is PrincipalKind.STAFF else Student


def load_account(kind: PrincipalKind, principal_id: str) -> User | Student | None:
    """The account behind a principal id, or None when it no longer exists."""
    try:
        return _account_model(kind).get(principal_id, consistent_read=True)
    except DoesNotExist:
        return None


def resolve(token: str | None) -> Principal | None:
    """The principal of a session cookie: None when the session is unknown, expired, revoked or disabled.

    The token names its account, so the session and the account come in one read (one round trip);
    a token of the earlier form (no account part) costs two until it expires.
    """
    token = token or ""
    claim = sessions.claim_of(token)
    if claim is not None:
        stored, found = aws.batch_get(
            Session(sessions.session_key(token)), _account_model(claim.kind)(claim.principal_id)
        )
        session = sessions.live(cast("Session | None", stored))
        account = cast("User | Student | None", found)
        if session is None or (session.principal_id, session.kind) != (claim.principal_id, str(claim.kind)):
            return None
    elif sessions.is_legacy(token):
        session = sessions.find_session(token)
        if session is None:
            return None
        account = load_account(PrincipalKind(session.kind), session.principal_id)
    else:
        return None
    return _checked(session, account)


def _checked(session: Session, account: User | Student | None) -> Principal | None:
    """The principal of a live session, unless its account is gone, disabled or revoked it (then closed).

    A session in use slides forward (``sessions.extend``: a write only every few minutes).
    """
    if account is None or not account.active or sessions.revoked(session, account.sessions_valid_after):
        sessions.close_session(session.id)
        return None
    sessions.note_expiry(sessions.extend(session))
    return _principal(account, PrincipalKind(session.kind), session)


def logout(principal: Principal, origin: Origin) -> None:
    """Revoke the caller's session."""
    sessions.close_session(principal.session_id)
    sessions.note_expiry(None)
    audit.record(
        f"{principal.kind}.logout",
        actor=principal,
        origin=origin,
        target_type=str(principal.kind),
        target_id=principal.id,
    )


def personal_words(account: User | Student) -> tuple[str, ...]:
    """Words a password of ``account`` must not resemble."""
    if isinstance(account, User):
        return (account.username, account.email)
    words = (account.email, account.login_id, account.first_name, account.last_name)
    return tuple(word for word in words if word)


def change_password(principal: Principal, current: str, new: str, origin: Origin) -> str:
    """Change the caller's own password (current one required); returns a fresh session token.

    Every session of the account, the caller's included, predates the change and is revoked (also the
    ones an index lagging behind would miss); the caller stays signed in through the new session.
    """
    settings = get_settings()
    ratelimit.consume(
        f"password-change:{principal.id}",
        settings.password_change_max,
        settings.password_change_window_seconds,
        "Too many password changes. Try again later.",
    )
    account = load_account(principal.kind, principal.id)
    if account is None or not passwords.verify_password(account.password_hash, current):
        audit.record(
            "password.change",
            actor=principal,
            origin=origin,
            outcome="failure",
            target_type=str(principal.kind),
            target_id=principal.id,
            metadata={"reason": "wrong_current_password"},
        )
        raise Unauthenticated("The current password is not correct.", reason="current_password_wrong")
    passwords.require_acceptable(new, personal=personal_words(account))
    if new == current:
        raise ValidationFailed(
            "The new password must differ from the current one.",
            reason="password_unchanged",
        )
    model = type(account)
    actions = [
        model.password_hash.set(passwords.hash_password(new)),
        model.must_change_password.set(False),
        model.sessions_valid_after.set(utcnow()),
        model.updated_at.set(utcnow()),
        model.version.add(1),
    ]
    if isinstance(account, Student):
        actions.append(Student.initial_password_expires_at.remove())
    try:
        account.update(actions=actions, condition=model.version == account.version)
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict("The account changed meanwhile; try again.", reason="account_changed") from error
        raise
    sessions.close_all_sessions(principal.id)
    token, _ = sessions.open_session(principal.id, principal.kind, origin.ip)
    audit.record(
        "password.change",
        actor=principal,
        origin=origin,
        target_type=str(principal.kind),
        target_id=principal.id,
    )
    return token
