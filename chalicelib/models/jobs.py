"""Account jobs (roster imports, bulk password resets) and their encrypted credential sheet parts."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta, utcnow


class JobLineError(MapAttribute):
    """A line (or a student of a reset) that changed nothing, and why."""

    line = NumberAttribute()
    message = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)  # stable id the SPA words (``roster_line_*``)
    params = JSONAttribute(null=True)


class AccountJob(Model):
    """One run of account work for an exam; ``processed`` is the resume point of its chunks."""

    Meta = table_meta("account-jobs")
    id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "roster_import" | "password_reset"
    owner_id = UnicodeAttribute()  # the admin who started it: the only one who gets the sheet
    status = UnicodeAttribute(default="PENDING")  # PENDING | RUNNING | DONE | FAILED
    input_key = UnicodeAttribute(null=True)  # the job's rows in the files bucket
    total = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    credentials = NumberAttribute(default=0)  # rows in the encrypted sheet parts
    errors = ListAttribute(of=JobLineError, default=list)  # capped; ``error_count`` counts them all
    error_count = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)  # why a FAILED job stopped
    credentials_taken_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    ttl = TTLAttribute(null=True)


class CredentialPart(Model):
    """One chunk's initial passwords, Fernet-encrypted with a key derived from the secret and the job."""

    Meta = table_meta("credential-parts")
    job_id = UnicodeAttribute(hash_key=True)
    part = NumberAttribute(range_key=True)  # the chunk's index
    ciphertext = BinaryAttribute(legacy_encoding=False)
    ttl = TTLAttribute()
