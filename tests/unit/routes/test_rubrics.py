"""The rubric routes: who may read and write an exam's items, every bad input a 400 that changes nothing,
stale versions a 409, an edit answering how many copies it re-scores, and the per-item statistics."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.roles import Role
from chalicelib.models.audit import AuditEvent
from chalicelib.models.exams import Exam
from chalicelib.models.questions import RubricItem
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_results import student, student_headers
from tests.unit.services.test_rubrics import seed_copy, seed_exam, seed_item

BASE = "/api/exams/e1/rubrics"


@pytest.fixture
def people(api, admin):
    """Exam e1 in question mode: "grader" on Q1 only, "other" on Q2 only, "outsider" not on the exam."""
    grader = make_user("grader", Role.TEACHER)
    other = make_user("other", Role.TEACHER)
    make_user("outsider", Role.TEACHER)
    exam = seed_exam(teacher_ids=(grader.id, other.id))
    exam.update(actions=[Exam.question_teachers.set({"q1": [grader.id], "q2": [other.id]})])
    return Sessions(api, admin=admin)


class Sessions(dict):
    """Signed in on first use (each sign-in hashes a password: slow)."""

    def __init__(self, api, **known) -> None:
        super().__init__(**known)
        self.api = api

    def __missing__(self, username: str):
        self[username] = sign_in(self.api, username)
        return self[username]


def send(api, session, method: str, path: str, body: dict | None = None):
    response = getattr(api.http, method.lower())(
        path, headers=session.headers(), body=json.dumps(body) if body is not None else None
    )
    return response.status_code, (json.loads(response.body) if response.body else None)


def new_item(**overrides) -> dict:
    return {"question_id": "q1", "label": "Signe oublié", "kind": "delta", "points": -0.5, **overrides}


def test_the_admin_and_the_question_grader_append_items_that_everyone_on_the_exam_reads_in_order(api, people):
    status, first = send(api, people["admin"], "POST", BASE, new_item(comment="Relisez les signes"))
    assert status == 201, first
    assert first | {"id": None} == {"id": None, "question_id": "q1", "position": 1, "label": "Signe oublié",
                                    "kind": "delta", "points": -0.5, "comment": "Relisez les signes",
                                    "version": 1}
    status, second = send(api, people["grader"], "POST", BASE,
                          new_item(label="Juste", kind="absolute", points=4))
    assert status == 201 and second["position"] == 2 and second["comment"] is None
    send(api, people["admin"], "POST", BASE, new_item(question_id="q2", label="Q2 juste", points=2))

    status, listed = send(api, people["other"], "GET", BASE)
    assert status == 200
    assert [(i["question_id"], i["label"]) for i in listed["items"]] == [
        ("q1", "Signe oublié"), ("q1", "Juste"), ("q2", "Q2 juste")]
    status, q2 = send(api, people["grader"], "GET", f"{BASE}?question_id=q2")
    assert [i["label"] for i in q2["items"]] == ["Q2 juste"]
    assert [e.action for e in AuditEvent.exam_index.query("e1")].count("rubric.create") == 3


def test_a_question_has_at_most_thirty_live_items(api, people):
    for n in range(29):
        seed_item("e1", f"old-{n}", "q1", 0.5, position=n + 1)
    seed_item("e1", "gone", "q1", 0.5, position=30).update(actions=[RubricItem.deleted.set(True)])

    status, last = send(api, people["admin"], "POST", BASE, new_item())
    assert status == 201 and (last["id"], last["position"]) == ("q1.31", 31)  # the 31st item the question had
    status, refused = send(api, people["admin"], "POST", BASE, new_item(label="Un de trop"))
    assert status == 422 and refused["error"]["reason"] == "rubric_too_many_items"
    assert sum(1 for item in RubricItem.query("e1") if not item.deleted) == 30


def test_two_creations_reading_the_same_rubric_claim_one_id_and_the_cap_holds(api, people, monkeypatch):
    from chalicelib.services import rubrics

    for n in range(29):
        seed_item("e1", f"old-{n}", "q1", 0.5, position=n + 1)
    read = rubrics.exam_items
    raced: list[tuple] = []
    racing = []

    def read_then_lose_the_race(exam_id, **kwargs):
        items = read(exam_id, **kwargs)
        if not racing:  # another creation commits between this read and this creation's put
            racing.append(True)
            raced.append(send(api, people["admin"], "POST", BASE, new_item(label="L’autre")))
        return items

    monkeypatch.setattr(rubrics, "exam_items", read_then_lose_the_race)
    status, body = send(api, people["admin"], "POST", BASE, new_item(label="Celle-ci"))

    assert raced[0][0] == 201 and raced[0][1]["id"] == "q1.30"
    assert status == 422 and body["error"]["reason"] == "rubric_too_many_items"  # decided by the put
    assert sorted(item.label for item in RubricItem.query("e1") if not item.label.startswith("old-")) == [
        "L’autre"
    ]


def test_a_teacher_writes_only_the_rubric_of_a_question_dispatched_to_them_in_question_mode(api, people):
    status, body = send(api, people["other"], "POST", BASE, new_item())
    assert (status, body["error"]["reason"]) == (403, "rubric_not_allowed")
    status, body = send(api, people["outsider"], "POST", BASE, new_item())
    assert (status, body["error"]["reason"]) == (404, "exam_not_found")
    status, body = send(api, people["outsider"], "GET", BASE)
    assert (status, body["error"]["reason"]) == (404, "exam_not_found")

    Exam("e1").update(actions=[Exam.grading_mode.set("COPY")])
    status, body = send(api, people["grader"], "POST", BASE, new_item())
    assert (status, body["error"]["reason"]) == (403, "rubric_not_allowed")
    assert list(RubricItem.query("e1")) == []


def test_a_student_cannot_reach_the_rubrics(api, people):
    student("s1", "Martin", "Léa")
    headers = student_headers(api, "s1@college.example.org")

    assert api.http.get(BASE, headers=headers).status_code == 403
    assert api.http.post(BASE, headers=headers, body=json.dumps(new_item())).status_code == 403


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (new_item(points=-0.3), "rubric_points_invalid"),  # off the quarter-point step
        (new_item(points=5), "rubric_points_invalid"),  # more than the question's 4 points
        (new_item(kind="absolute", points=-1), "rubric_points_invalid"),
        (new_item(question_id="nope"), "question_unknown"),
        (new_item(points="1"), None),
        (new_item(points=True), None),
        (new_item(kind="bonus"), None),
        (new_item(label=""), None),
        (new_item(label="x" * 201), None),
        (new_item(comment="x" * 1001), None),
        (new_item(colour="red"), None),
    ],
)
def test_a_bad_item_is_400_with_its_reason_and_creates_nothing(api, people, body, reason):
    status, answer = send(api, people["admin"], "POST", BASE, body)

    assert status == 400, answer
    if reason:
        assert answer["error"]["reason"] == reason
    assert list(RubricItem.query("e1")) == []


@pytest.fixture
def used(people):
    """Item "sign" (Q1, -1) applied on two graded copies; "unused" on none."""
    exam = Exam.get("e1")
    seed_item("e1", "full", "q1", 4, kind="absolute")
    seed_item("e1", "sign", "q1", -1, position=2)
    seed_item("e1", "unused", "q1", -0.5, position=3)
    for index in range(2):
        seed_copy(exam, index, {"q1": ["full", "sign"]})
    return people


def test_an_edit_of_points_answers_how_many_copies_are_re_scored_and_is_audited(api, used):
    status, body = send(api, used["grader"], "PATCH", f"{BASE}/sign", {"version": 1, "points": -1.5})

    assert status == 200, body
    assert body["item"]["points"] == -1.5 and body["item"]["version"] == 2
    assert body["rescore"] == {"copies": 2, "status": "PENDING"}
    [event] = [e for e in AuditEvent.exam_index.query("e1") if e.action == "rubric.update"]
    assert event.actor_id == used["grader"].user_id and event.metadata["changed"] == ["points"]


def test_a_stale_version_is_409_and_changes_nothing(api, used):
    assert send(api, used["admin"], "PATCH", f"{BASE}/sign", {"version": 1, "label": "Signe"})[0] == 200

    status, body = send(api, used["grader"], "PATCH", f"{BASE}/sign", {"version": 1, "points": -2})

    assert (status, body["error"]["reason"]) == (409, "rubric_item_changed")
    assert body["item"]["version"] == 2 and body["item"]["label"] == "Signe"
    assert float(RubricItem.get("e1", "sign").points) == -1


@pytest.mark.parametrize(
    ("patch", "status", "reason"),
    [
        ({"version": 1, "points": 9}, 400, "rubric_points_invalid"),
        ({"version": 1, "label": None}, 400, "rubric_field_null"),
        ({"version": 1, "position": -1}, 400, None),
        ({"points": 1}, 400, None),
        ({"version": 1, "kind": "absolute", "points": 3}, 409, "rubric_absolute_twice"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(api, used, patch, status, reason):
    answer_status, answer = send(api, used["admin"], "PATCH", f"{BASE}/sign", patch)

    assert answer_status == status, answer
    if reason:
        assert answer["error"]["reason"] == reason
    assert int(RubricItem.get("e1", "sign").version) == 1


def test_an_edit_by_a_teacher_of_another_question_is_403_and_of_an_unknown_item_404(api, used):
    status, body = send(api, used["other"], "PATCH", f"{BASE}/sign", {"version": 1, "points": -2})
    assert (status, body["error"]["reason"]) == (403, "rubric_not_allowed")
    status, body = send(api, used["admin"], "PATCH", f"{BASE}/nope", {"version": 1, "points": -2})
    assert (status, body["error"]["reason"]) == (404, "rubric_item_not_found")


def test_an_item_in_use_cannot_be_deleted_an_unused_one_can(api, used):
    status, body = send(api, used["admin"], "DELETE", f"{BASE}/sign?version=1")
    assert (status, body["error"]["reason"]) == (409, "rubric_item_in_use")
    assert body["error"]["params"] == {"copies": 2}
    status, body = send(api, used["admin"], "DELETE", f"{BASE}/unused")
    assert (status, body["error"]["reason"]) == (400, "rubric_version_required")
    status, body = send(api, used["admin"], "DELETE", f"{BASE}/unused?version=7")
    assert (status, body["error"]["reason"]) == (409, "rubric_item_changed")

    assert send(api, used["grader"], "DELETE", f"{BASE}/unused?version=1")[0] == 204

    listed = send(api, used["admin"], "GET", BASE)[1]["items"]
    assert [i["id"] for i in listed] == ["full", "sign"]
    assert RubricItem.get("e1", "unused").deleted is True
    assert send(api, used["admin"], "DELETE", f"{BASE}/unused?version=2")[0] == 404


def test_the_statistics_count_how_many_graded_copies_got_each_item(api, used):
    seed_copy(Exam.get("e1"), 5, {"q1": ["sign"]}, status="READY")  # not graded: not counted

    status, stats = send(api, used["admin"], "GET", "/api/exams/e1/stats")

    assert status == 200, stats
    assert [(row["item_id"], row["count"]) for row in stats["rubric"]] == [
        ("full", 2), ("sign", 2), ("unused", 0)]
    assert stats["rubric"][1] == {"question_id": "q1", "item_id": "sign", "label": "sign", "points": -1,
                                  "kind": "delta", "count": 2}
