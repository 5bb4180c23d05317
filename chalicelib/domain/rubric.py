"""Shared rubrics: what a rubric item may be worth, and a question's score from the items applied.

A question's score is ``base + Σ deltas + adjustment`` clamped to ``0 … max``, where ``base`` is the
points of the one "absolute" item applied (0 without one). Items' points and adjustments follow the
score step (``chalicelib.domain.scoring``): quarter points, so every computed score is a valid one.
The SPA mirrors this rule in ``frontend/src/lib/rubric.ts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.scoring import SCORE_STEP, is_valid_score

KINDS = ("delta", "absolute")
MAX_ITEMS_PER_QUESTION = 30
MAX_LABEL = 200
MAX_COMMENT = 1000


class RubricError(ValueError):
    """A rubric item or an application of items that cannot be accepted."""


@dataclass(frozen=True)
class Applied:
    """An applied rubric item as the score rule sees it."""

    kind: str
    points: Decimal


def check_item(kind: str, points: float | int, max_points: Decimal) -> Decimal:
    """The item's points as a Decimal, or ``RubricError``: a delta within ±max, an absolute within
    0 … max, both on the score step (or exactly ±max)."""
    if kind not in KINDS:
        raise RubricError(f"kind must be one of {', '.join(KINDS)}")
    value = Decimal(str(points))
    if not value.is_finite():
        raise RubricError("points must be a number")
    if kind == "absolute":
        if not is_valid_score(value, max_points):
            raise RubricError(f"an absolute item is worth between 0 and {max_points} in quarter points")
    elif not is_valid_score(abs(value), max_points):
        raise RubricError(f"a delta is between -{max_points} and {max_points} in quarter points")
    return value


def check_adjustment(adjustment: float | int, max_points: Decimal) -> Decimal:
    """A manual adjustment: within ±max, on the score step."""
    value = Decimal(str(adjustment))
    if not value.is_finite() or abs(value) > max_points or (value % SCORE_STEP and abs(value) != max_points):
        raise RubricError(f"the adjustment is between -{max_points} and {max_points} in quarter points")
    return value


def question_score(applied: Iterable[Applied], adjustment: Decimal, max_points: Decimal) -> Decimal:
    """The question's score from the applied items and the adjustment, clamped to 0 … max (and down to
    the score step when a leaf worth e.g. 1.4 points makes an off-step sum)."""
    items = list(applied)
    absolutes = [item for item in items if item.kind == "absolute"]
    if len(absolutes) > 1:
        raise RubricError("at most one absolute item can be applied to a question")
    base = absolutes[0].points if absolutes else Decimal(0)
    raw = base + sum((item.points for item in items if item.kind == "delta"), Decimal(0)) + adjustment
    score = min(max(raw, Decimal(0)), max_points)
    if not is_valid_score(score, max_points):
        score = (score // SCORE_STEP) * SCORE_STEP
    return score
