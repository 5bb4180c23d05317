"""The rescore function: a job re-scores its copies once; a job ahead of its edit is delivered again
and dropped at the last receive; a job with copies left behind is delivered again until done."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib.models.copies import Copy
from chalicelib.models.grading import ScoreSheet
from chalicelib.services import rubrics
from tests.unit.functions.test_sheets import delivery
from tests.unit.services.test_rubrics import edit, graded, job_of, one_worker  # noqa: F401 - fixtures


@pytest.fixture
def quick(monkeypatch):
    from functions import rescore as function

    monkeypatch.setattr(function, "NOT_READY_WAITS", (0,))
    monkeypatch.setattr(rubrics, "RENDER_WAIT_SECONDS", 0)
    monkeypatch.setattr(rubrics, "MAX_RENDER_WAIT_SECONDS", 0)
    return function


def test_a_delivered_job_rescores_the_copies_and_a_redelivery_changes_nothing(graded, quick):  # noqa: F811
    key = job_of(edit("e1", "sign", points=-2))

    assert quick.handler(delivery(key, 1), None)["batchItemFailures"] == []
    copy = graded[1][0]
    assert float(ScoreSheet.get(copy.id).total) == 8 and Copy.get(copy.id).status == "GRADING_IN_PROGRESS"
    assert quick.handler(delivery(key, 2), None)["batchItemFailures"] == []
    assert int(ScoreSheet.get(copy.id).version) == 2


def test_a_job_ahead_of_its_edit_is_retried_then_dropped(graded, quick):  # noqa: F811
    key = rubrics.job_key("e1", "sign", 2)  # an edit that never committed

    with pytest.raises(BatchProcessingError):
        quick.handler(delivery(key, 1), None)
    assert quick.handler(delivery(key, quick.MAX_RECEIVES), None)["batchItemFailures"] == []


def test_a_job_with_a_copy_still_rendering_is_delivered_again(graded, quick):  # noqa: F811
    copy = graded[1][0]
    Copy(copy.id).update(actions=[Copy.status.set("GRADING_IN_PROGRESS")])
    key = job_of(edit("e1", "sign", points=-2))

    with pytest.raises(BatchProcessingError):
        quick.handler(delivery(key, 1), None)
    Copy(copy.id).update(actions=[Copy.status.set("GRADED")])
    assert quick.handler(delivery(key, 2), None)["batchItemFailures"] == []
    assert float(ScoreSheet.get(copy.id).total) == 8
