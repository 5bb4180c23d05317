"""Grading against the local endpoint: locks under concurrency, versioned writes, finalise → render →
GRADED, failures and retries, immutability of GRADED copies, per-copy authorisation."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymupdf
import pytest

from tests.integration.conftest import account

pytestmark = pytest.mark.slow
PASSWORD = "Granite-Harbor-Lamp-71"




def page_jpeg(label: str, header: str = "") -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    if header:  # in the identity zone (top 25 %)
        page.insert_text((72, 80), header, fontsize=36)
    page.insert_text((72, 300), f"Page {label}", fontsize=30)
    return page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("jpeg", jpg_quality=80)


def masked_jpeg(image: bytes) -> bytes:
    """The teachers' variant of a first page, made as the ingest makes it."""
    import io

    from PIL import Image

    from functions.pdf.render import MASK_GREY, mask_height

    with Image.open(io.BytesIO(image)) as page:
        masked = page.copy()
    masked.paste(MASK_GREY, (0, 0, masked.width, mask_height(masked.height)))
    out = io.BytesIO()
    masked.save(out, "JPEG", quality=80)
    return out.getvalue()


def graded_copy_setup(teacher_id: str) -> tuple[str, list[str]]:
    """An exam with a two-question scheme and one READY copy of two real pages dispatched to the teacher."""
    from chalicelib import storage
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.exams import Exam

    exam_id, copy_id = uuid.uuid4().hex, uuid.uuid4().hex
    scheme = {
        "nodes": [
            {"id": "q1", "label": "Question 1", "points": 8, "children": []},
            {"id": "q2", "label": "Question 2", "points": 12, "children": []},
        ]
    }
    Exam(
        exam_id,
        name="Physique — devoir 2",
        subject="Physique",
        date="2026-11-21",
        upload_mode="BATCH",
        pages_per_copy=2,
        marking_scheme=scheme,
        max_points=20,
        anonymous_prefix="K9QZ",
        teacher_ids={teacher_id},
    ).save()
    Copy(
        copy_id,
        exam_id=exam_id,
        upload_id="u",
        anonymous_id="K9QZ-001",
        status="READY",
        page_count=2,
        teacher_id=teacher_id,
        student_id="s-1",
    ).save()
    for index in range(2):
        key = storage.page_key(exam_id, copy_id, index)
        image = page_jpeg(str(index + 1), header="Nom : MARTIN Lucas" if index == 0 else "")
        storage.put_bytes(key, image, "image/jpeg")
        masked_key = None
        if index == 0:  # as the ingest: only the first page has a masked variant
            masked_key = storage.page_key(exam_id, copy_id, index, masked=True)
            storage.put_bytes(masked_key, masked_jpeg(image), "image/jpeg")
        size = pymupdf.Pixmap(image)
        Page(
            copy_id, index, image_key=key, masked_image_key=masked_key, width=size.width, height=size.height
        ).save()
    return copy_id, ["q1", "q2"]


def request(api, headers, method, path, body=None, token=None):
    if token:
        headers = {**headers, "X-Lock-Token": token}
    response = api.http.request(
        method, path, headers=headers, body=json.dumps(body) if body is not None else None
    )
    return response.status_code, (json.loads(response.body) if response.body else None)


class RenderPump:
    def __init__(self) -> None:
        from chalicelib.resources import EVENT_ROUTES
        from functions import render
        from infra.local.pump import QueuePump

        route = next(r for r in EVENT_ROUTES if r.function == "render")
        self.pump = QueuePump(route, render.handler, threading.Event(), wait_seconds=1)

    def until(self, api, headers, copy_id: str, statuses: set[str], rounds: int = 30) -> dict[str, Any]:
        for _ in range(rounds):
            _, copy = request(api, headers, "GET", f"/api/copies/{copy_id}")
            if copy["status"] in statuses:
                return copy
            self.pump.poll_once()
        raise AssertionError(f"copy stayed {copy['status']}")


@pytest.fixture(scope="module")
def render_pump(provisioned) -> RenderPump:
    return RenderPump()


@pytest.fixture(scope="module")
def teacher(api) -> dict[str, str]:
    return account(api, "grader-one", "teacher")


@pytest.fixture(scope="module")
def teacher_id(teacher) -> str:
    from chalicelib.services import auth

    return auth.find_staff("grader-one").id


