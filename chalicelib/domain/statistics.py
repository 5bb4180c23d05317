"""Descriptive statistics of scores: count, mean, median, standard deviation, extremes, histogram."""

from __future__ import annotations

import math
import statistics
from typing import Any

HISTOGRAM_BINS = 10


def describe(values: list[float]) -> dict[str, Any]:
    """Count, mean, median, population standard deviation, min and max (None when empty)."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "stdev": None, "min": None, "max": None}
    return {
        "count": len(values),
        "mean": round(statistics.fmean(values), 3),
        "median": round(statistics.median(values), 3),
        "stdev": round(statistics.pstdev(values), 3),
        "min": min(values),
        "max": max(values),
    }


def histogram(values: list[float], max_points: float, bins: int = HISTOGRAM_BINS) -> list[dict[str, Any]]:
    """Equal-width buckets over [0, max]; the last bucket includes the maximum."""
    width = max_points / bins
    counts = [0] * bins
    for value in values:
        index = min(bins - 1, max(0, math.floor(value / width))) if width else 0
        counts[index] += 1
    return [
        {"from": round(i * width, 3), "to": round((i + 1) * width, 3), "count": counts[i]}
        for i in range(bins)
    ]
