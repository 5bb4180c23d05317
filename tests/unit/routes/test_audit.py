"""The audit trail for admins: names instead of ids (one batch read per page), and the action filter."""

from __future__ import annotations

import json

from chalicelib import aws
from chalicelib.domain.principal import Origin
from chalicelib.models.students import Student
from chalicelib.services import audit
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_exams import create_exam


def events_of(api, admin, query: str = "") -> list[dict]:
    response = api.http.get(f"/api/audit{query}", headers=admin.headers())
    assert response.status_code == 200, response.body
    return json.loads(response.body)["events"]


def test_the_list_names_the_actors_exams_and_targets_instead_of_ids(api, admin):
    exam = create_exam(api, admin, name="Maths — contrôle 3")
    Student("pupil1", first_name="Zoé", last_name="Côté-Ngô", identity_key="k").save()
    audit.record("copy.download", actor_id="pupil1", actor_role="student", target_type="copy", target_id="c1",
                 exam_id=exam["id"], copy_id="c1", origin=Origin(ip="test"))
    teacher = make_user("mrsmith")
    api.http.patch(f"/api/users/{teacher.id}", headers=admin.headers(), body=json.dumps({"active": False}))

    events = {event["action"]: event for event in events_of(api, admin)}

    created = events["exam.create"]
    assert (created["actor_name"], created["exam_name"]) == ("principal", "Maths — contrôle 3")
    download = events["copy.download"]
    assert (download["actor_name"], download["exam_name"]) == ("Zoé Côté-Ngô", "Maths — contrôle 3")
    assert events["user.disable"]["target_name"] == "mrsmith"
    assert events["staff.login"]["actor_name"] == "principal"


def test_names_cost_one_batch_read_for_a_page_however_many_rows():
    admins = [make_user(f"admin{i}") for i in range(3)]
    for i in range(40):
        audit.record("exam.update", actor_id=admins[i % 3].id, actor_role="admin", target_type="exam",
                     target_id=f"exam{i % 5}", exam_id=f"exam{i % 5}")
    events = audit.query(since=audit.utcnow().replace(year=2000), until=audit.utcnow())
    aws.reset_round_trips()

    named = audit.serialise_named(events)

    assert aws.round_trips() == 1
    assert {event["actor_name"] for event in named if event["action"] == "exam.update"} == {
        "admin0", "admin1", "admin2"}
    assert all(event["exam_name"] is None for event in named)  # deleted or never existed: no name, no error


def test_an_empty_page_reads_nothing():
    aws.reset_round_trips()
    assert audit.serialise_named([]) == []
    assert aws.round_trips() == 0


def test_the_action_filter_keeps_only_that_action(api, admin):
    exam = create_exam(api, admin)
    api.http.patch(f"/api/exams/{exam['id']}", headers=admin.headers(), body=json.dumps({"name": "Renamed"}))

    assert {event["action"] for event in events_of(api, admin, "?action=exam.create")} == {"exam.create"}
    by_exam = events_of(api, admin, f"?exam_id={exam['id']}&action=exam.update")
    assert [event["action"] for event in by_exam] == ["exam.update"]
    assert by_exam[0]["exam_name"] == "Renamed"


def test_teachers_cannot_read_the_audit_trail(api, admin):
    make_user("mrsmith")
    teacher = sign_in(api, "mrsmith")
    assert api.http.get("/api/audit", headers=teacher.headers()).status_code == 403