def test_twenty_concurrent_lock_attempts_give_exactly_one_lock(api, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    callers = [account(api, f"locker{index:02d}", "admin") for index in range(20)]
    barrier = threading.Barrier(20)

    def attempt(headers):
        barrier.wait()
        return request(api, headers, "POST", f"/api/copies/{copy_id}/lock")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, callers))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, results[:2]
    conflicts = [body for status, body in results if status == 409]
    assert all(body["holder"].startswith("locker") and body["expires_at"] for body in conflicts)


def test_lock_is_idempotent_for_its_holder_and_heartbeat_needs_the_token(api, teacher, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    status, first = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    assert status == 201
    status, again = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    assert status == 200 and again["token"] == first["token"]
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/lock/heartbeat", token="forged")[0] == 403
    assert (
        request(api, teacher, "POST", f"/api/copies/{copy_id}/lock/heartbeat", token=first["token"])[0] == 200
    )
    assert request(api, teacher, "DELETE", f"/api/copies/{copy_id}/lock", token=first["token"])[0] == 204
    assert request(api, teacher, "GET", f"/api/copies/{copy_id}")[1]["status"] == "READY"


def test_an_expired_lock_is_refused_in_the_write_condition(api, teacher, teacher_id):
    from datetime import timedelta

    from chalicelib.models.base import utcnow
    from chalicelib.models.grading import Lock

    copy_id, _ = graded_copy_setup(teacher_id)
    _, grant = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    Lock(copy_id).update(actions=[Lock.expires_at.set(utcnow() - timedelta(seconds=1))])  # TTL not yet run
    status, _ = request(
        api, teacher, "PUT", f"/api/copies/{copy_id}/scores", {"scores": {"q1": 4}}, token=grant["token"]
    )
    assert status == 409
    other = account(api, "grader-admin", "admin")
    assert request(api, other, "POST", f"/api/copies/{copy_id}/lock")[0] == 201


def test_stale_versions_get_409(api, teacher, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    _, grant = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    token = grant["token"]
    assert (
        request(
            api,
            teacher,
            "PUT",
            f"/api/copies/{copy_id}/draft",
            {"version": 0, "client_id": "tab-a", "payload": {"scores": {"q1": 2}}},
            token,
        )[0]
        == 200
    )
    assert (
        request(
            api,
            teacher,
            "PUT",
            f"/api/copies/{copy_id}/draft",
            {"version": 1, "client_id": "tab-a", "payload": {"scores": {"q1": 3}}},
            token,
        )[0]
        == 200
    )
    status, _body = request(
        api,
        teacher,
        "PUT",
        f"/api/copies/{copy_id}/draft",
        {"version": 1, "client_id": "tab-b", "payload": {"scores": {"q1": 9}}},
        token,
    )
    assert status == 409
    assert request(api, teacher, "GET", f"/api/copies/{copy_id}/draft")[1]["payload"] == {"scores": {"q1": 3}}

    status, note = request(
        api,
        teacher,
        "POST",
        f"/api/copies/{copy_id}/annotations",
        {"page_index": 0, "type": "text", "geometry": {"x": 0.1, "y": 0.1}, "text": "Bien"},
        token,
    )
    assert status == 201 and note["version"] == 1
    path = f"/api/copies/{copy_id}/annotations/{note['id']}"
    assert request(api, teacher, "PATCH", path, {"version": 1, "text": "Très bien"}, token)[0] == 200
    assert request(api, teacher, "PATCH", path, {"version": 1, "text": "Écrasé"}, token)[0] == 409
    assert request(api, teacher, "DELETE", f"{path}?version=1", token=token)[0] == 409
    assert request(api, teacher, "DELETE", f"{path}?version=2", token=token)[0] == 204


def test_bad_annotations_and_scores_get_400_and_change_nothing(api, teacher, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    _, grant = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    token = grant["token"]
    bad = [
        {"page_index": 5, "type": "tick", "geometry": {"x": 0.5, "y": 0.5}},
        {"page_index": 0, "type": "rect", "geometry": {"x": 0.9, "y": 0.1, "w": 0.5, "h": 0.1}},
        {"page_index": 0, "type": "ink", "geometry": {"points": [[0.1, 0.1]]}},
        {"page_index": 0, "type": "tick", "geometry": {"x": 1.5, "y": 0.5}},
        {"page_index": 0, "type": "star", "geometry": {"x": 0.5, "y": 0.5}},
    ]
    for body in bad:
        assert request(api, teacher, "POST", f"/api/copies/{copy_id}/annotations", body, token)[0] == 400, (
            body
        )
    for scores in ({"q1": 9}, {"q1": -1}, {"nope": 1}, {"q1": 1.3}):
        assert (
            request(api, teacher, "PUT", f"/api/copies/{copy_id}/scores", {"scores": scores}, token)[0] == 400
        )
    _, detail = request(api, teacher, "GET", f"/api/copies/{copy_id}")
    assert detail["annotations"] == [] and detail["scores"]["scores"] == {}


def grade(api, headers, copy_id: str) -> str:
    _, grant = request(api, headers, "POST", f"/api/copies/{copy_id}/lock")
    token = grant["token"]
    request(
        api,
        headers,
        "POST",
        f"/api/copies/{copy_id}/annotations",
        {
            "page_index": 0,
            "type": "rect",
            "geometry": {"x": 0.2, "y": 0.3, "w": 0.3, "h": 0.1},
        },
        token,
    )
    status, _ = request(
        api,
        headers,
        "PUT",
        f"/api/copies/{copy_id}/scores",
        {
            "scores": {"q1": 6.5, "q2": 9},
            "remarks": {"q2": "Unités oubliées"},
            "appreciation": "Bon travail, soignez la rédaction.",
        },
        token,
    )
    assert status == 200
    return token


def test_finalise_refuses_an_incomplete_copy_naming_the_missing_questions(api, teacher, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    _, grant = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock")
    request(api, teacher, "PUT", f"/api/copies/{copy_id}/scores", {"scores": {"q1": 3}}, grant["token"])
    status, body = request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, grant["token"])
    assert status == 422 and body["missing"] == ["q2"]
    assert request(api, teacher, "GET", f"/api/copies/{copy_id}")[1]["status"] == "LOCKED"


def test_two_concurrent_finalise_calls_render_once_into_one_final_pdf(api, teacher, teacher_id, render_pump):
    from chalicelib import storage
    from chalicelib.models.copies import Copy

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda _: request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token),
                range(2),
            )
        )
    assert [status for status, _ in results] == [202, 202]
    copy = render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})
    assert copy["status"] == "GRADED"
    stored = Copy.get(copy_id)
    assert int(stored.grading_attempts) == 1
    listing = storage.aws.client("s3").list_objects_v2(
        Bucket=storage.get_settings().files_bucket, Prefix=f"final/{stored.exam_id}/{copy_id}/"
    )
    assert sorted(item["Key"] for item in listing.get("Contents", [])) == sorted(
        [stored.final_pdf_key, stored.final_masked_pdf_key]
    )

    document = pymupdf.open(stream=storage.get_bytes(stored.final_pdf_key), filetype="pdf")
    assert document.page_count == 3
    summary = document[-1].get_text()
    assert "K9QZ-001" in summary and "15,5" in summary.replace(".", ",") and "Question 2" in summary
    assert "Unités oubliées" in summary
    original = pymupdf.Pixmap(storage.get_bytes(storage.page_key(stored.exam_id, copy_id, 0)))
    final = document[0].get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    x, y = int(0.2 * final.width) + 1, int(0.3 * final.height)  # on the rectangle's top edge
    assert final.pixel(x, y)[0] != original.pixel(x, y)[0]

    status, link = request(api, teacher, "GET", f"/api/copies/{copy_id}/final-pdf")
    assert status == 200 and 0 < link["expires_in"] <= 300


