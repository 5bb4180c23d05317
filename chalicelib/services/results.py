"""Results: release, the student portal, exports (results CSV, Pronote) and statistics."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import storage
from chalicelib.domain import copy_status, csv_format
from chalicelib.domain.csv_format import CsvDialect
from chalicelib.domain.csv_safety import safe_cell
from chalicelib.domain.marking_scheme import leaves
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.pronote import PronoteLine, grade_on_20, pronote_csv
from chalicelib.domain.statistics import describe, histogram
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.students import Student
from chalicelib.services import audit, exams, ratelimit, rubrics
from chalicelib.settings import get_settings

EXPORTS_PER_HOUR = 60


def release(exam_id: str, *, actor: Principal, origin: Origin) -> Exam:
    """Publish the exam's results to its students."""
    exam = exams.get_exam(exam_id)
    exam.update(actions=[Exam.released_at.set(utcnow()), Exam.updated_at.set(utcnow()), Exam.version.add(1)])
    audit.record(
        "exam.release", actor=actor, origin=origin, target_type="exam", target_id=exam_id, exam_id=exam_id
    )
    return exam


def unrelease(exam_id: str, *, actor: Principal, origin: Origin) -> None:
    """Withdraw the exam's results from the portal."""
    exam = exams.get_exam(exam_id)
    exam.update(actions=[Exam.released_at.remove(), Exam.updated_at.set(utcnow()), Exam.version.add(1)])
    audit.record(
        "exam.unrelease", actor=actor, origin=origin, target_type="exam", target_id=exam_id, exam_id=exam_id
    )


def _sheets(copies: list[Copy]) -> dict[str, ScoreSheet]:
    ids = [copy.id for copy in copies]
    return {sheet.copy_id: sheet for sheet in ScoreSheet.batch_get(ids)} if ids else {}


def _result(copy: Copy, exam: Exam, sheet: ScoreSheet | None) -> dict[str, Any]:
    scores = (sheet.scores if sheet else None) or {}
    remarks = (sheet.remarks if sheet else None) or {}
    return {
        "id": copy.id,
        "exam_id": exam.id,
        "exam_name": exam.name,
        "subject": exam.subject,
        "date": exam.date,
        "anonymous_id": copy.anonymous_id,
        "total": float(sheet.total) if sheet else 0.0,
        "max_points": float(exam.max_points),
        "questions": [
            {
                "id": leaf.id,
                "label": leaf.label,
                "score": scores.get(leaf.id),
                "max_points": float(leaf.max_points),
                "remark": remarks.get(leaf.id, ""),
            }
            for leaf in leaves((exam.marking_scheme or {}).get("nodes", []))
        ],
        "appreciation": sheet.appreciation if sheet else "",
        "released_at": exam.released_at.isoformat() if exam.released_at else None,
        # its scores changed (a regrade answered, a rubric edit): the new final PDF is being made
        "updating": copy.status != copy_status.CopyStatus.GRADED,
    }


def _released_graded(student: Principal) -> list[tuple[Copy, Exam]]:
    copies = [
        copy
        for copy in Copy.student_index.query(student.id)
        if copy_status.has_result(copy.status, bool(copy.final_pdf_key))
    ]
    exam_ids = list({copy.exam_id for copy in copies})
    by_id = {exam.id: exam for exam in Exam.batch_get(exam_ids)} if exam_ids else {}
    return [
        (copy, by_id[copy.exam_id])
        for copy in copies
        if copy.exam_id in by_id and by_id[copy.exam_id].released_at is not None
    ]


def student_results(student: Principal) -> list[dict[str, Any]]:
    """The caller's own GRADED copies of released exams, newest exam first."""
    pairs = _released_graded(student)
    sheets = _sheets([copy for copy, _ in pairs])
    results = [_result(copy, exam, sheets.get(copy.id)) for copy, exam in pairs]
    return sorted(results, key=lambda result: result["date"], reverse=True)


def _own_released_copy(student: Principal, copy_id: str) -> tuple[Copy, Exam]:
    """The copy if it is the caller's, GRADED and released; 404 otherwise (never says which)."""
    try:
        copy = Copy.get(copy_id, consistent_read=True)
        exam = Exam.get(copy.exam_id, consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("No such result.", reason="result_not_found") from error
    shown = copy_status.has_result(copy.status, bool(copy.final_pdf_key))
    if copy.student_id != student.id or not shown or exam.released_at is None:
        raise NotFound("No such result.", reason="result_not_found")
    return copy, exam


def student_result(student: Principal, copy_id: str) -> dict[str, Any]:
    """One of the caller's released results."""
    copy, exam = _own_released_copy(student, copy_id)
    return _result(copy, exam, _sheets([copy]).get(copy.id))


def ascii_slug(text: str) -> str:
    """``text`` folded to ASCII letters, digits and dashes (file names), at most 60 characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")[:60] or "copie"


def student_download(student: Principal, copy_id: str, origin: Origin) -> dict[str, Any]:
    """A pre-signed link (``download_url_seconds``) to the caller's final PDF, after the ownership and
    release checks."""
    copy, exam = _own_released_copy(student, copy_id)
    if not copy.final_pdf_key:
        raise NotFound("No such result.", reason="result_not_found")
    name = f"{ascii_slug(exam.name)}-{copy.anonymous_id}.pdf"
    url = storage.presigned_get(copy.final_pdf_key, download_name=name)
    audit.save(audit.copy_event("copy.download", copy, actor=student, origin=origin))
    return {"url": url, "expires_in": get_settings().download_url_seconds}


def _graded(exam_id: str) -> tuple[Exam, list[Copy], dict[str, ScoreSheet]]:
    exam = exams.get_exam(exam_id)
    copies = [
        copy
        for copy in Copy.exam_index.query(exam_id)
        if copy_status.has_result(copy.status, bool(copy.final_pdf_key))
    ]
    return exam, copies, _sheets(copies)


def export_guard(
    actor: Principal, exam_id: str, kind: str, origin: Origin, dialect: CsvDialect = csv_format.FRENCH_EXCEL
) -> None:
    """Every export: the caller's hourly budget (429 past it), then an ``exam.export`` audit event."""
    ratelimit.consume(f"export:{actor.id}", EXPORTS_PER_HOUR, 3600, "Too many exports. Try again later.")
    audit.record(
        "exam.export",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"format": kind, "dialect": dialect.name},
    )


