"""Identification that can be corrected and cannot be doubled, and the desk's lists, through the API."""

from __future__ import annotations

import json

from chalicelib.domain.principal import Origin
from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy
from chalicelib.models.users import UniqueValue
from chalicelib.services import audit
from tests.unit.routes.test_copies import enrol, seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam


def identify(api, admin, copy_id: str, student_id: str):
    body = json.dumps({"student_id": student_id})
    return api.http.post(f"/api/copies/{copy_id}/identify", headers=admin.headers(), body=body)


def unidentify(api, admin, copy_id: str):
    return api.http.post(f"/api/copies/{copy_id}/unidentify", headers=admin.headers(), body="{}")


def claim_owner(exam_id: str, student_id: str) -> str | None:
    try:
        return UniqueValue.get(f"exam-student#{exam_id}#{student_id}", consistent_read=True).owner_id
    except UniqueValue.DoesNotExist:
        return None


def actions(copy_id: str) -> list[AuditEvent]:
    return sorted(AuditEvent.copy_index.query(copy_id), key=lambda event: event.sort_key)


def desk(api, admin, exam_id: str) -> dict:
    return json.loads(api.http.get(f"/api/exams/{exam_id}/identification", headers=admin.headers()).body)


def test_identify_answers_with_the_student_it_set_and_claims_the_student_for_the_exam(api, admin):
    exam = create_exam(api, admin)
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "s1", "Dupont", "Élodie")
    response = identify(api, admin, copy.id, "s1")
    body = json.loads(response.body)
    assert response.status_code == 200 and body["status"] == "READY"
    assert body["student"] == {"id": "s1", "name": "DUPONT Élodie"}
    assert claim_owner(exam["id"], "s1") == copy.id


def test_a_second_copy_for_the_same_student_gets_409_naming_the_first_and_changes_nothing(api, admin):
    exam = create_exam(api, admin)
    first, second = seed_copies(exam["id"], 2)
    enrol(exam["id"], "s1", "DUPONT", "Élodie")
    assert identify(api, admin, first.id, "s1").status_code == 200
    refused = identify(api, admin, second.id, "s1")
    body = json.loads(refused.body)
    assert refused.status_code == 409 and first.anonymous_id in body["error"]["message"]
    assert body["copy_id"] == first.id and body["anonymous_id"] == first.anonymous_id
    assert Copy.get(second.id).status == "STAGING" and Copy.get(second.id).student_id is None
    assert claim_owner(exam["id"], "s1") == first.id


def test_the_claim_decides_even_when_the_student_index_has_not_caught_up(api, admin):
    """The student index is eventually consistent: only the claim item (in the transaction) is trusted."""
    exam = create_exam(api, admin)
    first, second = seed_copies(exam["id"], 2)
    enrol(exam["id"], "s1", "DUPONT", "Élodie")
    UniqueValue(f"exam-student#{exam['id']}#s1", owner_id=first.id).save()  # claimed, index not yet updated
    assert identify(api, admin, second.id, "s1").status_code == 409
    assert Copy.get(second.id).student_id is None


def test_identify_again_with_another_student_corrects_the_copy_and_frees_the_first_student(api, admin):
    exam = create_exam(api, admin)
    mistaken, other = seed_copies(exam["id"], 2)
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    enrol(exam["id"], "b", "BERNARD", "Basile")
    identify(api, admin, mistaken.id, "a")
    corrected = identify(api, admin, mistaken.id, "b")
    assert corrected.status_code == 200
    assert json.loads(corrected.body)["student"] == {"id": "b", "name": "BERNARD Basile"}
    assert Copy.get(mistaken.id).student_id == "b" and Copy.get(mistaken.id).status == "READY"
    assert claim_owner(exam["id"], "a") is None and claim_owner(exam["id"], "b") == mistaken.id
    assert identify(api, admin, other.id, "a").status_code == 200  # A is free for her own copy
    event = [e for e in actions(mistaken.id) if e.action == "copy.identify"][-1]
    assert event.metadata == {"student_id": "b", "previous_student_id": "a"}


def test_a_correction_keeps_the_grading_status_of_the_copy(api, admin):
    exam = create_exam(api, admin)
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    enrol(exam["id"], "b", "BERNARD", "Basile")
    identify(api, admin, copy.id, "a")
    copy.refresh()
    copy.update(actions=[Copy.status.set("GRADED")])
    assert identify(api, admin, copy.id, "b").status_code == 200
    assert Copy.get(copy.id).status == "GRADED" and Copy.get(copy.id).student_id == "b"


def test_a_correction_to_a_student_who_has_another_copy_is_refused(api, admin):
    exam = create_exam(api, admin)
    first, second = seed_copies(exam["id"], 2)
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    enrol(exam["id"], "b", "BERNARD", "Basile")
    identify(api, admin, first.id, "a")
    identify(api, admin, second.id, "b")
    refused = identify(api, admin, first.id, "b")
    assert refused.status_code == 409 and second.anonymous_id in json.loads(refused.body)["error"]["message"]
    assert Copy.get(first.id).student_id == "a" and claim_owner(exam["id"], "a") == first.id


