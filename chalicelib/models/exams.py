"""Exams with their marking scheme and assigned teachers, and the scan uploads of an exam."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta, utcnow


class ExamListIndex(GlobalSecondaryIndex):
    """Every exam, newest first (one small partition: a school has hundreds of exams, not millions)."""

    Meta = index_meta("list-index")
    kind = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Exam(Model):
    """An exam: its settings, marking scheme (a JSON tree with stable node ids) and teachers."""

    Meta = table_meta("exams")
    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default="EXAM")
    name = UnicodeAttribute()
    subject = UnicodeAttribute(default="")
    date = UnicodeAttribute()  # ISO date
    upload_mode = UnicodeAttribute()  # "BATCH" | "INDIVIDUAL"
    pages_per_copy = NumberAttribute(null=True)
    split_a3 = NumberAttribute(default=0)
    marking_scheme = JSONAttribute(null=True)
    max_points = NumberAttribute(default=20)
    teacher_ids = UnicodeSetAttribute(null=True)
    anonymous_prefix = UnicodeAttribute()
    copy_counter = NumberAttribute(default=0)
    # The permutation key of the anonymous ids (chalicelib.domain.anonymous_ids), set once by the first
    # sequence reservation (if_not_exists): exams from before it get one at their next upload.
    anonymous_key = UnicodeAttribute(null=True)
    released_at = UTCDateTimeAttribute(null=True)
    # Question-first grading (issue 15): "COPY" (each copy to one teacher) or "QUESTION" (each question
    # to its teachers, ``question_teachers`` leaf id → teacher ids); ``question_slots`` is set once the
    # exam has been in question mode and never cleared: copy-mode locks then check the question locks.
    grading_mode = UnicodeAttribute(default="COPY")
    question_teachers = JSONAttribute(null=True)
    question_slots = NumberAttribute(default=0)
    # Where each question is on a copy (leaf id → {"page": 0-based, "x", "y", "w", "h"} in 0..1),
    # set by the admin on a sample copy; a question without one shows its whole page.
    question_regions = JSONAttribute(null=True)
    # Students may ask for a regrade during this many days after release.
    regrade_window_days = NumberAttribute(default=7)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    list_index = ExamListIndex()


class Upload(Model):
    """A scan uploaded to an exam: ``UPLOADED → PROCESSING → DONE | FAILED`` with counts."""

    Meta = table_meta("uploads")
    exam_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    filename = UnicodeAttribute()
    size = NumberAttribute()
    object_key = UnicodeAttribute()
    status = UnicodeAttribute(default="UPLOADED")
    error = UnicodeAttribute(null=True)
    error_reason = UnicodeAttribute(null=True)  # stable code of ``error`` the SPA words (older records: none)
    error_params = JSONAttribute(null=True)  # the values in that sentence
    copies = NumberAttribute(default=0)
    pages = NumberAttribute(default=0)
    copy_base = NumberAttribute(null=True)  # anonymous-id sequence reserved for this upload's copies
    attempts = NumberAttribute(default=0)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
