"""Who is calling: the signed-in account behind a request, and the request's origin details."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.roles import PrincipalKind, Role


@dataclass(frozen=True)
class Principal:
    """A signed-in staff member or student, as resolved from a live session."""

    id: str
    kind: PrincipalKind
    role: Role
    display_name: str
    session_id: str
    csrf_token: str
    must_change_password: bool

    @property
    def is_admin(self) -> bool:
        """True for admins, who may act on every object."""
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class Origin:
    """Where a request or an event comes from, as recorded in audit events and logs."""

    ip: str | None = None
    request_id: str | None = None
