"""A FAILED scan keeps a stable reason code and its values next to the English sentence, served by the API."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from chalicelib.models.exams import Upload
from chalicelib.services import scans as scan_service
from functions.ingest import size_problem
from functions.pdf import Layout, Limits, ScanRejected, process_scan
from tests.support import scans
from tests.unit.routes.test_exams import create_exam


def rejection(tmp_path: Path, data: bytes) -> ScanRejected:
    source = tmp_path / "upload.pdf"
    source.write_bytes(data)
    with pytest.raises(ScanRejected) as rejected:
        process_scan(source, tmp_path / "out", Layout("BATCH", pages_per_copy=2), Limits())
    return rejected.value


def test_an_encrypted_pdf_is_rejected_with_its_reason_across_the_sandbox(tmp_path: Path) -> None:
    rejected = rejection(tmp_path, scans.encrypted_pdf())

    assert rejected.reason == "pdf_encrypted"
    assert "encrypted" in rejected.message


def test_a_jpeg_is_not_a_pdf_with_its_format_as_a_value(tmp_path: Path) -> None:
    rejected = rejection(tmp_path, scans.not_a_pdf())

    assert (rejected.reason, rejected.params) == ("not_a_pdf", {"kind": "JPEG"})


def test_a_rejection_pickles_with_its_reason_and_values() -> None:
    rejected = ScanRejected("The PDF has 9 pages.", reason="pdf_too_many_pages",
                            params={"count": 9, "limit": 5})

    again = pickle.loads(pickle.dumps(rejected))  # noqa: S301 - our own bytes

    assert (again.message, again.reason, again.params) == (rejected.message, "pdf_too_many_pages",
                                                           {"count": 9, "limit": 5})


def test_an_oversized_object_is_refused_with_a_reason() -> None:
    problem = size_problem(2000, 1000)

    assert problem is not None
    assert problem.reason == "file_larger_than_announced"
    assert problem.params == {"size": 2000, "declared": 1000}


def uploaded(exam_id: str, upload_id: str = "u1") -> None:
    Upload(exam_id, upload_id, filename="scan.pdf", size=10, object_key="scans/x.pdf", status="PROCESSING",
           created_by="someone").save()


def test_the_api_serves_a_failed_uploads_reason_and_values(api, admin) -> None:
    exam = create_exam(api, admin)
    uploaded(exam["id"])
    scan_service.fail(exam["id"], "u1", "The PDF is encrypted (password-protected).", reason="pdf_encrypted",
                      params={})

    response = api.http.get(f"/api/exams/{exam['id']}/uploads/u1", headers=admin.headers())

    body = json.loads(response.body)
    assert (body["status"], body["error_reason"], body["error_params"]) == ("FAILED", "pdf_encrypted", {})
    assert body["error"] == "The PDF is encrypted (password-protected)."


def test_a_failure_without_a_reason_keeps_only_its_sentence(api, admin) -> None:
    exam = create_exam(api, admin)
    uploaded(exam["id"])
    scan_service.fail(exam["id"], "u1", "broken")

    response = api.http.get(f"/api/exams/{exam['id']}/uploads/u1", headers=admin.headers())

    body = json.loads(response.body)
    assert (body["error"], body["error_reason"], body["error_params"]) == ("broken", None, {})
