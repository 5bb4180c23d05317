"""Staff account management by admins: create, list, disable/enable, change a role, reset a password.

Disabling, a role change and a password reset end the account's sessions at once: they set its
``sessions_valid_after`` (see ``sessions.revoked``) and delete the sessions the index lists.
"""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import STAFF_ROLES, PrincipalKind, Role
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.users import UniqueValue, User
from chalicelib.services import audit, auth, passwords, sessions


def serialise(user: User) -> dict[str, Any]:
    """The API shape of a staff account (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "active": bool(user.active),
        "must_change_password": bool(user.must_change_password),
        "created_at": user.created_at.isoformat(),
    }


def get_user(user_id: str) -> User:
    """The staff account ``user_id`` or 404."""
    try:
        return User.get(user_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such user.", reason="user_not_found") from error


def create_user(
    *,
    username: str,
    email: str,
    password: str,
    role: Role,
    must_change_password: bool,
    actor: Principal | None,
    origin: Origin,
) -> User:
    """Create a staff account; username and e-mail are claimed in the same transaction (409 if taken)."""
    username, email = username.strip().lower(), email.strip().lower()
    if role not in STAFF_ROLES:
        raise Conflict("Staff accounts are admins or teachers.", reason="staff_role_invalid")
    passwords.require_acceptable(password, personal=(username, email))
    user = User(
        uuid.uuid4().hex,
        username=username,
        email=email,
        role=str(role),
        password_hash=passwords.hash_password(password),
        must_change_password=must_change_password,
    )
    try:
        with aws.transact_write() as transaction:
            transaction.save(user, condition=User.id.does_not_exist())
            for claim in (f"username#{username}", f"email#{email}"):
                transaction.save(
                    UniqueValue(claim, owner_id=user.id), condition=UniqueValue.value.does_not_exist()
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict("That username or e-mail is already in use.", reason="username_taken") from error
        raise
    audit.record(
        "user.create",
        actor=actor,
        origin=origin,
        target_type="user",
        target_id=user.id,
        metadata={"username": username, "role": str(role)},
    )
    return user


def list_users(role: Role | None = None) -> list[User]:
    """Staff accounts, optionally of one role, sorted by username (index queries, no Scan)."""
    roles = [role] if role else sorted(STAFF_ROLES)
    users: list[User] = []
    for each in roles:
        users.extend(User.role_index.query(str(each)))
    return sorted(users, key=lambda user: user.username)


def _update(user: User, actions: list[Any]) -> User:
    try:
        user.update(
            actions=[*actions, User.updated_at.set(utcnow()), User.version.add(1)],
            condition=User.version == user.version,
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict(
                "The account changed meanwhile; reload and try again.",
                reason="account_changed",
            ) from error
        raise
    return user


def set_active(user_id: str, active: bool, *, actor: Principal, origin: Origin) -> User:
    """Enable or disable an account; disabling revokes all its sessions at once."""
    if user_id == actor.id and not active:
        raise Conflict("You cannot disable your own account.", reason="cannot_disable_self")
    actions = [User.active.set(active)]
    if not active:
        actions.append(User.sessions_valid_after.set(utcnow()))  # ends sessions the index misses too
    user = _update(get_user(user_id), actions)
    closed = 0 if active else sessions.close_all_sessions(user.id)
    audit.record(
        "user.enable" if active else "user.disable",
        actor=actor,
        origin=origin,
        target_type="user",
        target_id=user.id,
        metadata={"sessions_closed": closed},
    )
    return user


def set_role(user_id: str, role: Role, *, actor: Principal, origin: Origin) -> User:
    """Make a staff account an admin or a teacher; a change revokes all its sessions at once.

    Setting the role it already has changes nothing. Not for one's own account (an admin cannot lock
    themselves out of administration by mistake).
    """
    if role not in STAFF_ROLES:
        raise Conflict("Staff accounts are admins or teachers.", reason="staff_role_invalid")
    if user_id == actor.id:
        raise Conflict("You cannot change your own role.", reason="cannot_change_own_role")
    user = get_user(user_id)
    previous = user.role
    if previous == str(role):
        return user
    user = _update(user, [User.role.set(str(role)), User.sessions_valid_after.set(utcnow())])
    closed = sessions.close_all_sessions(user.id)
    audit.record(
        "user.role_change",
        actor=actor,
        origin=origin,
        target_type="user",
        target_id=user.id,
        metadata={"from": previous, "to": str(role), "sessions_closed": closed},
    )
    return user


def reset_password(user_id: str, password: str, *, actor: Principal, origin: Origin) -> User:
    """Set a temporary password the user must change at next login; their sessions are revoked.

    Not for one's own account: that is the self-service change, which needs the current password.
    """
    if user_id == actor.id:
        raise Conflict(
            "You cannot reset your own password here: use \"Change my password\" "
            "(your current password is required).", reason="cannot_reset_own_password"
        )
    user = get_user(user_id)
    passwords.require_acceptable(password, personal=(user.username, user.email))
    user = _update(
        user,
        [
            User.password_hash.set(passwords.hash_password(password)),
            User.must_change_password.set(True),
            User.sessions_valid_after.set(utcnow()),
        ],
    )
    closed = sessions.close_all_sessions(user.id)
    auth.clear_sign_in_failures(PrincipalKind.STAFF, user.id)
    audit.record(
        "user.password_reset",
        actor=actor,
        origin=origin,
        target_type="user",
        target_id=user.id,
        metadata={"sessions_closed": closed},
    )
    return user
