"""OCR results of a copy's header and the ranked roster suggestions."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta, utcnow


class OcrResult(Model):
    """What the OCR engine read on a copy's header and the top suggestions with their scores."""

    Meta = table_meta("ocr-results")
    copy_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute()
    engine = UnicodeAttribute()
    text = UnicodeAttribute(default="")
    suggestions = JSONAttribute(default=list)  # [{"student_id", "name", "score"}]
    auto_student_id = UnicodeAttribute(null=True)
    confidence = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute(default=utcnow)
