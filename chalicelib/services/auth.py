"""Sign-in, sign-out, password changes and resolving a session cookie into a principal."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.errors import Conflict, Unauthenticated, ValidationFailed
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import Student
from chalicelib.models.users import Session, User
from chalicelib.services import audit, passwords, ratelimit, sessions
from chalicelib.settings import get_settings

INVALID_CREDENTIALS = "Invalid credentials."
THROTTLED = "Too many failed sign-in attempts. Try again later."


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the principal, its cookie token and the account record."""

    principal: Principal
    token: str
    account: User | Student


def find_staff(identifier: str) -> User | None:
    """The staff account whose username or e-mail is ``identifier`` (case-insensitive)."""
    value = identifier.strip().lower()
    index = User.email_index if "@" in value else User.username_index
    return next(iter(index.query(value, limit=1)), None)


def find_student_by_email(email: str) -> Student | None:
    """The student whose e-mail is ``email`` (case-insensitive)."""
    return next(iter(Student.email_index.query(email.strip().lower(), limit=1)), None)


def _throttle_keys(kind: PrincipalKind, identifier: str, ip: str | None) -> list[str]:
    return [f"login:ip:{ip or 'unknown'}", f"login:{kind}:{identifier.strip().lower()}"]


def _sign_in(
    kind: PrincipalKind,
    identifier: str,
    password: str,
    account: User | Student | None,
    origin: Origin,
) -> SignedIn:
    settings = get_settings()
    keys = _throttle_keys(kind, identifier, origin.ip)
    for key in keys:
        ratelimit.check(key, settings.login_max_failures, settings.login_window_seconds, THROTTLED)
    verified = passwords.verify_password(account.password_hash if account else None, password)
    if not verified or account is None or not account.active:
        for key in keys:
            if settings.rate_limit_enabled:
                ratelimit.hit(key, settings.login_window_seconds)
        audit.record(
            f"{kind}.login",
            outcome="failure",
            origin=origin,
            actor_id=account.id if account else None,
            metadata={"identifier": identifier[:200], "reason": _failure_reason(account, verified)},
        )
        raise Unauthenticated(INVALID_CREDENTIALS)
    ratelimit.reset(keys[1])
    token, session = sessions.open_session(account.id, kind, origin.ip)
    principal = _principal(account, kind, session)
    audit.record(f"{kind}.login", actor=principal, origin=origin, target_type=str(kind), target_id=account.id)
    return SignedIn(principal, token, account)


def _failure_reason(account: User | Student | None, verified: bool) -> str:
    if account is None:
        return "unknown_account"
    if not verified:
        return "wrong_password"
    return "disabled"


def staff_login(identifier: str, password: str, origin: Origin) -> SignedIn:
    """Sign a staff member in by username or e-mail; generic 401, 429 after repeated failures."""
    return _sign_in(PrincipalKind.STAFF, identifier, password, find_staff(identifier), origin)


def student_login(email: str, password: str, origin: Origin) -> SignedIn:
    """Sign a student in by e-mail; generic 401, 429 after repeated failures."""
    return _sign_in(PrincipalKind.STUDENT, email, password, find_student_by_email(email), origin)


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


def load_account(kind: PrincipalKind, principal_id: str) -> User | Student | None:
    """The account behind a principal id, or None when it no longer exists."""
    model: type[Model] = User if kind is PrincipalKind.STAFF else Student
    try:
        return model.get(principal_id, consistent_read=True)
    except DoesNotExist:
        return None


def resolve(token: str | None) -> Principal | None:
    """The principal of a session cookie: None when the session is unknown, expired or disabled."""
    session = sessions.find_session(token or "")
    if session is None:
        return None
    kind = PrincipalKind(session.kind)
    account = load_account(kind, session.principal_id)
    if account is None or not account.active:
        sessions.close_session(session.id)
        return None
    return _principal(account, kind, session)


def logout(principal: Principal, origin: Origin) -> None:
    """Revoke the caller's session."""
    sessions.close_session(principal.session_id)
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
    return tuple(word for word in (account.email, account.first_name, account.last_name) if word)


def change_password(principal: Principal, current: str, new: str, origin: Origin) -> None:
    """Change the caller's own password (current one required); other sessions are revoked."""
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
        raise Unauthenticated("The current password is not correct.")
    passwords.require_acceptable(new, personal=personal_words(account))
    if new == current:
        raise ValidationFailed("The new password must differ from the current one.")
    model = type(account)
    try:
        account.update(
            actions=[
                model.password_hash.set(passwords.hash_password(new)),
                model.must_change_password.set(False),
                model.updated_at.set(utcnow()),
                model.version.add(1),
            ],
            condition=model.version == account.version,
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict("The account changed meanwhile; try again.") from error
        raise
    sessions.close_all_sessions(principal.id, keep=principal.session_id)
    audit.record(
        "password.change",
        actor=principal,
        origin=origin,
        target_type=str(principal.kind),
        target_id=principal.id,
    )
