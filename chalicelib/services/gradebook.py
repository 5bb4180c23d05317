"""The gradebook of an exam (students × questions, totals, status, each copy) and what needs attention
before its results are released.

Admins only: the gradebook names the pupils. Everything comes from one read of the exam, one query of its
copies (exam index), one of its enrolments and consistent ``BatchGetItem`` reads of the students and score
sheets (100 keys per round trip) — never a read per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.models import Model

from chalicelib import aws
from chalicelib.domain import copy_status, csv_format, sign_in
from chalicelib.domain.csv_format import CsvDialect
from chalicelib.domain.csv_safety import safe_cell
from chalicelib.domain.marking_scheme import Leaf, leaves
from chalicelib.domain.principal import Origin, Principal
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.students import Enrolment, Student
from chalicelib.services import exams, results

# The gradebook CSV is for people in a French school: French headers and statuses in plain words.
STATUS_WORDS = {
    copy_status.CopyStatus.STAGING: "À identifier",
    copy_status.CopyStatus.READY: "Prête à corriger",
    copy_status.CopyStatus.LOCKED: "En correction",
    copy_status.CopyStatus.GRADING_IN_PROGRESS: "Finalisation en cours",
    copy_status.CopyStatus.GRADING_FAILED: "Échec de la finalisation",
    copy_status.CopyStatus.GRADED: "Corrigée",
}
NO_COPY = "Sans copie"

# Why a student cannot sign in to the portal (stable identifiers the SPA words).
NO_SIGN_IN_ID = "no_sign_in_id"  # neither an e-mail nor a generated sign-in id
NO_PASSWORD = "no_password"  # noqa: S105 - a reason id: no password was ever issued
DISABLED = sign_in.DISABLED  # the account is disabled
INITIAL_PASSWORD_EXPIRED = sign_in.INITIAL_PASSWORD_EXPIRED  # never changed, and too old


def sign_in_blockers(student: Student, now: datetime) -> list[str]:
    """Why ``student`` cannot sign in now (empty when they can), by the rules of ``auth.student_login``:
    an identifier to type (e-mail or sign-in id), a password, an active account, and an initial password
    that is either changed already or not expired yet."""
    blockers = []
    if not student.email and not student.login_id:
        blockers.append(NO_SIGN_IN_ID)
    if not student.password_hash:
        blockers.append(NO_PASSWORD)
    blocker = sign_in.account_blocker(student, now)
    if blocker and (student.password_hash or blocker == DISABLED):
        blockers.append(blocker)
    return blockers


@dataclass
class ExamBook:
    """What the gradebook and the release check read of one exam."""

    exam: Exam
    questions: list[Leaf]
    copies: list[Copy]
    enrolled: list[str]
    students: dict[str, Student]
    sheets: dict[str, ScoreSheet]


def _batched(items: list[Model]) -> list[Model]:
    return [item for item in aws.batch_get(*items) if item is not None]


def load(exam_id: str) -> ExamBook:
    """The exam, its copies, its roster's students and the copies' score sheets (404 for no exam)."""
    exam = exams.get_exam(exam_id)
    copies = list(Copy.exam_index.query(exam_id))
    enrolled = [enrolment.student_id for enrolment in Enrolment.query(exam_id)]
    student_ids = sorted(set(enrolled) | {copy.student_id for copy in copies if copy.student_id})
    keys: list[Model] = [Student(student_id) for student_id in student_ids]
    keys += [ScoreSheet(copy.id) for copy in copies]
    found = _batched(keys)
    return ExamBook(
        exam=exam,
        questions=leaves((exam.marking_scheme or {}).get("nodes", [])),
        copies=copies,
        enrolled=enrolled,
        students={item.id: item for item in found if isinstance(item, Student)},
        sheets={item.copy_id: item for item in found if isinstance(item, ScoreSheet)},
    )


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _student(student: Student | None, student_id: str | None) -> dict[str, Any] | None:
    if student_id is None:
        return None
    if student is None:  # identified to an account that no longer exists
        return {"id": student_id, "last_name": "", "first_name": "", "class_name": None, "group": None,
                "student_number": None}
    return {
        "id": student.id,
        "last_name": student.last_name,
        "first_name": student.first_name,
        "class_name": student.class_name,
        "group": student.group,
        "student_number": student.student_number,
    }


def _copy(copy: Copy) -> dict[str, Any]:
    return {"id": copy.id, "anonymous_id": copy.anonymous_id, "status": copy.status}


def _row(book: ExamBook, student_id: str | None, copy: Copy | None) -> dict[str, Any]:
    sheet = book.sheets.get(copy.id) if copy else None
    scores = (sheet.scores if sheet else None) or {}
    return {
        "student": _student(book.students.get(student_id or ""), student_id),
        "copy": _copy(copy) if copy else None,
        "scores": {leaf.id: _number(scores.get(leaf.id)) for leaf in book.questions},
        "total": _number(sheet.total) if sheet else None,
    }


def _name_key(row: dict[str, Any]) -> tuple[int, str, str, str]:
    student, copy = row["student"], row["copy"]
    if student is None:  # unidentified copies last, in anonymous-id order
        return (1, "", "", copy["anonymous_id"])
    anonymous_id = copy["anonymous_id"] if copy else ""
    return (0, student["last_name"].lower(), student["first_name"].lower(), anonymous_id)


def rows(book: ExamBook) -> list[dict[str, Any]]:
    """One row per copy (with its student when identified) and one per roster student without a copy,
    by name, the copies nobody is identified on last."""
    with_copy = {copy.student_id for copy in book.copies if copy.student_id}
    found = [_row(book, copy.student_id, copy) for copy in book.copies]
    found += [_row(book, student_id, None) for student_id in book.enrolled if student_id not in with_copy]
    return sorted(found, key=_name_key)


def gradebook(exam_id: str) -> dict[str, Any]:
    """The exam's gradebook: its columns (the scored questions and their points) and its rows."""
    book = load(exam_id)
    return {
        "exam_id": book.exam.id,
        "max_points": _number(book.exam.max_points),
        "released_at": book.exam.released_at.isoformat() if book.exam.released_at else None,
        "questions": [
            {"id": leaf.id, "label": leaf.label, "max_points": _number(leaf.max_points)}
            for leaf in book.questions
        ],
        "rows": rows(book),
    }


