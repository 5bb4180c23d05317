"""Pages to place: the pages of a BATCH scan left over after its last full copy are listed on the exam;
an admin attaches one to an undispatched copy at a position, makes a new copy from some, or discards
one — each change one transaction with its audit event, races decided by conditions."""

from __future__ import annotations

import json

import pytest

from chalicelib import storage
from chalicelib.domain.principal import Origin
from chalicelib.errors import Conflict
from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy, Page, loose_key
from chalicelib.models.exams import Upload
from chalicelib.services import loose_pages, scans
from tests.unit.conftest import make_user
from tests.unit.routes.test_copies import seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam


def jpeg(label: str) -> bytes:
    return f"jpeg:{label}".encode()


def store_loose(exam_id: str, upload_id: str = "u1", count: int = 2, status: str = "DONE") -> list[str]:
    """An upload (DONE by default) whose scan left ``count`` pages to place; returns their ids."""
    upload = Upload(exam_id, upload_id, filename="scan.pdf", size=10, object_key="scans/x.pdf", status=status,
                    copies=7, pages=28, created_by="someone")
    upload.save()
    records = []
    for position in range(count):
        keys = {kind: loose_pages.image_key(exam_id, upload_id, position, kind)
                for kind in ("", "masked", "header")}
        for kind, key in keys.items():
            storage.put_bytes(key, jpeg(f"{upload_id}-{position}-{kind}"), "image/jpeg")
        records.append(
            loose_pages.LooseRecord(keys[""], keys["masked"], keys["header"], 1240, 1754, 29 + position))
    loose_pages.register(upload, records)
    return [str(loose_pages.loose_index(upload_id, position)) for position in range(count)]


def with_pages(copy: Copy, count: int = 2) -> None:
    for index in range(count):
        masked = f"pages/{copy.id}/{index}-masked.jpg" if index == 0 else None
        Page(copy.id, index, image_key=f"pages/{copy.id}/{index}.jpg", masked_image_key=masked, width=10,
             height=10).save()


def pages_of(copy_id: str) -> list[str]:
    return [page.image_key for page in sorted(Page.query(copy_id), key=lambda page: int(page.index))]


def call(api, session, method: str, path: str, body=None):
    response = api.http.request(method, path, headers=session.headers(),
                                body=json.dumps(body) if body is not None else None)
    return response.status_code, json.loads(response.body or b"{}")


def listed(api, admin, exam_id: str) -> list[str]:
    return [page["id"] for page in call(api, admin, "GET", f"/api/exams/{exam_id}/loose-pages")[1]["pages"]]


@pytest.fixture
def exam(api, admin) -> str:
    return create_exam(api, admin)["id"]


def test_the_pages_to_place_are_listed_in_scan_order_with_an_image_url(api, admin, exam):
    ids = store_loose(exam)

    status, body = call(api, admin, "GET", f"/api/exams/{exam}/loose-pages")

    assert status == 200
    assert [(p["id"], p["source_page"], p["upload_id"], p["filename"]) for p in body["pages"]] == [
        (ids[0], 29, "u1", "scan.pdf"), (ids[1], 30, "u1", "scan.pdf")]
    assert "loose/u1-00.jpg" in body["pages"][0]["url"] and "Signature" in body["pages"][0]["url"]


def test_pages_of_a_scan_not_done_are_not_listed(api, admin, exam):
    store_loose(exam, "u2", status="DELETED")

    assert call(api, admin, "GET", f"/api/exams/{exam}/loose-pages") == (200, {"pages": []})


def test_a_page_is_inserted_into_a_copy_at_its_position_and_the_later_pages_move_on(api, admin, exam):
    ids = store_loose(exam)
    copy = seed_copies(exam, 1)[0]
    with_pages(copy, 2)

    status, body = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/{ids[0]}/attach",
                        {"copy_id": copy.id, "position": 2})

    assert status == 200 and body == {"copy_id": copy.id, "anonymous_id": "ABCD-001", "page_count": 3}
    assert pages_of(copy.id) == [f"pages/{copy.id}/0.jpg", loose_pages.image_key(exam, "u1", 0),
                                 f"pages/{copy.id}/1.jpg"]
    placed = Page.get(copy.id, 1)
    assert placed.masked_image_key is None  # teachers see a middle page as it is
    stored = Copy.get(copy.id)
    assert int(stored.page_count) == 3 and int(stored.version) == 2
    assert listed(api, admin, exam) == [ids[1]]
    (event,) = [e for e in AuditEvent.exam_index.query(exam) if e.action == "copy.page_attach"]
    assert event.copy_id == copy.id and event.metadata["position"] == 2 and event.actor_id == admin.user_id


