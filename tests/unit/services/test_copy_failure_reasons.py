"""A copy whose render failed is served with the failure's stable code and values next to its sentence."""

from __future__ import annotations

from chalicelib.models.copies import Copy
from chalicelib.services import copies


def failed_copy(**extra) -> Copy:
    return Copy("c1", exam_id="e1", upload_id="u1", anonymous_id="AB-1", status="GRADING_FAILED",
                grading_error="The render did not finish in time; retry it.", **extra)


def test_a_render_failure_is_served_with_its_code_and_values() -> None:
    copy = failed_copy(grading_error_reason="render_failed", grading_error_params={"detail": "NoSuchKey"})

    data = copies.serialise(copy, with_identity=True)

    assert data["grading_error_reason"] == "render_failed"
    assert data["grading_error_params"] == {"detail": "NoSuchKey"}


def test_an_older_failure_keeps_only_its_sentence() -> None:
    data = copies.serialise(failed_copy(), with_identity=True)

    assert data["grading_error"].startswith("The render did not finish")
    assert (data["grading_error_reason"], data["grading_error_params"]) == (None, {})


def test_a_stale_code_is_not_served_once_the_error_is_cleared() -> None:
    copy = failed_copy(grading_error_reason="render_failed")
    copy.grading_error = None

    assert copies.failure_reason(copy) == {"grading_error_reason": None, "grading_error_params": {}}