def gradebook_csv(
    exam_id: str, *, actor: Principal, origin: Origin, dialect: CsvDialect = csv_format.DEFAULT
) -> tuple[str, bytes]:
    """The gradebook as a CSV (audited and counted as an export, like the results CSV): the rows in
    name order, French headers, statuses in words, in ``dialect`` (default: French Excel)."""
    book = load(exam_id)
    results.export_guard(actor, exam_id, "gradebook", origin, dialect)
    number = dialect.number
    header = ["Nom", "Prénom", "Classe", "Groupe", "N° élève", "Copie", "Statut"]
    header += [safe_cell(f"{leaf.label} (/{number(leaf.max_points)})") for leaf in book.questions]
    header.append(f"Total (/{number(book.exam.max_points)})")
    lines = [header]
    for row in rows(book):
        student, copy = row["student"] or {}, row["copy"]
        lines.append([
            safe_cell(student.get("last_name") or ""),
            safe_cell(student.get("first_name") or ""),
            safe_cell(student.get("class_name") or ""),
            safe_cell(student.get("group") or ""),
            safe_cell(student.get("student_number") or ""),
            safe_cell(copy["anonymous_id"]) if copy else "",
            STATUS_WORDS.get(copy["status"], copy["status"]) if copy else NO_COPY,
            *[number(row["scores"][leaf.id]) for leaf in book.questions],
            number(row["total"]),
        ])
    return f"releve-{results.ascii_slug(book.exam.name)}.csv", dialect.encode(lines)


def release_check(exam_id: str) -> dict[str, Any]:
    """What needs attention before the results are released (releasing stays possible): roster
    students without a copy, copies not graded (per status), copies not identified, and roster students
    who cannot sign in to see their result (each with its reasons)."""
    book = load(exam_id)
    now = utcnow()
    with_copy = {copy.student_id for copy in book.copies if copy.student_id}
    enrolled = [book.students[sid] for sid in book.enrolled if sid in book.students]
    by_name = sorted(enrolled, key=lambda s: (s.last_name.lower(), s.first_name.lower()))
    not_graded = sorted(
        (copy for copy in book.copies if not copy_status.has_result(copy.status, bool(copy.final_pdf_key))),
        key=lambda copy: copy.anonymous_id,
    )
    cannot_sign_in = [
        {**(_student(student, student.id) or {}), "reasons": blockers}
        for student in by_name
        if (blockers := sign_in_blockers(student, now))
    ]
    missing = [_student(student, student.id) for student in by_name if student.id not in with_copy]
    in_order = sorted(book.copies, key=lambda copy: copy.anonymous_id)
    unidentified = [_copy(copy) for copy in in_order if not copy.student_id]
    return {
        "exam_id": book.exam.id,
        "released_at": book.exam.released_at.isoformat() if book.exam.released_at else None,
        "attention_needed": bool(missing or not_graded or unidentified or cannot_sign_in),
        "students_without_copy": missing,
        "copies_not_graded": {
            "count": len(not_graded),
            "by_status": dict(Counter(copy.status for copy in not_graded)),
            "copies": [_copy(copy) for copy in not_graded],
        },
        "copies_not_identified": unidentified,
        "students_cannot_sign_in": cannot_sign_in,
    }
