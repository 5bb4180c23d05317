"""RenderSpec: the versioned render contract finalise writes and the render function reads (no emulator)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.render_spec import RenderQuestion, RenderSpec, RenderSpecError, render_spec

SCHEME = {"nodes": [
    {"id": "ex1", "label": "Exercice 1", "points": 5, "children": [
        {"id": "q1a", "label": "a)", "points": 1.4},
        {"id": "q1b", "label": "b)", "points": 3.6},
    ]},
    {"id": "ex2", "label": "Exercice 2", "points": 15},
]}
CREATED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def finalised(**changes: Any) -> RenderSpec:
    fields: dict[str, Any] = {
        "copy_id": "c1", "exam_id": "e1", "attempt": 2, "anonymous_id": "7F3A-001",
        "exam_name": "DS n°3", "subject": "Mathématiques", "max_points": Decimal(20), "scheme": SCHEME,
        "scores": {"q1a": Decimal("1.4"), "q1b": 3, "ex2": 12.5}, "remarks": {"q1b": "Justifier"},
        "appreciation": "Bon travail", "total": Decimal("16.9"), "created_at": CREATED,
    }
    return render_spec(**{**fields, **changes})


def stored(**changes: Any) -> bytes:
    document = json.loads(finalised().to_bytes())
    document.update(changes)
    return json.dumps(document).encode()


def test_questions_are_the_schemes_leaves_in_reading_order_with_their_path() -> None:
    assert finalised().questions == [
        RenderQuestion(id="q1a", label="Exercice 1 › a)", max_points=1.4),
        RenderQuestion(id="q1b", label="Exercice 1 › b)", max_points=3.6),
        RenderQuestion(id="ex2", label="Exercice 2", max_points=15.0),
    ]


def test_numbers_from_dynamodb_become_floats_and_missing_texts_empty() -> None:
    spec = finalised(subject=None, appreciation=None)
    assert (spec.max_points, spec.total, spec.scores) == (20.0, 16.9, {"q1a": 1.4, "q1b": 3.0, "ex2": 12.5})
    assert (spec.subject, spec.appreciation, spec.spec_version) == ("", "", 2)


def test_a_spec_without_a_scheme_has_no_questions() -> None:
    assert finalised(scheme=None).questions == []


def test_round_trip_through_bytes_is_identical() -> None:
    spec = finalised()
    data = spec.to_bytes()
    assert json.loads(data)["spec_version"] == 2
    assert "pages" not in json.loads(data) and "annotations" not in json.loads(data)
    assert RenderSpec.from_bytes(data) == spec
    assert RenderSpec.from_bytes(data).created_at == CREATED


def test_the_spec_is_frozen() -> None:
    with pytest.raises(ValidationError):
        finalised().total = 20  # type: ignore[misc]


@pytest.mark.parametrize(("data", "reason"), [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"copy_id": "c1", "pages": [], "annotations": []}).encode(), "no spec_version"),
    (stored(spec_version=1), "version 1 is not supported"),
    (stored(spec_version=3), "version 3 is not supported"),
    (stored(spec_version="2"), "version '2' is not supported"),
    (stored(attempt=0), "attempt: Input should be greater than or equal to 1"),
    (stored(attempt="2"), "attempt: Input should be a valid integer"),
    (stored(copy_id=""), "copy_id: String should have at least 1 character"),
    (stored(max_points=0), "max_points: Input should be greater than 0"),
    (stored(total="16,9"), "total: Input should be a valid number"),
    (stored(scores={"q1a": None}), "scores.q1a: Input should be a valid number"),
    (stored(created_at="yesterday"), "created_at: Input should be a valid datetime"),
    (stored(created_at="2025-03-14T09:30:00"), "created_at: Input should have timezone info"),
    (stored(pages=[]), "pages: Extra inputs are not permitted"),
    (stored(questions=[{"id": "q1", "label": "Q1", "max_points": 1, "extra": 1}]),
     "questions.0.extra: Extra inputs are not permitted"),
])
def test_a_bad_spec_raises_render_spec_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RenderSpecError) as raised:
        RenderSpec.from_bytes(data)
    assert reason in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_missing_field_is_named() -> None:
    document = json.loads(stored())
    del document["anonymous_id"]
    with pytest.raises(RenderSpecError, match="anonymous_id: Field required"):
        RenderSpec.from_bytes(json.dumps(document).encode())


def test_many_errors_are_summarised() -> None:
    with pytest.raises(RenderSpecError, match=r"^invalid render spec: .*\(and 10 more\)$"):
        RenderSpec.from_bytes(b'{"spec_version": 2}')


def test_the_constructor_refuses_invalid_data_with_the_same_error() -> None:
    with pytest.raises(RenderSpecError, match="attempt: Input should be greater than or equal to 1"):
        finalised(attempt=0)
    with pytest.raises(RenderSpecError, match="total: Input should be a finite number"):
        finalised(total=float("nan"))


def test_the_domain_module_needs_no_aws_library() -> None:
    import subprocess
    import sys

    code = ("import sys; import chalicelib.domain.render_spec; "
            "print(sorted(m for m in ('pynamodb', 'boto3', 'botocore') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
