"""Roles and principal kinds."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """One role per account (SPEC.md "Roles")."""

    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"


STAFF_ROLES = frozenset({Role.ADMIN, Role.TEACHER})


class PrincipalKind(StrEnum):
    """Staff accounts live in the users table, students in the roster."""

    STAFF = "staff"
    STUDENT = "student"
