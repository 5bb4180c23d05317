"""Scores that change after grading: a copy's score sheet assembled from its question scores, and a
graded copy sent back to rendering with new scores (a rubric edit, a regrade answered).

``assemble_sheet`` is the one place that turns question-mode scores (``QuestionScore``, the rubric
items applied) into the copy's ``ScoreSheet``, whose remarks carry the applied items' labels and
comments: the final PDF is the same as in copy mode. ``rescore`` writes a new sheet and, for a GRADED
copy, the ``rescore`` move with a new attempt in the same transaction (the caller's own items and audit
event too), then queues the render; the copy keeps its previous final PDFs until the new ones land.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from chalicelib.domain import copy_status
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.marking_scheme import leaves
from chalicelib.domain.scoring import total
from chalicelib.errors import Conflict
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import QuestionScore, RubricItem
from chalicelib.services import finalize
from chalicelib.services.copy_transitions import Item, TransitionLost, commit, transition


def _points(value: Decimal | float) -> str:
    number = Decimal(str(value)).normalize()
    text = format(number, "f").replace(".", ",")
    return f"+{text}" if number > 0 else text


def item_line(item: RubricItem) -> str:
    """How an applied rubric item reads in the copy's remarks (and so in the final PDF)."""
    worth = f"{_points(item.points)} pt" if item.kind == "delta" else f"{_points(item.points)} pt (note)"
    line = f"• {item.label} ({worth})"
    return f"{line} — {item.comment}" if item.comment else line


def assemble_sheet(
    copy_id: str,
    exam: Exam,
    scores: Mapping[str, QuestionScore],
    items: Mapping[str, RubricItem],
    previous: ScoreSheet | None = None,
    updated_by: str | None = None,
) -> ScoreSheet:
    """The copy's score sheet from its question scores: the scores of the scheme's leaves, a remark per
    question (its applied items, then the grader's remark), the previous appreciation kept."""
    by_leaf: dict[str, float] = {}
    remarks: dict[str, str] = {}
    for leaf in leaves((exam.marking_scheme or {}).get("nodes", [])):
        question = scores.get(leaf.id)
        if question is None or question.score is None:
            continue
        by_leaf[leaf.id] = float(question.score)
        lines = [item_line(items[i]) for i in question.rubric_item_ids or [] if i in items]
        if question.remark:
            lines.append(question.remark)
        if lines:
            remarks[leaf.id] = "\n".join(lines)
    return ScoreSheet(
        copy_id,
        scores=by_leaf,
        remarks=remarks,
        appreciation=(previous.appreciation if previous else "") or "",
        total=total(by_leaf),
        updated_by=updated_by,
        updated_at=utcnow(),
        version=int(previous.version or 0) + 1 if previous else 1,
    )


def sheet_item(sheet: ScoreSheet, seen_version: int) -> Item:
    """Save ``sheet`` only on top of the version read (``seen_version`` 0: none yet)."""
    condition = (
        ScoreSheet.copy_id.does_not_exist() if not seen_version else ScoreSheet.version == seen_version
    )

    def item(write) -> None:
        write.save(sheet, condition=condition)

    return item


def rescore(
    copy: Copy,
    exam: Exam,
    sheet: ScoreSheet,
    seen_version: int,
    *,
    event: AuditEvent | None,
    items: Sequence[Item] = (),
) -> finalize.Outcome | None:
    """Store ``sheet`` (and ``items``) for a copy already past grading, and re-render a GRADED one.

    GRADED: the ``rescore`` move (new attempt, final PDFs kept until replaced) → RENDERING.
    GRADING_FAILED: the sheet only, on that status (the next retry renders it) → None.
    Otherwise 409 ``copy_rendering``: a render is running; try again once it settles.
    A lost race (the sheet or the copy changed meanwhile) is ``TransitionLost`` and writes nothing.
    """
    write_sheet = sheet_item(sheet, seen_version)
    if copy.status == CopyStatus.GRADED:
        attempt = int(copy.grading_attempts or 0) + 1
        transition(
            copy,
            copy_status.RESCORE,
            condition=Copy.grading_attempts == copy.grading_attempts,
            actions=[Copy.grading_attempts.set(attempt)],
            items=[write_sheet, *items],
            event=event,
        )
        copy.grading_attempts = attempt
        finalize.start_render(copy, exam, sheet, attempt)
        return finalize.Outcome.RENDERING
    if copy.status == CopyStatus.GRADING_FAILED:
        still_failed: Item = lambda write: write.condition_check(  # noqa: E731
            Copy, copy.id, condition=Copy.status == CopyStatus.GRADING_FAILED
        )
        reasons = commit([still_failed, write_sheet, *items], event)
        if reasons is not None:
            raise TransitionLost(copy_status.RESCORE, reasons)
        return None
    raise Conflict("The copy is being rendered; try again in a moment.", reason="copy_rendering")
