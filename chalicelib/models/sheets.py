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
