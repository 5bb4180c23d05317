"""Scores against a marking scheme: bounds per leaf, the score step, totals, completeness.

The step rule: a leaf's score is 0 ≤ score ≤ its points and either a multiple of a quarter point or
exactly its points, so full marks are reachable on every leaf (0.3, 1.1, 1.4 …) while quarter points
stay the grading unit. Arithmetic is exact (``Decimal`` from the number's shortest text form).
The SPA mirrors this rule in ``frontend/src/lib/scoring.ts``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from chalicelib.domain.marking_scheme import Leaf, leaves

MAX_REMARK = 2000
MAX_APPRECIATION = 5000
SCORE_STEP = Decimal("0.25")


class ScoreError(ValueError):
    """A score that cannot be accepted; ``node_id`` names the question."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.node_id = message, node_id


def scheme_leaves(scheme: dict[str, Any] | None) -> dict[str, Leaf]:
    """Leaf id → leaf of a stored scheme (empty without a scheme)."""
    return {leaf.id: leaf for leaf in leaves((scheme or {}).get("nodes", []))}


def score_problem(points: Decimal, max_points: Decimal) -> str | None:
    """Why ``points`` is not a valid score of a leaf worth ``max_points``, or None when it is."""
    if not 0 <= points <= max_points:
        return f"must be between 0 and {_text(max_points)}"
    if points % SCORE_STEP != 0 and points != max_points:
        full = "" if max_points % SCORE_STEP == 0 else f" or the full {_text(max_points)}"
        return f"must be a multiple of {SCORE_STEP}{full}"
    return None


def is_valid_score(points: Decimal, max_points: Decimal) -> bool:
    """Whether ``points`` is a valid score of a leaf worth ``max_points`` (bounds and step)."""
    return score_problem(points, max_points) is None


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def validate_scores(
    scores: dict[str, Any], remarks: dict[str, Any], appreciation: str, scheme: dict[str, Any] | None
) -> dict[str, float]:
    """Check scores (bounds and step, see ``score_problem``) and remarks against the scheme."""
    by_id = scheme_leaves(scheme)
    if not by_id:
        raise ScoreError("The exam has no marking scheme yet.")
    clean: dict[str, float] = {}
    for node_id, value in scores.items():
        leaf = by_id.get(node_id)
        if leaf is None:
            raise ScoreError(f"Unknown question {node_id}.", node_id)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ScoreError(f"The score of {leaf.label} must be a number.", node_id)
        points = Decimal(str(value))
        problem = score_problem(points, leaf.max_points)
        if problem:
            raise ScoreError(f"The score of {leaf.label} {problem}.", node_id)
        clean[node_id] = float(points)
    for node_id, remark in remarks.items():
        if node_id not in by_id:
            raise ScoreError(f"Unknown question {node_id}.", node_id)
        if not isinstance(remark, str) or len(remark) > MAX_REMARK:
            raise ScoreError(f"Remarks are text of at most {MAX_REMARK} characters.", node_id)
    if len(appreciation) > MAX_APPRECIATION:
        raise ScoreError(f"The appreciation is limited to {MAX_APPRECIATION} characters.")
    return clean


def total(scores: dict[str, Any]) -> float:
    """The exact sum of the scores."""
    return float(sum((Decimal(str(value)) for value in scores.values()), Decimal(0)))


def missing_leaves(scores: dict[str, Any], scheme: dict[str, Any] | None) -> list[str]:
    """Leaf ids without a valid score (empty when the copy is complete)."""
    missing = []
    for node_id, leaf in scheme_leaves(scheme).items():
        value = scores.get(node_id)
        if value is None or not is_valid_score(Decimal(str(value)), leaf.max_points):
            missing.append(node_id)
    return missing
