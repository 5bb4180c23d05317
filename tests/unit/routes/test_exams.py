"""Exams, marking schemes and teacher assignment through the API."""

from __future__ import annotations

import json

from chalicelib.domain.roles import Role
from chalicelib.models.copies import Copy
from tests.unit.conftest import make_user, sign_in

EXAM = {
    "name": "Maths — contrôle 3",
    "subject": "Mathématiques",
    "date": "2026-11-20",
    "upload_mode": "BATCH",
    "pages_per_copy": 4,
}


def create_exam(api, admin, **overrides):
    response = api.http.post("/api/exams", headers=admin.headers(), body=json.dumps({**EXAM, **overrides}))
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def test_admin_creates_and_reads_an_exam(api, admin):
    exam = create_exam(api, admin)
    assert exam["max_points"] == 20 and exam["pages_per_copy"] == 4 and exam["copy_counts"] == {}
    fetched = json.loads(api.http.get(f"/api/exams/{exam['id']}", headers=admin.headers()).body)
    assert fetched["name"] == EXAM["name"]
    listed = json.loads(api.http.get("/api/exams", headers=admin.headers()).body)["exams"]
    assert [e["id"] for e in listed] == [exam["id"]]


def test_invalid_exams_get_400_naming_the_field(api, admin):
    for bad in (
        {**EXAM, "date": "20/11/2026"},
        {**EXAM, "upload_mode": "PILE"},
        {**EXAM, "pages_per_copy": 0},
        {k: v for k, v in EXAM.items() if k != "name"},
    ):
        response = api.http.post("/api/exams", headers=admin.headers(), body=json.dumps(bad))
        assert response.status_code == 400, bad
    batch_without_pages = {**EXAM, "pages_per_copy": None}
    response = api.http.post("/api/exams", headers=admin.headers(), body=json.dumps(batch_without_pages))
    assert response.status_code == 400 and "pages_per_copy" in json.loads(response.body)["error"]["message"]


def test_patch_changes_settings(api, admin):
    exam = create_exam(api, admin)
    response = api.http.patch(
        f"/api/exams/{exam['id']}",
        headers=admin.headers(),
        body=json.dumps({"name": "Renamed", "upload_mode": "INDIVIDUAL"}),
    )
    body = json.loads(response.body)
    assert response.status_code == 200 and body["name"] == "Renamed" and body["pages_per_copy"] is None


def test_deleting_an_exam_with_copies_is_refused_and_deletes_nothing(api, admin):
    exam = create_exam(api, admin)
    Copy("c1", exam_id=exam["id"], upload_id="u1", anonymous_id="ABCD-001").save()
    response = api.http.delete(f"/api/exams/{exam['id']}", headers=admin.headers())
    assert response.status_code == 409
    assert api.http.get(f"/api/exams/{exam['id']}", headers=admin.headers()).status_code == 200


def test_deleting_an_empty_exam_works(api, admin):
    exam = create_exam(api, admin)
    assert api.http.delete(f"/api/exams/{exam['id']}", headers=admin.headers()).status_code == 204
    assert api.http.get(f"/api/exams/{exam['id']}", headers=admin.headers()).status_code == 404


def test_marking_scheme_comes_back_with_ids_and_derived_points(api, admin):
    exam = create_exam(api, admin)
    scheme = {
        "nodes": [
            {"label": "Ex 1", "children": [{"label": "a", "points": 3}, {"label": "b", "points": 5}]},
            {"label": "Ex 2", "points": 12.5},
        ]
    }
    response = api.http.put(
        f"/api/exams/{exam['id']}/marking-scheme", headers=admin.headers(), body=json.dumps(scheme)
    )
    body = json.loads(response.body)
    assert response.status_code == 200 and body["max_points"] == 20.5
    assert body["nodes"][0]["points"] == 8 and all(node["id"] for node in body["nodes"])
    stored = json.loads(api.http.get(f"/api/exams/{exam['id']}", headers=admin.headers()).body)
    assert stored["marking_scheme"]["nodes"] == body["nodes"] and stored["max_points"] == 20.5


def test_invalid_marking_scheme_names_the_node_and_changes_nothing(api, admin):
    exam = create_exam(api, admin)
    bad = {
        "nodes": [{"label": "Ex 1", "children": [{"label": "a", "points": 3}, {"label": "b", "points": -1}]}]
    }
    response = api.http.put(
        f"/api/exams/{exam['id']}/marking-scheme", headers=admin.headers(), body=json.dumps(bad)
    )
    body = json.loads(response.body)
    assert response.status_code == 422 and body["path"] == "1.2" and "1.2" in body["error"]["message"]
    stored = json.loads(api.http.get(f"/api/exams/{exam['id']}", headers=admin.headers()).body)
    assert stored["marking_scheme"] is None


def test_marking_scheme_is_frozen_once_grading_started(api, admin):
    exam = create_exam(api, admin)
    Copy("c1", exam_id=exam["id"], upload_id="u1", anonymous_id="ABCD-001", status="LOCKED").save()
    response = api.http.put(
        f"/api/exams/{exam['id']}/marking-scheme",
        headers=admin.headers(),
        body=json.dumps({"nodes": [{"label": "Q", "points": 20}]}),
    )
    assert response.status_code == 409


def test_teachers_are_assigned_and_see_only_their_exams(api, admin):
    exam = create_exam(api, admin)
    other = create_exam(api, admin, name="Other exam")
    teacher = make_user("tess", Role.TEACHER)
    response = api.http.put(
        f"/api/exams/{exam['id']}/teachers",
        headers=admin.headers(),
        body=json.dumps({"teacher_ids": [teacher.id]}),
    )
    assert response.status_code == 200 and json.loads(response.body)["teacher_ids"] == [teacher.id]
    session = sign_in(api, "tess")
    listed = json.loads(api.http.get("/api/exams", headers=session.headers()).body)["exams"]
    assert [e["id"] for e in listed] == [exam["id"]]
    assert api.http.get(f"/api/exams/{other['id']}", headers=session.headers()).status_code == 404


def test_assigning_an_unknown_or_non_teacher_user_is_refused(api, admin):
    exam = create_exam(api, admin)
    for teacher_ids in (["nobody"], [admin.user_id]):
        response = api.http.put(
            f"/api/exams/{exam['id']}/teachers",
            headers=admin.headers(),
            body=json.dumps({"teacher_ids": teacher_ids}),
        )
        assert response.status_code == 400
