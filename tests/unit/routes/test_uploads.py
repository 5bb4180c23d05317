"""Scan uploads: a pre-signed POST restricted to the upload's key, type and size."""

from __future__ import annotations

import base64
import json

from tests.unit.routes.test_exams import create_exam


def test_upload_returns_a_presigned_post_limited_to_its_key_type_and_size(api, admin):
    exam = create_exam(api, admin)
    response = api.http.post(
        f"/api/exams/{exam['id']}/uploads",
        headers=admin.headers(),
        body=json.dumps({"filename": "scan maths.pdf", "size": 5_000_000}),
    )
    body = json.loads(response.body)
    assert response.status_code == 201
    key = body["fields"]["key"]
    assert key == f"scans/{exam['id']}/{body['upload_id']}.pdf"
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    assert {"key": key} in policy["conditions"]
    assert ["content-length-range", 1, 5_000_000] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert 0 < body["expires_in"] <= 3600
    status = json.loads(
        api.http.get(f"/api/exams/{exam['id']}/uploads/{body['upload_id']}", headers=admin.headers()).body
    )
    assert status["status"] == "UPLOADED" and status["copies"] == 0


def test_too_large_files_get_413_and_no_upload_record(api, admin):
    exam = create_exam(api, admin)
    response = api.http.post(
        f"/api/exams/{exam['id']}/uploads",
        headers=admin.headers(),
        body=json.dumps({"filename": "huge.pdf", "size": 50 * 1024**3}),
    )
    assert response.status_code == 413
    listed = json.loads(api.http.get(f"/api/exams/{exam['id']}/uploads", headers=admin.headers()).body)
    assert listed["uploads"] == []


def test_non_pdf_names_and_unknown_exams_are_refused(api, admin):
    exam = create_exam(api, admin)
    bad_name = api.http.post(
        f"/api/exams/{exam['id']}/uploads",
        headers=admin.headers(),
        body=json.dumps({"filename": "scan.docx", "size": 10}),
    )
    unknown = api.http.post(
        "/api/exams/nope/uploads",
        headers=admin.headers(),
        body=json.dumps({"filename": "scan.pdf", "size": 10}),
    )
    assert bad_name.status_code == 400 and unknown.status_code == 404
