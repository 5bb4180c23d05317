"""Append-only audit events, queryable by month, copy, exam and actor within a time range."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta


class AuditCopyIndex(GlobalSecondaryIndex):
    """A copy's timeline."""

    Meta = index_meta("copy-index")
    copy_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AuditExamIndex(GlobalSecondaryIndex):
    """Everything that happened to an exam."""

    Meta = index_meta("exam-index")
    exam_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AuditActorIndex(GlobalSecondaryIndex):
    """Everything one account did."""

    Meta = index_meta("actor-index")
    actor_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class AuditEvent(Model):
    """One immutable audit event. ``sort_key`` is ``<ISO time>#<id>`` so ranges sort by time."""

    Meta = table_meta("audit-events")
    month = UnicodeAttribute(hash_key=True)  # "2026-11"
    sort_key = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute(default="success")
    actor_id = UnicodeAttribute(null=True)
    actor_role = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    target_type = UnicodeAttribute(null=True)
    target_id = UnicodeAttribute(null=True)
    exam_id = UnicodeAttribute(null=True)
    copy_id = UnicodeAttribute(null=True)
    metadata = JSONAttribute(default=dict)

    copy_index = AuditCopyIndex()
    exam_index = AuditExamIndex()
    actor_index = AuditActorIndex()
