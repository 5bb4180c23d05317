"""Scores against a marking scheme: bounds per leaf, totals, completeness."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from chalicelib.domain.marking_scheme import Leaf, leaves

MAX_REMARK = 2000
MAX_APPRECIATION = 5000


class ScoreError(ValueError):
    """A score that cannot be accepted; ``node_id`` names the question."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.node_id = message, node_id


def scheme_leaves(scheme: dict[str, Any] | None) -> dict[str, Leaf]:
    """Leaf id → leaf of a stored scheme (empty without a scheme)."""
    return {leaf.id: leaf for leaf in leaves((scheme or {}).get("nodes", []))}


def validate_scores(
    scores: dict[str, Any], remarks: dict[str, Any], appreciation: str, scheme: dict[str, Any] | None
) -> dict[str, float]:
    """Check scores (0 ≤ score ≤ leaf max, quarter points) and remarks against the scheme."""
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
        if not 0 <= points <= leaf.max_points:
            raise ScoreError(f"The score of {leaf.label} must be between 0 and {leaf.max_points}.", node_id)
        if points * 4 != (points * 4).to_integral_value():
            raise ScoreError(f"The score of {leaf.label} must be a multiple of 0.25.", node_id)
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
    """The sum of the scores (exact in quarters)."""
    return float(sum((Decimal(str(value)) for value in scores.values()), Decimal(0)))


def missing_leaves(scores: dict[str, Any], scheme: dict[str, Any] | None) -> list[str]:
    """Leaf ids without a valid score (empty when the copy is complete)."""
    missing = []
    for node_id, leaf in scheme_leaves(scheme).items():
        value = scores.get(node_id)
        if value is None or not 0 <= Decimal(str(value)) <= leaf.max_points:
            missing.append(node_id)
    return missing