def test_a_finalise_that_read_the_copy_before_another_finalise_committed_still_answers_202(
    api, teacher, teacher_id, render_pump, monkeypatch
):
    """The losing request of a finalise race finds the lock already consumed: same answer, no render."""
    from copy import deepcopy

    from chalicelib.models.copies import Copy
    from chalicelib.services import copy_reads

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    reads = []
    real_read = copy_reads.read

    def remembering(*args, **kwargs):
        seen = real_read(*args, **kwargs)
        reads.append(deepcopy(seen))  # as read, before finalise moved it
        return seen

    monkeypatch.setattr(copy_reads, "read", remembering)
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)[0] == 202
    read_before = reads[0]  # the copy still LOCKED, the lock still there
    assert read_before.copy.status == "LOCKED" and read_before.lock is not None

    monkeypatch.setattr(copy_reads, "read", lambda *args, **kwargs: deepcopy(read_before))
    late = request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    monkeypatch.undo()

    assert late == (202, {"status": "GRADING_IN_PROGRESS"})
    assert render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})["status"] == "GRADED"
    assert int(Copy.get(copy_id).grading_attempts) == 1


def test_every_write_on_a_graded_copy_is_refused(api, teacher, teacher_id, render_pump):
    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    render_pump.until(api, teacher, copy_id, {"GRADED"})
    writes = [
        ("POST", f"/api/copies/{copy_id}/lock", None),
        ("PUT", f"/api/copies/{copy_id}/scores", {"scores": {"q1": 1, "q2": 1}}),
        ("PUT", f"/api/copies/{copy_id}/draft", {"version": 0, "client_id": "x", "payload": {}}),
        (
            "POST",
            f"/api/copies/{copy_id}/annotations",
            {"page_index": 0, "type": "tick", "geometry": {"x": 0.5, "y": 0.5}},
        ),
    ]
    for method, path, body in writes:
        assert request(api, teacher, method, path, body, token)[0] == 409, path
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token) == (
        200,
        {"status": "GRADED"},
    )


