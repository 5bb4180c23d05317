"""Annotation geometry and fields, one rule shared by the API and the PDF renderer (no emulator)."""

from __future__ import annotations

import math

import pytest

from chalicelib.domain.annotations import (
    MAX_INK_POINTS,
    MAX_TEXT,
    AnnotationError,
    check_text,
    normalise_geometry,
)


def test_shapes_keep_their_normalised_geometry():
    assert normalise_geometry("rect", {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}) == {
        "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4
    }
    assert normalise_geometry("ink", {"points": [[0, 0], [1, 1]]}) == {"points": [[0.0, 0.0], [1.0, 1.0]]}
    assert normalise_geometry("tick", {"x": 1, "y": 0}) == {"x": 1.0, "y": 0.0}


@pytest.mark.parametrize(
    ("kind", "geometry"),
    [
        ("circle", {"x": 0, "y": 0}),
        ("rect", [0, 0, 1, 1]),
        ("rect", {"x": 0.5, "y": 0.5, "w": 0.6, "h": 0.1}),  # off the page
        ("rect", {"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}),  # no size
        ("rect", {"x": 0.1, "y": 0.1, "w": 0.1}),
        ("tick", {"x": 0.1, "y": 0.1, "z": 0}),
        ("tick", {"x": True, "y": 0.1}),
        ("tick", {"x": math.nan, "y": 0.1}),
        ("cross", {"x": 1.5, "y": 0.1}),
        ("ink", {"points": [[0, 0]]}),
        ("ink", {"points": [[0, 0]] * (MAX_INK_POINTS + 1)}),
        ("ink", {"points": [[0, 0], (1, 1)]}),
        ("ink", {"points": [[0, 0], [1, "1"]]}),
    ],
)
def test_bad_geometry_is_refused_with_a_reason(kind, geometry):
    with pytest.raises(AnnotationError):
        normalise_geometry(kind, geometry)


def test_text_rules():
    assert check_text("text", "Bien") == "Bien"
    assert check_text("rect", None) is None
    for kind, text in (("text", ""), ("text", "   "), ("rect", "x" * (MAX_TEXT + 1)), ("rect", 12)):
        with pytest.raises(AnnotationError):
            check_text(kind, text)


def test_annotations_carry_no_points():
    """Points come only from the score sheet: the domain has no score delta rule at all."""
    import chalicelib.domain.annotations as annotations

    assert not hasattr(annotations, "check_delta")
    assert "carry no points" in (annotations.__doc__ or "")
