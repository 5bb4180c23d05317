"""Batch-level identification hints: a one-to-one assignment of confident OCR matches."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.matching import Suggestion, assign_one_to_one
from chalicelib.settings import get_settings


def batch_auto_matches(
    suggestions_by_copy: dict[str, list[dict[str, Any]]], exclude: set[str | None]
) -> dict[str, str | None]:
    """Copy id → the student confidently matched, never one already identified or given twice."""
    settings = get_settings()
    ranked = {
        copy_id: [
            Suggestion(s["student_id"], s["name"], float(s["score"]))
            for s in suggestions
            if s["student_id"] not in exclude
        ]
        for copy_id, suggestions in suggestions_by_copy.items()
    }
    return assign_one_to_one(ranked, settings.ocr_auto_threshold, settings.ocr_auto_margin)
