"""Personalised answer sheets: one booklet per student of an exam's roster, plus anonymous ones.

The booklet's id is printed in every page's code (``chalicelib.domain.sheet_codes``); ingest reads it
back to group, order and identify the scanned pages without OCR.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta, utcnow


class Booklet(Model):
    """One printed booklet of an exam: for ``student_id``, or anonymous (``student_id`` None,
    ``number`` 1..N) for a pupil not on the roster."""

    Meta = table_meta("booklets")
    exam_id = UnicodeAttribute(hash_key=True)
    sheet_id = UnicodeAttribute(range_key=True)
    student_id = UnicodeAttribute(null=True)
    number = NumberAttribute(null=True)  # anonymous booklets only
    pages = NumberAttribute()  # printed pages, blank extra sheets included
    created_at = UTCDateTimeAttribute(default=utcnow)


class SheetJob(Model):
    """The latest generation of an exam's answer sheets (one item an exam): ``PENDING → DONE | FAILED``.

    ``job_id`` names the run: a message of an older run finds another id and does nothing.
    """

    Meta = table_meta("sheet-jobs")
    exam_id = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute()
    status = UnicodeAttribute(default="PENDING")  # PENDING | DONE | FAILED
    extra_blank_booklets = NumberAttribute(default=0)
    requested_by = UnicodeAttribute()
    pdf_key = UnicodeAttribute(null=True)  # the PDF, once DONE
    pages = NumberAttribute(null=True)
    booklets = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)  # why a FAILED run stopped
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
