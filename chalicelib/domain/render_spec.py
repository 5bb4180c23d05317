"""The render contract: what finalise hands the render function for one attempt, versioned and validated.

Finalise writes one spec per attempt to ``renders/{exam}/{copy}/{attempt}.json``; its creation drives the
render function. The spec carries what only finalise knows at that moment (scores, remarks, the questions
of the marking scheme, the exam's names) and no pages nor annotations: once the copy has left LOCKED no
write can change them (every annotation write needs LOCKED), so the render function reads them itself,
immutable for the attempt.

Version 2 is this model. Version 1 (an untyped dict with ``pages`` and ``annotations`` and no
``spec_version``) is refused here; the render function upgrades the ones still queued at deploy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.marking_scheme import leaves

SPEC_VERSION = 2
MAX_ERRORS_SHOWN = 3

NonEmpty = Annotated[str, Field(min_length=1)]


class RenderSpecError(ValueError):
    """A render spec that cannot be used, with the reason."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class RenderQuestion(_Frozen):
    """A leaf of the marking scheme as the summary page lists it."""

    id: NonEmpty
    label: str
    max_points: Annotated[float, Field(gt=0)]


class RenderSpec(_Frozen):
    """Everything the render function needs besides the copy's pages and annotations."""

    spec_version: Literal[2] = SPEC_VERSION
    copy_id: NonEmpty
    exam_id: NonEmpty
    attempt: Annotated[int, Field(ge=1)]
    anonymous_id: NonEmpty
    exam_name: str
    subject: str
    max_points: Annotated[float, Field(gt=0)]
    questions: list[RenderQuestion]
    scores: dict[str, float]  # leaf id → points
    remarks: dict[str, str]  # node id → remark
    appreciation: str
    total: float
    created_at: AwareDatetime

    def to_bytes(self) -> bytes:
        """The spec as stored (UTF-8 JSON)."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> RenderSpec:
        """The spec stored in ``data``; RenderSpecError for bad JSON, another version or invalid fields."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, ValueError) as error:
            raise RenderSpecError(f"the render spec is not JSON ({error})") from None
        if not isinstance(document, dict):
            raise RenderSpecError("the render spec is not a JSON object")
        if "spec_version" not in document:
            raise RenderSpecError("the render spec has no spec_version (a version 1 spec)")
        version = document["spec_version"]
        if version != SPEC_VERSION:
            raise RenderSpecError(f"render spec version {version!r} is not supported "
                                  f"(expected {SPEC_VERSION})")
        try:
            return cls.model_validate_json(data)
        except ValidationError as error:
            raise RenderSpecError(_explain(error)) from None


def render_spec(
    *,
    copy_id: str,
    exam_id: str,
    attempt: int,
    anonymous_id: str,
    exam_name: str,
    subject: str | None,
    max_points: float,
    scheme: Mapping[str, Any] | None,
    scores: Mapping[str, float],
    remarks: Mapping[str, str],
    appreciation: str | None,
    total: float,
    created_at: datetime,
) -> RenderSpec:
    """The spec of an attempt from what finalise has loaded; the questions are the scheme's leaves.

    Numbers may come as ``Decimal`` or ``int`` (as DynamoDB gives them). RenderSpecError when invalid.
    """
    try:
        questions = [
            RenderQuestion(id=leaf.id, label=leaf.label, max_points=float(leaf.max_points))
            for leaf in leaves(list((scheme or {}).get("nodes") or []))
        ]
        return RenderSpec(
            copy_id=copy_id,
            exam_id=exam_id,
            attempt=int(attempt),
            anonymous_id=anonymous_id,
            exam_name=exam_name,
            subject=subject or "",
            max_points=float(max_points),
            questions=questions,
            scores={key: float(value) for key, value in scores.items()},
            remarks=dict(remarks),
            appreciation=appreciation or "",
            total=float(total),
            created_at=created_at,
        )
    except ValidationError as error:
        raise RenderSpecError(_explain(error)) from None


def _explain(error: ValidationError) -> str:
    """The first few field errors of a spec, one clause each ("attempt: Input should be ...")."""
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'spec'}: {item['msg']}"
        for item in error.errors()[:MAX_ERRORS_SHOWN]
    ]
    more = error.error_count() - len(problems)
    return "invalid render spec: " + "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")
