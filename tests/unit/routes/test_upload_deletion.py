"""DELETE /api/exams/{exam_id}/uploads/{upload_id}: a scan uploaded twice (or the wrong one) goes with
its copies, their pages, OCR results and identity claims, while none of them is dispatched; audited."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy, Page
from chalicelib.models.exams import Upload
from chalicelib.models.ocr import OcrResult
from chalicelib.models.users import UniqueValue
from chalicelib.services import copies as copy_service
from tests.unit.conftest import sign_in
from tests.unit.routes.test_copies import enrol, seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam


@pytest.fixture
def scanned(api, admin):
    """An exam with a processed upload of two copies (one identified), each with a page and OCR."""
    exam = create_exam(api, admin)
    Upload(exam["id"], "u1", filename="scan.pdf", size=10, object_key="scans/x.pdf", status="DONE",
           copies=2, pages=4, created_by="someone").save()
    copies = seed_copies(exam["id"], 2)
    for copy in copies:
        Page(copy.id, 0, image_key=f"pages/{copy.id}/0.jpg", width=10, height=10).save()
        OcrResult(copy.id, exam_id=exam["id"], engine="local").save()
    enrol(exam["id"], "s1", "Martin", "Léa")
    status = api.http.post(f"/api/copies/{copies[0].id}/identify", headers=admin.headers(),
                           body=json.dumps({"student_id": "s1"})).status_code
    assert status == 200
    return exam["id"], [copy.id for copy in copies]


def delete(api, session, exam_id: str, upload_id: str = "u1"):
    response = api.http.delete(f"/api/exams/{exam_id}/uploads/{upload_id}", headers=session.headers())
    return response.status_code, json.loads(response.body or b"{}")


def test_an_undispatched_scan_goes_with_everything_its_copies_left_behind(api, admin, scanned):
    exam_id, copy_ids = scanned

    status, body = delete(api, admin, exam_id)

    assert status == 200 and body == {"upload_id": "u1", "status": "DELETED", "copies_deleted": 2}
    assert list(Copy.exam_index.query(exam_id)) == []
    assert all(list(Page.query(copy_id)) == [] for copy_id in copy_ids)
    assert list(OcrResult.scan()) == []
    assert list(UniqueValue.batch_get([copy_service.claim_key(exam_id, "s1")])) == []
    assert Upload.get(exam_id, "u1").status == "DELETED"
    actions = sorted(event.action for event in AuditEvent.exam_index.query(exam_id))
    assert actions.count("copy.delete") == 2 and "upload.delete" in actions
    # a repeat finds nothing left to delete
    assert delete(api, admin, exam_id) == (200, {"upload_id": "u1", "status": "DELETED", "copies_deleted": 0})


def test_a_dispatched_copy_keeps_the_whole_scan(api, admin, scanned):
    exam_id, copy_ids = scanned
    (teacher_id,) = with_teachers(api, admin, exam_id, "grader")
    Copy(copy_ids[1]).update(actions=[Copy.teacher_id.set(teacher_id)])

    status, body = delete(api, admin, exam_id)

    assert status == 409 and "ABCD-002" in body["error"]["message"]
    assert len(list(Copy.exam_index.query(exam_id))) == 2
    assert Upload.get(exam_id, "u1").status == "DONE"


def test_a_scan_still_processing_cannot_be_deleted(api, admin, scanned):
    exam_id, _ = scanned
    Upload(exam_id, "u1").update(actions=[Upload.status.set("PROCESSING")])

    assert delete(api, admin, exam_id)[0] == 409
    assert len(list(Copy.exam_index.query(exam_id))) == 2


def test_only_admins_delete_and_unknown_uploads_are_404(api, admin, scanned):
    exam_id, _ = scanned
    with_teachers(api, admin, exam_id, "grader")
    teacher = sign_in(api, "grader")

    assert delete(api, teacher, exam_id)[0] == 403
    assert delete(api, admin, exam_id, "nope")[0] == 404
    assert len(list(Copy.exam_index.query(exam_id))) == 2
