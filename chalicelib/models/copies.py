"""Student copies (the unit of grading) and their page images."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.copy_status import CopyStatus
from chalicelib.models.base import index_meta, table_meta, utcnow


class CopyExamIndex(GlobalSecondaryIndex):
    """An exam's copies in anonymous-id order (admin lists, identification, dispatch, exports)."""

    Meta = index_meta("exam-index")
    exam_id = UnicodeAttribute(hash_key=True)
    anonymous_id = UnicodeAttribute(range_key=True)


class CopyTeacherIndex(GlobalSecondaryIndex):
    """The copies dispatched to one teacher, per exam."""

    Meta = index_meta("teacher-index")
    teacher_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute(range_key=True)


class CopyStudentIndex(GlobalSecondaryIndex):
    """A student's copies, per exam (student portal)."""

    Meta = index_meta("student-index")
    student_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute(range_key=True)


class Copy(Model):
    """One student's copy. ``status`` follows the copy life cycle; every transition is conditional."""

    Meta = table_meta("copies")
    id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    anonymous_id = UnicodeAttribute()
    status = UnicodeAttribute(default=CopyStatus.STAGING)  # chalicelib.domain.copy_status
    page_count = NumberAttribute(default=0)
    student_id = UnicodeAttribute(null=True)
    teacher_id = UnicodeAttribute(null=True)
    grading_error = UnicodeAttribute(null=True)
    grading_error_reason = UnicodeAttribute(null=True)  # stable code of grading_error (older: none)
    grading_error_params = JSONAttribute(null=True)  # the values in that sentence
    grading_attempts = NumberAttribute(default=0)
    final_pdf_key = UnicodeAttribute(null=True)  # for the student and admins (unmasked pages)
    final_masked_pdf_key = UnicodeAttribute(null=True)  # for teachers (identity zone masked)
    total = NumberAttribute(null=True)
    reopen_reason = UnicodeAttribute(null=True)  # why an admin reopened it (its teacher sees it until graded)
    reopened_at = UTCDateTimeAttribute(null=True)
    # Personalised sheets (issue 14): the booklet it was scanned from, "code" once identified by its code,
    # and the booklet's printed pages the scan lacked or held more than once.
    sheet_id = UnicodeAttribute(null=True)
    identified_by = UnicodeAttribute(null=True)
    missing_pages = ListAttribute(of=NumberAttribute, null=True)
    duplicate_pages = ListAttribute(of=NumberAttribute, null=True)
    # Where its header crop is when not under headers/ (a booklet identified by its code skips OCR); the
    # header of a new first page placed later replaces it.
    header_image_key = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    exam_index = CopyExamIndex()
    teacher_index = CopyTeacherIndex()
    student_index = CopyStudentIndex()


class Page(Model):
    """A rendered page of a copy: the web image, the masked variant for teachers, its size.

    The same table holds an exam's pages to place (BATCH pages left over after the last full copy of a
    scan) under the key ``loose_key(exam_id)``, with the upload, source page and header crop they came
    with (``chalicelib.services.loose_pages``).
    """

    Meta = table_meta("pages")
    copy_id = UnicodeAttribute(hash_key=True)
    index = NumberAttribute(range_key=True)
    image_key = UnicodeAttribute()
    masked_image_key = UnicodeAttribute(null=True)
    width = NumberAttribute()
    height = NumberAttribute()
    # Pages to place only:
    upload_id = UnicodeAttribute(null=True)
    source_page = NumberAttribute(null=True)  # 1-based page number in the uploaded PDF
    header_key = UnicodeAttribute(null=True)  # the top 25 % crop, for OCR once it starts a copy
    stray_reason = UnicodeAttribute(null=True)  # coded scans: unreadable, duplicate, unknown_booklet, ...
    guess_copy_id = UnicodeAttribute(null=True)  # coded scans: the copy and page it probably belongs to
    guess_page = NumberAttribute(null=True)  # 1-based page number in that copy's booklet
    created_at = UTCDateTimeAttribute(null=True)


def loose_key(exam_id: str) -> str:
    """The ``Page`` hash key of an exam's pages to place (never a copy id: copy ids are hex)."""
    return f"loose#{exam_id}"