def test_unidentify_sends_a_ready_copy_back_to_the_desk_without_student_or_teacher(api, admin):
    exam = create_exam(api, admin)
    (teacher,) = with_teachers(api, admin, exam["id"], "t1")
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    identify(api, admin, copy.id, "a")
    Copy.get(copy.id).update(actions=[Copy.teacher_id.set(teacher)])
    response = unidentify(api, admin, copy.id)
    assert response.status_code == 200 and json.loads(response.body)["student"] is None
    stored = Copy.get(copy.id)
    assert (stored.status, stored.student_id, stored.teacher_id) == ("STAGING", None, None)
    assert claim_owner(exam["id"], "a") is None
    assert [c["id"] for c in desk(api, admin, exam["id"])["copies"]] == [copy.id]
    event = actions(copy.id)[-1]
    assert event.action == "copy.unidentify" and event.metadata["previous_student_id"] == "a"
    assert [e.action for e in actions(copy.id)].count("copy.identify") == 1  # the history is kept
    assert unidentify(api, admin, copy.id).status_code == 409  # already back to be identified


def test_unidentify_is_refused_once_grading_started(api, admin):
    exam = create_exam(api, admin)
    copies = seed_copies(exam["id"], 3)
    for index, (copy, status) in enumerate(zip(copies, ("LOCKED", "GRADING_FAILED", "GRADED"), strict=True)):
        enrol(exam["id"], f"s{index}", "NOM", f"Prénom{index}")
        identify(api, admin, copy.id, f"s{index}")
        Copy.get(copy.id).update(actions=[Copy.status.set(status)])
        refused = unidentify(api, admin, copy.id)
        assert refused.status_code == 409 and "identify it with the right student" in refused.body.decode()
        assert Copy.get(copy.id).student_id == f"s{index}"


def test_after_release_the_student_cannot_change_until_unreleased(api, admin):
    exam = create_exam(api, admin)
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    enrol(exam["id"], "b", "BERNARD", "Basile")
    identify(api, admin, copy.id, "a")
    api.http.post(f"/api/exams/{exam['id']}/release", headers=admin.headers(), body="{}")
    for response in (identify(api, admin, copy.id, "b"), unidentify(api, admin, copy.id)):
        assert response.status_code == 409 and "unrelease first" in response.body.decode()
    assert Copy.get(copy.id).student_id == "a" and claim_owner(exam["id"], "a") == copy.id
    api.http.delete(f"/api/exams/{exam['id']}/release", headers=admin.headers())
    assert identify(api, admin, copy.id, "b").status_code == 200


def test_the_desk_lists_identified_copies_and_students_without_a_copy(api, admin):
    exam = create_exam(api, admin)
    done, waiting = seed_copies(exam["id"], 2)
    enrol(exam["id"], "a", "ARNAUD", "Anne")
    enrol(exam["id"], "b", "BERNARD", "Basile")
    enrol(exam["id"], "c", "CLÉMENT", "Chloé")
    identify(api, admin, done.id, "a")
    body = desk(api, admin, exam["id"])
    assert [c["id"] for c in body["copies"]] == [waiting.id]
    assert [(c["id"], c["student"]["id"]) for c in body["identified"]] == [(done.id, "a")]
    assert body["identified"][0]["header_url"] and body["identified"][0]["status"] == "READY"
    assert body["students_without_copy"] == [
        {"id": "b", "name": "BERNARD Basile"},
        {"id": "c", "name": "CLÉMENT Chloé"},
    ]


def test_teachers_history_carries_no_student_actor_id_or_name(api, admin):
    exam = create_exam(api, admin)
    (teacher_id,) = with_teachers(api, admin, exam["id"], "t1")
    copy = seed_copies(exam["id"], 1)[0]
    enrol(exam["id"], "stu-42", "ARNAUD", "Anne")
    identify(api, admin, copy.id, "stu-42")
    unidentify(api, admin, copy.id)
    identify(api, admin, copy.id, "stu-42")
    Copy.get(copy.id).update(actions=[Copy.teacher_id.set(teacher_id)])
    audit.record("copy.download", actor_id="stu-42", actor_role="student", origin=Origin(ip="10.0.0.9"),
                 target_type="copy", target_id=copy.id, exam_id=exam["id"], copy_id=copy.id)
    audit.record("copy.reassign", actor_id="x", actor_role="admin", target_type="copy", target_id=copy.id,
                 exam_id=exam["id"], copy_id=copy.id,
                 metadata={"to": teacher_id, "student_id": "stu-42", "name": "ARNAUD Anne"})

    from tests.unit.conftest import sign_in

    session = sign_in(api, "t1")
    response = api.http.get(f"/api/copies/{copy.id}/history", headers=session.headers())
    assert response.status_code == 200
    events = json.loads(response.body)["events"]
    assert [e["action"] for e in events] == ["copy.reassign"]
    assert events[0]["metadata"] == {"to": teacher_id}
    text = response.body.decode()
    assert "stu-42" not in text and "ARNAUD" not in text and "10.0.0.9" not in text

    admin_view = json.loads(api.http.get(f"/api/copies/{copy.id}/history", headers=admin.headers()).body)
    assert [e["action"] for e in admin_view["events"]] == [
        "copy.identify", "copy.unidentify", "copy.identify", "copy.download", "copy.reassign"
    ]
