"""Grading state of a copy: lock, annotations, autosave draft, scores, annotation bank."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta, utcnow


class Lock(Model):
    """The grading lock of a copy. Expiry is compared in every write condition; TTL only tidies up."""

    Meta = table_meta("locks")
    copy_id = UnicodeAttribute(hash_key=True)
    token = UnicodeAttribute()
    holder_id = UnicodeAttribute()
    holder_name = UnicodeAttribute()
    acquired_at = UTCDateTimeAttribute(default=utcnow)
    expires_at = UTCDateTimeAttribute()
    ttl = TTLAttribute()


class Annotation(Model):
    """One annotation on a page of a copy (normalised geometry), versioned for optimistic writes."""

    Meta = table_meta("annotations")
    copy_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    page_index = NumberAttribute()
    type = UnicodeAttribute()
    geometry = JSONAttribute()
    text = UnicodeAttribute(null=True)
    # No score_delta: annotations carry no points (``chalicelib.domain.annotations``).
    author_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)


class Draft(Model):
    """The autosaved grading draft of a copy: one writer (client id) and a version per save."""

    Meta = table_meta("drafts")
    copy_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(default=0)
    client_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    payload = JSONAttribute()
    updated_at = UTCDateTimeAttribute(default=utcnow)


class ScoreSheet(Model):
    """Scores per leaf node id, remarks per node and the global appreciation of a copy."""

    Meta = table_meta("scores")
    copy_id = UnicodeAttribute(hash_key=True)
    scores = JSONAttribute(default=dict)  # leaf node id → points
    remarks = JSONAttribute(default=dict)  # node id → remark
    appreciation = UnicodeAttribute(default="")
    total = NumberAttribute(default=0)
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)


class BankComment(Model):
    """A teacher's reusable comment with its usage count."""

    Meta = table_meta("annotation-bank")
    owner_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute()
    usage_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute(default=utcnow)