def test_a_failed_render_shows_its_reason_and_one_retry_grades_the_copy(
    api, teacher, teacher_id, render_pump, monkeypatch
):
    import functions.render

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)

    def broken(*_args, **_kwargs):
        raise RuntimeError("font cache corrupted")

    monkeypatch.setattr(functions.render, "render_final_pdf", broken)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    failed = render_pump.until(api, teacher, copy_id, {"GRADING_FAILED", "GRADED"})
    assert failed["status"] == "GRADING_FAILED" and "font cache corrupted" in failed["grading_error"]
    assert failed["grading_attempts"] == 1
    monkeypatch.undo()
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/retry", {})[0] == 202
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/retry", {})[0] == 202
    graded = render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})
    assert graded["status"] == "GRADED" and graded["grading_attempts"] == 2


def test_admin_reopen_keeps_the_previous_pdf_in_the_history(api, teacher, teacher_id, render_pump):
    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    render_pump.until(api, teacher, copy_id, {"GRADED"})
    admin = account(api, "grader-admin", "admin")
    reason = {"reason": "Question 2 was marked on the wrong scale."}
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/reopen", reason)[0] == 403
    assert request(api, admin, "POST", f"/api/copies/{copy_id}/reopen", {})[0] == 400  # a reason is required
    status, copy = request(api, admin, "POST", f"/api/copies/{copy_id}/reopen", reason)
    assert status == 200 and copy["status"] == "READY"
    _, history = request(api, admin, "GET", f"/api/copies/{copy_id}/history")
    reopen = next(event for event in history["events"] if event["action"] == "copy.reopen")
    assert (
        reopen["metadata"]["previous_pdf_key"].endswith("/1.pdf")
        and reopen["metadata"]["previous_total"] == 15.5
    )
    actions = [event["action"] for event in history["events"]]
    assert actions.index("lock.acquire") < actions.index("copy.finalize") < actions.index("copy.graded")
    assert reopen["metadata"]["reason"] == reason["reason"]

    # its teacher is told why, on the desk and in their list, until the copy is finalised again
    _, detail = request(api, teacher, "GET", f"/api/copies/{copy_id}")
    assert detail["reopened"]["reason"] == reason["reason"]
    _, mine = request(api, teacher, "GET", "/api/teacher/copies")
    assert next(c for c in mine["copies"] if c["id"] == copy_id)["reopened"]["reason"] == reason["reason"]
    _, lock = request(api, teacher, "POST", f"/api/copies/{copy_id}/lock", {})
    assert request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, lock["token"])[0] == 202
    assert request(api, teacher, "GET", f"/api/copies/{copy_id}/status")[1]["reopened"] is None


def test_a_teacher_gets_403_on_every_route_of_a_copy_not_dispatched_to_them(api, teacher_id):
    from app import app

    copy_id, _ = graded_copy_setup(teacher_id)
    stranger = account(api, "grader-two", "teacher")
    copy_routes = [
        (path, method)
        for path, methods in app.routes.items()
        if path.startswith("/api/copies/{copy_id}")
        for method in methods
        if path != "/api/copies/{copy_id}/reopen"
    ]
    assert len(copy_routes) >= 12
    for path, method in copy_routes:
        concrete = path.replace("{copy_id}", copy_id).replace("{annotation_id}", "a1")
        body = {} if method in ("POST", "PUT", "PATCH") else None
        status, _ = request(
            api, stranger, method, concrete + ("?version=1" if method == "DELETE" else ""), body
        )
        assert status == 403, (method, path, status)


def test_teachers_never_receive_the_students_identity(api, teacher, teacher_id):
    copy_id, _ = graded_copy_setup(teacher_id)
    response = api.http.get(f"/api/copies/{copy_id}", headers=teacher)
    assert response.status_code == 200 and "s-1" not in response.body.decode()
    listing = api.http.get("/api/teacher/copies", headers=teacher).body.decode()
    assert copy_id in listing and "s-1" not in listing


