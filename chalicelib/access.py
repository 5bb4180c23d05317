"""Who may call a route: every route declares one ``Access``; the check lives in one place."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from chalicelib.domain.principal import Principal
from chalicelib.domain.roles import Role
from chalicelib.errors import Forbidden, Unauthenticated

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Access:
    """A route's declaration: which roles may call it (None = anyone, signed in or not)."""

    roles: frozenset[Role] | None
    during_password_change: bool = False

    @property
    def public(self) -> bool:
        """True when no session is needed."""
        return self.roles is None


PUBLIC = Access(roles=None)
SIGNED_IN = Access(roles=frozenset(Role), during_password_change=True)
ADMIN = Access(roles=frozenset({Role.ADMIN}))
STAFF = Access(roles=frozenset({Role.ADMIN, Role.TEACHER}))
TEACHER = Access(roles=frozenset({Role.TEACHER}))
STAFF_PASSWORD_CHANGE = Access(roles=frozenset({Role.ADMIN, Role.TEACHER}), during_password_change=True)
STUDENT = Access(roles=frozenset({Role.STUDENT}))
STUDENT_PASSWORD_CHANGE = Access(roles=frozenset({Role.STUDENT}), during_password_change=True)


def authorise(
    access: Access, principal: Principal | None, method: str, csrf_header: str | None
) -> Principal | None:
    """Apply ``access`` to the caller: 401 without a live session, 403 for a wrong role or CSRF."""
    if access.public:
        return principal
    if principal is None:
        raise Unauthenticated("Sign in first.", reason="not_signed_in")
    if method in STATE_CHANGING and not hmac.compare_digest(
        (csrf_header or "").encode(), principal.csrf_token.encode()
    ):
        raise Forbidden("Missing or invalid CSRF token (X-CSRF-Token header).", reason="csrf_invalid")
    if principal.role not in (access.roles or frozenset()):
        raise Forbidden("You are not allowed to do this.", reason="not_allowed")
    if principal.must_change_password and not access.during_password_change:
        raise Forbidden(
            "Change your password first.",
            reason="password_change_required",
            extra={"password_change_required": True},
        )
    return principal
