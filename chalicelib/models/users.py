"""Staff accounts (admins and teachers) and their server-side sessions."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta, utcnow


class UsernameIndex(GlobalSecondaryIndex):
    """Login and uniqueness by username (lower-cased)."""

    Meta = index_meta("username-index")
    username = UnicodeAttribute(hash_key=True)


class EmailIndex(GlobalSecondaryIndex):
    """Login and uniqueness by e-mail (lower-cased)."""

    Meta = index_meta("email-index")
    email = UnicodeAttribute(hash_key=True)


class RoleIndex(GlobalSecondaryIndex):
    """Listing accounts of one role, sorted by username."""

    Meta = index_meta("role-index")
    role = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)


class User(Model):
    """An admin or teacher account. ``version`` guards concurrent edits."""

    Meta = table_meta("users")
    id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    must_change_password = BooleanAttribute(default=False)
    sessions_valid_after = UTCDateTimeAttribute(null=True)  # sessions opened before this are revoked
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    username_index = UsernameIndex()
    email_index = EmailIndex()
    role_index = RoleIndex()


class UniqueValue(Model):
    """A claimed unique value (``username#alice``), written in the same transaction as its owner."""

    Meta = table_meta("unique-values")
    value = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


class SessionUserIndex(GlobalSecondaryIndex):
    """All sessions of one principal, to revoke them when the account is disabled."""

    Meta = index_meta("principal-index")
    principal_id = UnicodeAttribute(hash_key=True)


class Session(Model):
    """A server-side session; the key is an HMAC of the cookie token, never the token itself."""

    Meta = table_meta("sessions")
    id = UnicodeAttribute(hash_key=True)
    principal_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "staff" | "student"
    csrf_token = UnicodeAttribute()
    ip = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()  # idle end, slid by activity, never past created_at + the cap
    ttl = TTLAttribute()  # follows expires_at

    principal_index = SessionUserIndex()
