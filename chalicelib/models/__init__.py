"""PynamoDB models, one module per aggregate; ``ALL_MODELS`` is what gets provisioned."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Exam, Upload
from chalicelib.models.grading import Annotation, BankComment, Draft, Lock, ScoreSheet
from chalicelib.models.jobs import AccountJob, CredentialPart
from chalicelib.models.ocr import OcrResult
from chalicelib.models.questions import QuestionScore, RegradeRequest, RubricItem
from chalicelib.models.ratelimits import RateLimitWindow
from chalicelib.models.sheets import Booklet, SheetJob
from chalicelib.models.students import CredentialSheet, Enrolment, Student
from chalicelib.models.users import Session, UniqueValue, User

ALL_MODELS: tuple[type[Model], ...] = (
    User,
    UniqueValue,
    Session,
    Student,
    Enrolment,
    CredentialSheet,
    AccountJob,
    CredentialPart,
    Exam,
    Upload,
    Copy,
    Page,
    Lock,
    Annotation,
    Draft,
    ScoreSheet,
    BankComment,
    AuditEvent,
    RateLimitWindow,
    OcrResult,
    Booklet,
    SheetJob,
    QuestionScore,
    RubricItem,
    RegradeRequest,
)

__all__ = [model.__name__ for model in ALL_MODELS] + ["ALL_MODELS"]