def test_a_page_placed_first_becomes_the_masked_first_page_and_the_copy_header(api, admin, exam):
    ids = store_loose(exam)
    copy = seed_copies(exam, 1)[0]
    with_pages(copy, 2)

    status, _ = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/{ids[1]}/attach",
                     {"copy_id": copy.id, "position": 1})

    assert status == 200
    first, second = Page.get(copy.id, 0), Page.get(copy.id, 1)
    assert first.masked_image_key == loose_pages.image_key(exam, "u1", 1, "masked")
    assert second.masked_image_key == f"pages/{copy.id}/0-masked.jpg"  # the old first page stays masked
    assert storage.get_bytes(storage.header_key(exam, copy.id)) == jpeg("u1-1-header")


def test_a_page_can_go_after_the_last_page_but_not_further(api, admin, exam):
    ids = store_loose(exam)
    copy = seed_copies(exam, 1)[0]
    with_pages(copy, 2)
    path = f"/api/exams/{exam}/loose-pages/{ids[0]}/attach"

    status, body = call(api, admin, "POST", path, {"copy_id": copy.id, "position": 4})
    assert status == 400 and body["error"]["reason"] == "page_position_out_of_range"
    assert body["error"]["params"] == {"max": 3}
    for bad in ({"copy_id": copy.id, "position": 0}, {"copy_id": copy.id, "position": "2"},
                {"copy_id": copy.id}):
        assert call(api, admin, "POST", path, bad)[0] == 400

    assert call(api, admin, "POST", path, {"copy_id": copy.id, "position": 3})[0] == 200
    assert pages_of(copy.id)[-1] == loose_pages.image_key(exam, "u1", 0)


@pytest.mark.parametrize("state", ["dispatched", "LOCKED", "GRADED"])
def test_a_dispatched_or_graded_copy_takes_no_page(api, admin, exam, state):
    ids = store_loose(exam)
    copy = seed_copies(exam, 1, status="READY" if state == "dispatched" else state)[0]
    with_pages(copy, 2)
    if state == "dispatched":
        (teacher_id,) = with_teachers(api, admin, exam, "grader")
        Copy(copy.id).update(actions=[Copy.teacher_id.set(teacher_id)])

    status, body = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/{ids[0]}/attach",
                        {"copy_id": copy.id, "position": 1})

    assert status == 409 and body["error"]["reason"] == "copy_not_open_for_pages"
    assert len(pages_of(copy.id)) == 2 and len(list(Page.query(loose_key(exam)))) == 2


def test_another_exams_copy_or_page_is_404(api, admin, exam):
    other = create_exam(api, admin, name="Other exam")["id"]
    ids = store_loose(exam)
    foreign_copy = seed_copies(other, 1)[0]
    with_pages(foreign_copy)

    status, body = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/{ids[0]}/attach",
                        {"copy_id": foreign_copy.id, "position": 1})
    assert status == 404 and body["error"]["reason"] == "copy_not_found"
    assert call(api, admin, "DELETE", f"/api/exams/{other}/loose-pages/{ids[0]}")[0] == 404
    assert call(api, admin, "DELETE", f"/api/exams/{exam}/loose-pages/not-a-page")[0] == 404
    assert call(api, admin, "GET", "/api/exams/nope/loose-pages")[0] == 404
    assert len(list(Page.query(loose_key(exam)))) == 2


def test_of_two_admins_attaching_the_same_page_one_wins_the_other_gets_409(exam):
    ids = store_loose(exam)
    first, second = seed_copies(exam, 2)
    with_pages(first)
    with_pages(second)
    actor = make_user("other-admin")
    stale = loose_pages.get_page(exam, ids[0])  # both read the page before either writes
    loose_pages.attach(exam, ids[0], first.id, 1, actor=actor, origin=Origin())

    original = loose_pages.get_page
    loose_pages.get_page = lambda exam_id, page_id: stale  # the second admin's read, from before
    try:
        with pytest.raises(Conflict) as lost:
            loose_pages.attach(exam, ids[0], second.id, 1, actor=actor, origin=Origin())
    finally:
        loose_pages.get_page = original

    assert lost.value.status == 409 and lost.value.reason == "loose_page_gone"
    assert len(pages_of(first.id)) == 3 and len(pages_of(second.id)) == 2


def test_a_copy_changed_since_read_takes_no_page(exam, monkeypatch):
    ids = store_loose(exam)
    copy = seed_copies(exam, 1)[0]
    with_pages(copy)
    stale = Copy.get(copy.id)
    Copy(copy.id).update(actions=[Copy.version.add(1)])  # e.g. another page attached meanwhile
    monkeypatch.setattr(loose_pages, "_copy_of_exam", lambda exam_id, copy_id: stale)

    with pytest.raises(Conflict) as lost:
        loose_pages.attach(exam, ids[0], copy.id, 1, actor=make_user("a2"), origin=Origin())

    assert lost.value.reason == "copy_changed"
    assert len(list(Page.query(loose_key(exam)))) == 2 and len(pages_of(copy.id)) == 2


