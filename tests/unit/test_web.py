"""The JSON edge: bodies nested too deeply get a clear 400, never a 500 (RecursionError)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from chalicelib.domain.principal import Origin
from chalicelib.errors import BadRequest
from chalicelib.web import MAX_JSON_DEPTH, RequestContext, json_depth


class Anything(BaseModel):
    model_config = {"extra": "allow"}


def nested(levels: int) -> str:
    """An object holding arrays inside arrays: ``levels`` objects and arrays in all."""
    return '{"a": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def context(body: str) -> RequestContext:
    request = SimpleNamespace(headers={"content-type": "application/json"}, raw_body=body.encode())
    return RequestContext(request, "request-1", Origin())  # type: ignore[arg-type]


def test_depth_counts_objects_and_arrays() -> None:
    assert json_depth(3) == 0
    assert json_depth({}) == 1
    assert json_depth({"a": [1, {"b": []}], "c": "x"}) == 4
    assert json_depth(json.loads(nested(30))) == 30


def test_a_body_nested_five_thousand_levels_is_a_400() -> None:
    with pytest.raises(BadRequest, match="nested too deeply"):
        context(nested(5000)).body(Anything)


def test_a_body_just_over_the_cap_is_a_400_and_one_at_the_cap_is_accepted() -> None:
    with pytest.raises(BadRequest, match=f"at most {MAX_JSON_DEPTH} levels"):
        context(nested(MAX_JSON_DEPTH + 1)).body(Anything)

    assert context(nested(MAX_JSON_DEPTH)).body(Anything).model_extra


def test_the_cap_is_well_under_dynamodbs_32_levels() -> None:
    assert MAX_JSON_DEPTH <= 24


def test_through_the_api_a_deep_body_answers_400_with_the_error_shape(api) -> None:
    response = api.http.post(
        "/api/login", headers={"Content-Type": "application/json"}, body=nested(5000).encode()
    )

    assert response.status_code == 400
    error = json.loads(response.body)["error"]
    assert error["code"] and "nested too deeply" in error["message"]
