"""Question-first grading (issue 15): per-question scores of a copy, an exam's shared rubric items, and
students' regrade requests.

In question mode each question of a copy is graded on its own (``QuestionScore``, one item per copy and
question, so two teachers grading two questions of one copy never write the same item); the copy's
``ScoreSheet`` is assembled from them when the copy is finalised. Rubric items belong to one question
of an exam and are shared by everyone grading it; a question score lists the items applied to it.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta, utcnow


class QuestionScoreExamIndex(GlobalSecondaryIndex):
    """Every copy's score on one question of an exam (rubric re-scoring, per-item statistics)."""

    Meta = index_meta("exam-question-index")
    exam_id = UnicodeAttribute(hash_key=True)
    question_id = UnicodeAttribute(range_key=True)


class QuestionScore(Model):
    """One question of one copy in question mode: the rubric items applied, an adjustment, the score
    computed from them (``chalicelib.domain.rubric``), a remark, and whether its grader completed it."""

    Meta = table_meta("question-scores")
    copy_id = UnicodeAttribute(hash_key=True)
    question_id = UnicodeAttribute(range_key=True)  # a leaf node id of the marking scheme
    exam_id = UnicodeAttribute()
    rubric_item_ids = ListAttribute(of=UnicodeAttribute, default=list)
    adjustment = NumberAttribute(default=0)
    score = NumberAttribute(null=True)  # None until the question has been scored
    remark = UnicodeAttribute(null=True)
    complete = BooleanAttribute(default=False)
    graded_by = UnicodeAttribute(null=True)  # the teacher (or admin) who last scored it
    graded_by_name = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    exam_index = QuestionScoreExamIndex()


class RubricItem(Model):
    """One rubric item of a question, shared by everyone grading it.

    ``kind`` "delta": its points are added to the question's score (negative for a deduction);
    "absolute": the question's score starts from its points (at most one applied per copy).
    """

    Meta = table_meta("rubric-items")
    exam_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    question_id = UnicodeAttribute()
    position = NumberAttribute(default=0)
    label = UnicodeAttribute()
    kind = UnicodeAttribute(default="delta")  # "delta" | "absolute"
    points = NumberAttribute(default=0)
    comment = UnicodeAttribute(null=True)  # shown to the student in the final PDF
    deleted = BooleanAttribute(default=False)  # kept while copies still use it, hidden from the list
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)


class RegradeExamIndex(GlobalSecondaryIndex):
    """An exam's regrade requests, oldest first (admin list, teachers' queues)."""

    Meta = index_meta("exam-index")
    exam_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class RegradeRequest(Model):
    """A student's request to regrade one question of their released copy: ``OPEN → ANSWERED``.

    One item per copy and question: a new request on an answered question replaces it, the earlier
    exchanges kept in ``history`` (and in the audit trail).
    """

    Meta = table_meta("regrade-requests")
    copy_id = UnicodeAttribute(hash_key=True)
    question_id = UnicodeAttribute(range_key=True)
    exam_id = UnicodeAttribute()
    student_id = UnicodeAttribute()
    status = UnicodeAttribute(default="OPEN")  # OPEN | ANSWERED
    message = UnicodeAttribute()
    answer = UnicodeAttribute(null=True)
    answered_by = UnicodeAttribute(null=True)
    answered_by_name = UnicodeAttribute(null=True)
    answered_at = UTCDateTimeAttribute(null=True)
    score_before = NumberAttribute(null=True)
    score_after = NumberAttribute(null=True)
    history = JSONAttribute(default=list)  # earlier requests on this question, each a dict
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(default=1)

    exam_index = RegradeExamIndex()