def test_pages_become_a_new_copy_to_identify_with_an_anonymous_id_and_its_header(api, admin, exam):
    ids = store_loose(exam)
    seed_copies(exam, 1)
    from chalicelib.models.exams import Exam

    Exam(exam).update(actions=[Exam.copy_counter.set(7)])

    status, body = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/new-copy",
                        {"page_ids": [ids[1], ids[0]]})

    assert status == 201 and body["page_count"] == 2
    copy = Copy.get(body["copy_id"])
    stored = Exam.get(exam)
    expected = scans.Reservation(8, stored.anonymous_prefix, stored.anonymous_key).anonymous_id(0)
    assert (copy.status, copy.exam_id, copy.upload_id, copy.anonymous_id) == ("STAGING", exam, "u1", expected)
    assert body["anonymous_id"] == expected
    assert pages_of(copy.id) == [loose_pages.image_key(exam, "u1", 1), loose_pages.image_key(exam, "u1", 0)]
    assert Page.get(copy.id, 0).masked_image_key and Page.get(copy.id, 1).masked_image_key is None
    assert storage.get_bytes(storage.header_key(exam, copy.id)) == jpeg("u1-1-header")
    assert call(api, admin, "GET", f"/api/exams/{exam}/loose-pages")[1]["pages"] == []
    queue = call(api, admin, "GET", f"/api/exams/{exam}/identification")[1]["copies"]
    assert copy.id in [entry["id"] for entry in queue]
    assert [e.action for e in AuditEvent.exam_index.query(exam)].count("copy.create_from_pages") == 1


def test_a_new_copy_needs_distinct_existing_pages(api, admin, exam):
    ids = store_loose(exam)
    path = f"/api/exams/{exam}/loose-pages/new-copy"

    assert call(api, admin, "POST", path, {"page_ids": []})[0] == 400
    status, body = call(api, admin, "POST", path, {"page_ids": [ids[0], ids[0]]})
    assert status == 400 and body["error"]["reason"] == "loose_pages_repeated"
    assert call(api, admin, "POST", path, {"page_ids": [ids[0], "12345"]})[0] == 404
    assert len(list(Copy.exam_index.query(exam))) == 0 and len(list(Page.query(loose_key(exam)))) == 2


def test_a_page_already_placed_cannot_start_a_new_copy(exam):
    ids = store_loose(exam)
    actor = make_user("a3")
    stale = [loose_pages.get_page(exam, page_id) for page_id in ids]
    loose_pages.discard(exam, ids[1], actor=actor, origin=Origin())
    original = loose_pages.get_page
    loose_pages.get_page = lambda exam_id, page_id: stale[ids.index(page_id)]
    try:
        with pytest.raises(Conflict) as lost:
            loose_pages.new_copy(exam, ids, actor=actor, origin=Origin())
    finally:
        loose_pages.get_page = original

    assert lost.value.reason == "loose_page_gone"
    assert list(Copy.exam_index.query(exam)) == [] and len(list(Page.query(loose_key(exam)))) == 1


def test_a_discarded_page_is_gone_with_its_images_and_audited(api, admin, exam):
    ids = store_loose(exam)

    status, body = call(api, admin, "DELETE", f"/api/exams/{exam}/loose-pages/{ids[0]}")

    assert status == 200 and body == {"id": ids[0], "discarded": True}
    assert listed(api, admin, exam) == [ids[1]]
    assert not storage.exists(loose_pages.image_key(exam, "u1", 0))
    (event,) = [e for e in AuditEvent.exam_index.query(exam) if e.action == "loose_page.discard"]
    assert event.target_id == ids[0] and event.metadata["source_page"] == 29
    status, body = call(api, admin, "DELETE", f"/api/exams/{exam}/loose-pages/{ids[0]}")
    assert status == 404 and body["error"]["reason"] == "loose_page_not_found"


def test_a_failed_scan_leaves_no_page_to_place(exam):
    store_loose(exam, status="PROCESSING")

    scans.fail(exam, "u1", "broken")

    assert list(Page.query(loose_key(exam))) == []


def test_teachers_cannot_touch_pages_to_place(api, admin, teacher, exam):
    ids = store_loose(exam)

    assert call(api, teacher, "GET", f"/api/exams/{exam}/loose-pages")[0] == 403
    assert call(api, teacher, "DELETE", f"/api/exams/{exam}/loose-pages/{ids[0]}")[0] == 403
    assert len(list(Page.query(loose_key(exam)))) == 2


def test_attaching_a_page_where_its_guess_says_takes_it_off_the_copys_missing_pages(api, admin, exam):
    ids = store_loose(exam, count=1)
    copy = seed_copies(exam, 1)[0]
    with_pages(copy, 1)
    copy.update(actions=[Copy.missing_pages.set([2, 3]), Copy.version.set(1)])
    page = Page.get(loose_pages.loose_key(exam), int(ids[0]))
    page.update(actions=[Page.guess_copy_id.set(copy.id), Page.guess_page.set(2)])

    status, _ = call(api, admin, "POST", f"/api/exams/{exam}/loose-pages/{ids[0]}/attach",
                     {"copy_id": copy.id, "position": 2})

    assert status == 200
    assert [int(n) for n in Copy.get(copy.id).missing_pages] == [3]
