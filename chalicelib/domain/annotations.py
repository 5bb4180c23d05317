"""Annotation shapes and their normalised geometry ([0, 1] of the page, origin top-left).

Decision (issue 13): annotations carry no points. Points come only from the score sheet (and, later,
from rubric items); an annotation is a mark on the page — a tick, a cross, a rectangle, an ink stroke,
a text comment — and nothing else. The API refuses a ``score_delta`` (422 naming the field), the desk
has no delta field, and the final PDF does not draw the one an old stored annotation may still carry.
"""

from __future__ import annotations

import math
from typing import Any

TYPES = ("rect", "ink", "tick", "cross", "text")
MAX_INK_POINTS = 2000
MAX_TEXT = 2000


class AnnotationError(ValueError):
    """An annotation that cannot be stored, with the reason."""


def _unit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnnotationError(f"{name} must be a number")
    if not 0 <= value <= 1:
        raise AnnotationError(f"{name} must be between 0 and 1")
    return float(value)


def _keys(geometry: dict[str, Any], expected: set[str]) -> None:
    if set(geometry) != expected:
        raise AnnotationError(f"geometry needs exactly {', '.join(sorted(expected))}")


def normalise_geometry(kind: str, geometry: Any) -> dict[str, Any]:
    """The validated geometry of an annotation of ``kind``."""
    if kind not in TYPES:
        raise AnnotationError(f"type must be one of {', '.join(TYPES)}")
    if not isinstance(geometry, dict):
        raise AnnotationError("geometry must be an object")
    if kind == "rect":
        _keys(geometry, {"x", "y", "w", "h"})
        x, y = _unit(geometry["x"], "x"), _unit(geometry["y"], "y")
        w, h = _unit(geometry["w"], "w"), _unit(geometry["h"], "h")
        if w <= 0 or h <= 0 or x + w > 1 + 1e-9 or y + h > 1 + 1e-9:
            raise AnnotationError("the rectangle must have a size and stay on the page")
        return {"x": x, "y": y, "w": w, "h": h}
    if kind == "ink":
        _keys(geometry, {"points"})
        points = geometry["points"]
        if not isinstance(points, list) or not 2 <= len(points) <= MAX_INK_POINTS:
            raise AnnotationError(f"an ink stroke has 2 to {MAX_INK_POINTS} points")
        clean = []
        for index, point in enumerate(points):
            if not isinstance(point, list) or len(point) != 2:
                raise AnnotationError(f"point {index} must be [x, y]")
            clean.append([_unit(point[0], f"point {index} x"), _unit(point[1], f"point {index} y")])
        return {"points": clean}
    _keys(geometry, {"x", "y"})
    return {"x": _unit(geometry["x"], "x"), "y": _unit(geometry["y"], "y")}


def check_text(kind: str, text: str | None) -> str | None:
    """Text comments need their text (≤ 2000 characters); other shapes may carry a short label."""
    if text is not None and not isinstance(text, str):
        raise AnnotationError("text must be a string")
    if kind == "text" and not (text and text.strip()):
        raise AnnotationError("a text comment needs its text")
    if text is not None and len(text) > MAX_TEXT:
        raise AnnotationError(f"text is limited to {MAX_TEXT} characters")
    return text