def results_csv(
    exam_id: str, *, actor: Principal, origin: Origin, dialect: CsvDialect = csv_format.DEFAULT
) -> tuple[str, bytes]:
    """Every graded copy with identity, total, grade on 20 and each question (409 when none), in
    ``dialect`` (default: French Excel, ``;`` and decimal commas)."""
    exam, copies, sheets = _graded(exam_id)
    if not copies:
        raise Conflict("No copy of this exam is graded yet.", reason="nothing_graded")
    export_guard(actor, exam_id, "results", origin, dialect)
    students = {s.id: s for s in Student.batch_get([c.student_id for c in copies if c.student_id])}
    questions = leaves((exam.marking_scheme or {}).get("nodes", []))
    rows = [
        [
            "anonymous_id",
            "last_name",
            "first_name",
            "email",
            "class",
            "total",
            "max_points",
            "grade_on_20",
            *[safe_cell(q.label) for q in questions],
            "appreciation",
        ]
    ]
    number = dialect.number
    for copy in sorted(copies, key=lambda c: c.anonymous_id):
        sheet, student = sheets.get(copy.id), students.get(copy.student_id or "")
        scores = (sheet.scores if sheet else None) or {}
        total = Decimal(str(sheet.total)) if sheet else Decimal(0)
        rows.append(
            [
                safe_cell(copy.anonymous_id),
                safe_cell(student.last_name) if student else "",
                safe_cell(student.first_name) if student else "",
                safe_cell(student.email) if student else "",
                safe_cell(student.class_name) if student else "",
                number(total),
                number(exam.max_points),
                number(grade_on_20(total, Decimal(str(exam.max_points))), places=2),
                *[number(scores.get(q.id)) for q in questions],
                safe_cell(sheet.appreciation if sheet else "", 500),
            ]
        )
    return f"resultats-{ascii_slug(exam.name)}.csv", dialect.encode(rows)


def pronote_export(exam_id: str, *, actor: Principal, origin: Origin) -> tuple[str, bytes]:
    """The Pronote import file of the exam's graded, identified copies (409 when none)."""
    exam, copies, sheets = _graded(exam_id)
    identified = [copy for copy in copies if copy.student_id]
    if not identified:
        raise Conflict("No copy of this exam is graded yet.", reason="nothing_graded")
    export_guard(actor, exam_id, "pronote", origin)
    students = {s.id: s for s in Student.batch_get([c.student_id for c in identified])}
    lines = []
    for copy in identified:
        student, sheet = students.get(copy.student_id), sheets.get(copy.id)
        if student is None:
            continue
        lines.append(
            PronoteLine(
                student.last_name,
                student.first_name,
                student.birth_date,
                exam.subject or exam.name,
                Decimal(str(sheet.total)) if sheet else Decimal(0),
                Decimal(str(exam.max_points)),
                Decimal(1),
                sheet.appreciation if sheet else "",
            )
        )
    lines.sort(key=lambda line: (line.last_name.lower(), line.first_name.lower()))
    return f"pronote-{ascii_slug(exam.name)}.csv", pronote_csv(lines)


def exam_statistics(exam_id: str, caller: Principal) -> dict[str, Any]:
    """Statistics of the graded copies, overall, per question and per rubric item (how many graded
    copies got it) (admins; the exam's teachers)."""
    exam = exams.visible_exam(exam_id, caller)
    _, copies, sheets = _graded(exam_id)
    totals = [float(sheets[c.id].total) for c in copies if c.id in sheets]
    questions = []
    for leaf in leaves((exam.marking_scheme or {}).get("nodes", [])):
        values = [
            float(sheet.scores[leaf.id]) for sheet in sheets.values() if leaf.id in (sheet.scores or {})
        ]
        questions.append(
            {"id": leaf.id, "label": leaf.label, "max_points": float(leaf.max_points), **describe(values)}
        )
    return {
        **describe(totals),
        "max_points": float(exam.max_points),
        "histogram": histogram(totals, float(exam.max_points)),
        "questions": questions,
        "rubric": rubrics.statistics(exam, [copy.id for copy in copies]),
    }
