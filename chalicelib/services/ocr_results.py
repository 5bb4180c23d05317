"""What OCR read on each copy's header, and the roster it is matched against."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.matching import RosterEntry, Suggestion
from chalicelib.models.ocr import OcrResult
from chalicelib.services.roster import exam_students


def roster_entries(exam_id: str) -> list[RosterEntry]:
    """The exam's roster as matching input."""
    return [RosterEntry(s.id, s.first_name, s.last_name) for s in exam_students(exam_id)]


def save(
    copy_id: str,
    exam_id: str,
    engine: str,
    text: str,
    suggestions: list[Suggestion],
    auto_student_id: str | None,
) -> OcrResult:
    """Store (or replace, on redelivery) the OCR result of a copy."""
    payload: list[dict[str, Any]] = [
        {"student_id": s.student_id, "name": s.name, "score": round(s.score, 4)} for s in suggestions
    ]
    result = OcrResult(
        copy_id,
        exam_id=exam_id,
        engine=engine,
        text=text[:4000],
        suggestions=payload,
        auto_student_id=auto_student_id,
        confidence=payload[0]["score"] if payload else 0,
    )
    result.save()
    return result
