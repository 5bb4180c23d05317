"""Students of the roster (with their portal account) and their enrolment in exams."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta, utcnow


class StudentEmailIndex(GlobalSecondaryIndex):
    """Student login by e-mail (lower-cased)."""

    Meta = index_meta("email-index")
    email = UnicodeAttribute(hash_key=True)


class StudentIdentityIndex(GlobalSecondaryIndex):
    """Roster upsert by identity (normalised name + birth date) when a row has no e-mail."""

    Meta = index_meta("identity-index")
    identity_key = UnicodeAttribute(hash_key=True)


class Student(Model):
    """A student: identity from the roster and a portal account (random initial password)."""

    Meta = table_meta("students")
    id = UnicodeAttribute(hash_key=True)
    last_name = UnicodeAttribute()
    first_name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    identity_key = UnicodeAttribute()
    birth_date = UnicodeAttribute(null=True)  # ISO date
    class_name = UnicodeAttribute(null=True)
    group = UnicodeAttribute(null=True)
    student_number = UnicodeAttribute(null=True)
    login_id = UnicodeAttribute(null=True)  # generated sign-in id for a student without an e-mail
    password_hash = UnicodeAttribute(null=True)
    must_change_password = BooleanAttribute(default=True)
    initial_password_expires_at = UTCDateTimeAttribute(null=True)  # unchanged initial password expiry
    sessions_valid_after = UTCDateTimeAttribute(null=True)  # sessions opened before this are revoked
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    email_index = StudentEmailIndex()
    identity_index = StudentIdentityIndex()


class StudentExamsIndex(GlobalSecondaryIndex):
    """The exams a student is enrolled in (student portal)."""

    Meta = index_meta("student-index")
    student_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute(range_key=True)


class Enrolment(Model):
    """A student on an exam's roster."""

    Meta = table_meta("enrolments")
    exam_id = UnicodeAttribute(hash_key=True)
    student_id = UnicodeAttribute(range_key=True)
    created_at = UTCDateTimeAttribute(default=utcnow)

    student_index = StudentExamsIndex()


class CredentialSheet(Model):
    """Initial student passwords, encrypted with a key that exists only in the one-time link."""

    Meta = table_meta("credential-sheets")
    id = UnicodeAttribute(hash_key=True)  # SHA-256 of the link token
    exam_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    ciphertext = BinaryAttribute(legacy_encoding=False)
    expires_at = UTCDateTimeAttribute()
    ttl = TTLAttribute()
