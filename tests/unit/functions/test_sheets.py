"""The sheets function: booklets that stay the pupil's, a PDF whose codes read back, idempotent runs."""

from __future__ import annotations

import json

import pymupdf
import pytest
import zxingcpp
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from PIL import Image

from chalicelib import storage
from chalicelib.domain.sheet_codes import code_key, decode
from chalicelib.models.sheets import Booklet, SheetJob
from chalicelib.services import sheets
from chalicelib.settings import get_settings
from tests.unit.routes.test_exams import create_exam
from tests.unit.routes.test_sheets import ask, enrol, run_sheets, status


@pytest.fixture
def exam_id(api, admin) -> str:
    exam = create_exam(api, admin, pages_per_copy=2)
    enrol(exam["id"], "st-martin", "Martin", "Léa")
    enrol(exam["id"], "st-dupont", "Dupont", "Élodie")
    return exam["id"]


def printed(api, admin, exam_id: str, extra: int = 0) -> SheetJob:
    assert ask(api, admin, exam_id, {"extra_blank_booklets": extra}).status_code == 202
    run_sheets()
    job = SheetJob.get(exam_id)
    assert job.status == "DONE", job.error
    return job


def codes(pdf: bytes) -> list[tuple[str, int]]:
    key = code_key(get_settings().secret_key)
    found = []
    for page in pymupdf.open(stream=pdf):
        pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
        [result] = zxingcpp.read_barcodes(Image.frombytes("L", (pix.width, pix.height), pix.samples))
        code = decode(result.text, key)
        assert code is not None
        found.append((code.sheet_id, code.page))
    return found


def test_the_pdf_holds_a_booklet_per_pupil_by_name_then_the_anonymous_ones(api, admin, exam_id):
    job = printed(api, admin, exam_id, extra=1)
    pdf = storage.get_bytes(job.pdf_key)
    assert job.pdf_key.startswith("sheets/") and (job.pages, job.booklets) == (6, 3)
    assert codes(pdf) == [("s001", 1), ("s001", 2), ("s002", 1), ("s002", 2), ("a001", 1), ("a001", 2)]
    doc = pymupdf.open(stream=pdf)
    assert "DUPONT Élodie" in doc[0].get_text() and "MARTIN Léa" in doc[2].get_text()


def test_a_pupils_booklet_keeps_its_id_when_the_sheets_are_printed_again(api, admin, exam_id):
    printed(api, admin, exam_id)
    enrol(exam_id, "st-abel", "Abel", "Zoé")  # first by name, but new: the next free number
    job = printed(api, admin, exam_id)
    owners = {b.sheet_id: b.student_id for b in Booklet.query(exam_id)}
    assert owners == {"s001": "st-dupont", "s002": "st-martin", "s003": "st-abel"}
    first_pages = [sheet for sheet, page in codes(storage.get_bytes(job.pdf_key)) if page == 1]
    assert first_pages == ["s003", "s001", "s002"]


def test_a_redelivered_message_of_a_printed_run_does_nothing(api, admin, exam_id):
    job = printed(api, admin, exam_id)
    before = job.attribute_values

    def must_not_render(run):
        raise AssertionError("rendered twice")

    assert sheets.run_job(sheets.input_key(exam_id, job.job_id), must_not_render) is False
    assert SheetJob.get(exam_id).attribute_values == before


def test_a_message_of_an_older_run_does_nothing(api, admin, exam_id):
    first = printed(api, admin, exam_id)
    assert ask(api, admin, exam_id).status_code == 202
    assert sheets.run_job(sheets.input_key(exam_id, first.job_id), lambda run: (b"", 0)) is False
    assert SheetJob.get(exam_id).status == "PENDING"


def delivery(key: str, receive_count: int) -> dict:
    """An SQS event of one S3 notification, received ``receive_count`` times."""
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put",
                                    "s3": {"bucket": {"name": "files"}, "object": {"key": key}}}]})
    return {"Records": [{"messageId": "m1", "body": body, "receiptHandle": "r", "eventSource": "aws:sqs",
                         "attributes": {"ApproximateReceiveCount": str(receive_count)}}]}


def test_an_error_is_retried_and_the_last_receive_marks_the_run_failed(api, admin, exam_id, monkeypatch):
    from functions import sheets as function

    def broken(run):
        raise RuntimeError("MuPDF is out of memory")

    monkeypatch.setattr(function, "render", broken)
    assert ask(api, admin, exam_id).status_code == 202
    key = sheets.input_key(exam_id, SheetJob.get(exam_id).job_id)
    with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS delivers it again
        function.handler(delivery(key, 1), None)
    assert SheetJob.get(exam_id).status == "PENDING"
    assert function.handler(delivery(key, function.MAX_RECEIVES), None)["batchItemFailures"] == []
    failed = status(api, admin, exam_id)
    assert failed["status"] == "FAILED" and "MuPDF is out of memory" in failed["error"]
    assert ask(api, admin, exam_id).status_code == 202  # a failed run may be asked for again


def test_a_sheet_id_taken_meanwhile_by_another_pupil_stops_the_run(api, admin, exam_id, monkeypatch):
    assert ask(api, admin, exam_id).status_code == 202
    key = sheets.input_key(exam_id, SheetJob.get(exam_id).job_id)
    real_plan = sheets.plan_booklets

    def concurrent_run_wins_s001(*args):
        planned = real_plan(*args)
        Booklet(exam_id, "s001", student_id="st-someone-else", pages=2).save()
        return planned

    monkeypatch.setattr(sheets, "plan_booklets", concurrent_run_wins_s001)
    with pytest.raises(RuntimeError, match="s001"):
        sheets.run_job(key, lambda run: (b"", 0))
    monkeypatch.setattr(sheets, "plan_booklets", real_plan)
    # the redelivery plans again with the winner's ids: the pupils get s002 and s003
    assert sheets.run_job(key, lambda run: (b"%PDF", 4)) is True
    owners = {b.sheet_id: b.student_id for b in Booklet.query(exam_id)}
    assert owners == {"s001": "st-someone-else", "s002": "st-dupont", "s003": "st-martin"}