def first_page_pixels(pdf: bytes, width: int) -> pymupdf.Pixmap:
    """The first page of a final PDF rendered at its scanned image's resolution."""
    document = pymupdf.open(stream=pdf, filetype="pdf")
    page = document[0]
    return page.get_pixmap(dpi=round(width * 72 / page.rect.width), colorspace=pymupdf.csGRAY)


def band(pixmap: pymupdf.Pixmap, rows: int) -> bytes:
    """The top ``rows`` rows of a greyscale pixmap."""
    return pixmap.samples[: rows * pixmap.stride]


def test_teachers_get_the_final_pdf_of_the_masked_pages_admins_the_original(
    api, teacher, teacher_id, render_pump
):
    import requests

    from chalicelib import storage
    from chalicelib.models.copies import Copy, Page
    from functions.pdf.render import MASK_GREY, mask_height

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    assert render_pump.until(api, teacher, copy_id, {"GRADED", "GRADING_FAILED"})["status"] == "GRADED"
    stored, first = Copy.get(copy_id), Page.get(copy_id, 0)
    assert stored.final_masked_pdf_key == stored.final_pdf_key.removesuffix(".pdf") + "-masked.pdf"
    rows = mask_height(int(first.height))

    status, link = request(api, teacher, "GET", f"/api/copies/{copy_id}/final-pdf")
    assert status == 200
    teachers = requests.get(link["url"], timeout=30)
    assert teachers.status_code == 200 and teachers.content == storage.get_bytes(stored.final_masked_pdf_key)
    shown = first_page_pixels(teachers.content, int(first.width))
    masked = pymupdf.Pixmap(storage.get_bytes(first.masked_image_key))
    assert (shown.width, shown.height) == (int(first.width), int(first.height))
    assert band(shown, rows) == band(masked, rows)  # pixel for pixel the masked page's band
    assert set(band(shown, rows)) <= set(range(MASK_GREY - 2, MASK_GREY + 3))  # uniform mask grey

    admin = account(api, "final-pdf-admin", "admin")
    status, link = request(api, admin, "GET", f"/api/copies/{copy_id}/final-pdf")
    assert status == 200
    admins = requests.get(link["url"], timeout=30).content
    assert admins == storage.get_bytes(stored.final_pdf_key)
    original = pymupdf.Pixmap(storage.get_bytes(first.image_key))
    assert band(first_page_pixels(admins, int(first.width)), rows) == band(original, rows)
    assert min(band(original, rows)) < 100  # the name is there, in ink


def test_a_teacher_never_gets_the_unmasked_pdf_of_a_copy_graded_before_masked_pdfs(
    api, teacher, teacher_id, render_pump
):
    from chalicelib.models.copies import Copy

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    render_pump.until(api, teacher, copy_id, {"GRADED"})
    Copy(copy_id).update(actions=[Copy.final_masked_pdf_key.remove()])  # as graded before this change

    status, body = request(api, teacher, "GET", f"/api/copies/{copy_id}/final-pdf")

    assert status == 409 and "before" in body["error"]["message"]
    assert request(api, teacher, "GET", f"/api/copies/{copy_id}")[1]["final_pdf_available"] is False


def test_reopen_removes_both_final_pdfs_and_keeps_them_in_the_audit(api, teacher, teacher_id, render_pump):
    from chalicelib.models.audit import AuditEvent
    from chalicelib.models.copies import Copy

    copy_id, _ = graded_copy_setup(teacher_id)
    token = grade(api, teacher, copy_id)
    request(api, teacher, "POST", f"/api/copies/{copy_id}/finalize", {}, token)
    render_pump.until(api, teacher, copy_id, {"GRADED"})
    graded = Copy.get(copy_id)
    admin = account(api, "final-pdf-admin", "admin")

    assert request(api, admin, "POST", f"/api/copies/{copy_id}/reopen", {"reason": "Recount q1."})[0] == 200

    reopened = Copy.get(copy_id, consistent_read=True)
    assert reopened.final_pdf_key is None and reopened.final_masked_pdf_key is None
    events = [e for e in AuditEvent.scan() if e.copy_id == copy_id and e.action == "copy.reopen"]
    assert len(events) == 1
    assert events[0].metadata["previous_pdf_key"] == graded.final_pdf_key
    assert events[0].metadata["previous_masked_pdf_key"] == graded.final_masked_pdf_key
