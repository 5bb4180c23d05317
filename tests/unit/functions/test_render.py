"""The render function against the in-process mocks: a render spec in, both final PDFs and GRADED out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pymupdf
import pytest

from chalicelib import storage
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.render_spec import RenderSpec, render_spec
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy, Page
from chalicelib.models.grading import Annotation
from chalicelib.services import finalize
from chalicelib.settings import get_settings

EXAM, COPY = "exam-1", "copy-1"
SIZE = (300, 420)  # pixels of the test page images
SCHEME = {"nodes": [{"id": "q1", "label": "Exercice 1", "points": 12},
                    {"id": "q2", "label": "Exercice 2", "points": 8}]}
COMMENT = "Justifier le signe"


def jpeg(grey: float) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=SIZE[0] * 72 / 150, height=SIZE[1] * 72 / 150)
    page.draw_rect(page.rect, color=None, fill=(grey, grey, grey))
    return page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("jpeg")


PLAIN, MASKED, SECOND = jpeg(0.9), jpeg(0.2), jpeg(0.6)


@pytest.fixture
def render(mocked_aws: None) -> Iterator[Any]:
    """The render module, imported under the mocks; the bucket emptied after each test."""
    import functions.render

    yield functions.render
    s3 = storage.aws.client("s3")
    bucket = get_settings().files_bucket
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


def finalised_copy(attempt: int = 1) -> Copy:
    """A copy finalised for ``attempt``: two pages (the first with a masked variant), two annotations."""
    copy = Copy(COPY, exam_id=EXAM, upload_id="u1", anonymous_id="7F3A-001", page_count=2,
                status=CopyStatus.GRADING_IN_PROGRESS.value, grading_attempts=attempt)
    copy.save()
    storage.put_bytes("pages/e/c/0.jpg", PLAIN, "image/jpeg")
    storage.put_bytes("pages/e/c/0-masked.jpg", MASKED, "image/jpeg")
    storage.put_bytes("pages/e/c/1.jpg", SECOND, "image/jpeg")
    Page(COPY, 0, image_key="pages/e/c/0.jpg", masked_image_key="pages/e/c/0-masked.jpg",
         width=SIZE[0], height=SIZE[1]).save()
    Page(COPY, 1, image_key="pages/e/c/1.jpg", width=SIZE[0], height=SIZE[1]).save()
    Annotation(COPY, "a1", page_index=0, type="text", geometry={"x": 0.1, "y": 0.6}, text=COMMENT,
               author_id="t1").save()
    Annotation(COPY, "a2", page_index=1, type="tick", geometry={"x": 0.5, "y": 0.5}, author_id="t1").save()
    return copy


def spec(attempt: int = 1, **changes: Any) -> RenderSpec:
    fields: dict[str, Any] = {
        "copy_id": COPY, "exam_id": EXAM, "attempt": attempt, "anonymous_id": "7F3A-001",
        "exam_name": "DS n°3", "subject": "Mathématiques", "max_points": 20, "scheme": SCHEME,
        "scores": {"q1": 10.5, "q2": 6}, "remarks": {"q2": "Très bien"}, "appreciation": "Bon travail",
        "total": 16.5, "created_at": utcnow(),
    }
    return render_spec(**{**fields, **changes})


def deliver(render: Any, data: bytes, attempt: int = 1) -> str:
    key = finalize.spec_key(EXAM, COPY, attempt)
    storage.put_bytes(key, data, "application/json")
    render.process_spec(key)
    return key


def stored_copy() -> Copy:
    return Copy.get(COPY, consistent_read=True)


def pdf(key: str) -> pymupdf.Document:
    return pymupdf.open("pdf", storage.get_bytes(key))


def page_image(doc: pymupdf.Document, number: int) -> bytes:
    (xref, *_), = doc[number].get_images()
    return doc.extract_image(xref)["image"]


def actions(action: str) -> list[AuditEvent]:
    return [event for event in AuditEvent.scan() if event.action == action]


def test_a_good_spec_renders_both_pdfs_and_grades_the_copy(render: Any) -> None:
    finalised_copy()
    deliver(render, spec().to_bytes())

    copy = stored_copy()
    assert copy.status == CopyStatus.GRADED
    assert copy.final_pdf_key == storage.final_pdf_key(EXAM, COPY, 1)
    assert copy.final_masked_pdf_key == finalize.masked_pdf_key(EXAM, COPY, 1)
    assert float(copy.total) == 16.5
    plain, masked = pdf(copy.final_pdf_key), pdf(copy.final_masked_pdf_key)
    assert plain.page_count == masked.page_count == 3  # two scanned pages and the summary
    # the student's PDF shows the page as scanned, the teachers' the masked first page; both the second
    assert (page_image(plain, 0), page_image(masked, 0)) == (PLAIN, MASKED)
    assert page_image(plain, 1) == page_image(masked, 1) == SECOND
    for doc in (plain, masked):
        assert COMMENT in doc[0].get_text()  # annotations from the table (marks, no points)
        summary = doc[2].get_text()
        assert "7F3A-001" in summary and "16,5 / 20" in summary and "Très bien" in summary
    assert len(actions("copy.graded")) == 1


def test_a_duplicate_delivery_renders_once(render: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    finalised_copy()
    drawn = []
    real = render.render_final_pdf
    monkeypatch.setattr(render, "render_final_pdf", lambda *args: drawn.append(1) or real(*args))
    key = deliver(render, spec().to_bytes())
    render.process_spec(key)  # the same S3 event delivered again

    assert len(drawn) == 2  # one PDF for the student, one for teachers, once
    assert stored_copy().status == CopyStatus.GRADED
    assert len(actions("copy.graded")) == 1


def test_a_stale_attempt_changes_nothing(render: Any) -> None:
    finalised_copy(attempt=2)  # retried since: attempt 1's spec arrives late
    deliver(render, spec(attempt=1).to_bytes(), attempt=1)

    copy = stored_copy()
    assert copy.status == CopyStatus.GRADING_IN_PROGRESS
    assert (copy.final_pdf_key, copy.grading_error) == (None, None)


@pytest.mark.parametrize(("data", "reason"), [
    (b"{truncated", "not JSON"),
    (json.dumps({"spec_version": 3}).encode(), "version 3 is not supported"),
    (spec().to_bytes().replace(b'"total":16.5', b'"total":"16,5"'), "total: Input should be a valid number"),
    (spec(attempt=7).to_bytes(), "describes exam-1/copy-1/7, not its key"),
])
def test_an_unusable_spec_fails_the_copy_with_the_reason(render: Any, data: bytes, reason: str) -> None:
    finalised_copy()
    deliver(render, data)  # returns: the message is not retried forever

    copy = stored_copy()
    assert copy.status == CopyStatus.GRADING_FAILED
    assert copy.grading_error.startswith("The render spec cannot be used: ") and reason in copy.grading_error
    assert copy.grading_error_reason == "render_spec_unusable"
    assert reason in copy.grading_error_params["detail"]
    assert copy.final_pdf_key is None
    assert not storage.aws.client("s3").list_objects_v2(Bucket=get_settings().files_bucket,
                                                        Prefix="final/").get("KeyCount")


def test_a_render_error_fails_the_copy_with_the_reason(render: Any) -> None:
    finalised_copy()
    storage.aws.client("s3").delete_object(Bucket=get_settings().files_bucket, Key="pages/e/c/1.jpg")
    deliver(render, spec().to_bytes())

    copy = stored_copy()
    assert copy.status == CopyStatus.GRADING_FAILED
    assert copy.grading_error.startswith("The final PDF could not be rendered: ")
    assert "NoSuchKey" in copy.grading_error
    assert copy.grading_error_reason == "render_failed"


def version_1_spec() -> bytes:
    """A spec as finalise wrote it before the typed contract: embedded pages and annotations."""
    document = json.loads(spec().to_bytes())
    del document["spec_version"]
    document["scheme"] = SCHEME
    document["pages"] = [{"index": 0, "image_key": "pages/e/c/0.jpg",
                          "masked_image_key": "pages/e/c/0.jpg", "width": SIZE[0], "height": SIZE[1]}]
    document["annotations"] = [{"id": "old", "page_index": 0, "type": "text", "text": "embedded",
                                "geometry": {"x": 0.1, "y": 0.1}, "score_delta": None, "version": 1}]
    return json.dumps(document).encode()


def test_a_version_1_spec_queued_at_deploy_is_rendered_from_the_tables(render: Any) -> None:
    finalised_copy()
    deliver(render, version_1_spec())

    copy = stored_copy()
    assert copy.status == CopyStatus.GRADED and float(copy.total) == 16.5
    masked = pdf(copy.final_masked_pdf_key)
    assert page_image(masked, 0) == MASKED  # the page records, not the embedded copy
    assert COMMENT in masked[0].get_text() and "embedded" not in masked[0].get_text()
    assert "Très bien" in masked[2].get_text()


def test_the_handler_renders_every_spec_an_s3_event_announces(render: Any) -> None:
    finalised_copy()
    key = finalize.spec_key(EXAM, COPY, 1)
    storage.put_bytes(key, spec().to_bytes(), "application/json")
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": get_settings().files_bucket}, "object": {"key": key, "size": 1}}}]})
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": body, "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:render",
                          "awsRegion": "eu-west-3"}]}

    assert render.handler(event, None) == {"batchItemFailures": []}
    assert stored_copy().status == CopyStatus.GRADED
