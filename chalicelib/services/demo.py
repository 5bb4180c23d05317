"""Idempotent demo accounts for local mode (API.md): ``admin``, ``teacher1``, ``teacher2``."""

from __future__ import annotations

from chalicelib.domain.principal import Origin
from chalicelib.domain.roles import Role
from chalicelib.errors import Conflict
from chalicelib.services import auth, users
from chalicelib.settings import get_settings

DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("admin", "admin@demo.example.org", Role.ADMIN),
    ("teacher1", "teacher1@demo.example.org", Role.TEACHER),
    ("teacher2", "teacher2@demo.example.org", Role.TEACHER),
)


def seed_demo_accounts() -> list[str]:
    """Create the demo accounts that do not exist yet; returns the usernames created."""
    password = get_settings().effective_demo_password()
    if password is None:
        raise RuntimeError("Demo accounts need KORRIGO_DEMO_PASSWORD (local mode only).")
    created = []
    for username, email, role in DEMO_ACCOUNTS:
        if auth.find_staff(username) is not None:
            continue
        try:
            users.create_user(
                username=username,
                email=email,
                password=password,
                role=role,
                must_change_password=False,
                actor=None,
                origin=Origin(ip="seed"),
            )
            created.append(username)
        except Conflict:
            continue  # created concurrently by another seeder
    return created
