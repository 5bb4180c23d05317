"""Question-first grading routes: dispatch by question and regions (admin), the teacher's questions, the
copies of a question, one question of a copy, question locks (two on one copy coexist; a copy-mode lock
excludes them and the reverse; expiry; admin break) and score saves computed from the shared rubric,
finalising the copy exactly when its last question is completed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import aws, storage
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock, ScoreSheet
from chalicelib.models.questions import QuestionScore, RubricItem
from chalicelib.services import finalize
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_copies import seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam
from tests.unit.routes.test_results import student, student_headers

SCHEME = [{"id": "q1", "label": "Q1", "points": 4}, {"id": "q2", "label": "Q2", "points": 6}]


class Desk:
    """An exam graded question by question: q1 to alice and dave, q2 to bob, carol on the exam but
    on no question; three READY copies; a rubric of three items."""

    def __init__(self, api, admin) -> None:
        self.api, self.admin = api, admin
        exam = create_exam(api, admin)
        self.exam_id = exam["id"]
        response = api.http.put(
            f"/api/exams/{self.exam_id}/marking-scheme", headers=admin.headers(),
            body=json.dumps({"nodes": SCHEME}),
        )
        assert response.status_code == 200, response.body
        alice, bob, carol, dave = with_teachers(api, admin, self.exam_id, "alice", "bob", "carol", "dave")
        self.ids = {"alice": alice, "bob": bob, "carol": carol, "dave": dave}
        self.copies = [copy.id for copy in seed_copies(self.exam_id, 3, status="READY")]
        response = self.call(admin, "PUT", f"/api/exams/{self.exam_id}/question-dispatch",
                             {"mode": "QUESTION", "assignments": {"q1": [alice, dave], "q2": [bob]}})
        assert response.status_code == 200, response.body
        for item_id, question, kind, points in (
            ("r1", "q1", "absolute", 4), ("r2", "q1", "delta", -1.5), ("r3", "q2", "absolute", 6),
        ):
            RubricItem(self.exam_id, item_id, question_id=question, position=int(item_id[1]), label=item_id,
                       kind=kind, points=points, created_by="admin").save()
        self.sessions = {name: sign_in(api, name) for name in self.ids}

    def call(self, session, method: str, path: str, body=None, token: str | None = None):
        headers = session.headers() | ({"X-Lock-Token": token} if token else {})
        payload = json.dumps(body) if body is not None else None
        return getattr(self.api.http, method.lower())(path, headers=headers, body=payload)

    def lock(self, name: str, copy_id: str, question: str, expect: int = 201) -> str:
        session = self.admin if name == "admin" else self.sessions[name]
        response = self.call(session, "POST", f"/api/copies/{copy_id}/questions/{question}/lock", {})
        assert response.status_code == expect, response.body
        return json.loads(response.body).get("token", "")

    def score(self, name: str, copy_id: str, question: str, token: str | None, **body):
        session = self.admin if name == "admin" else self.sessions[name]
        payload = {"version": 0, "rubric_item_ids": [], "complete": False, **body}
        return self.call(session, "PUT", f"/api/copies/{copy_id}/questions/{question}/score", payload, token)


def body(response) -> dict:
    return json.loads(response.body)


def reason(response) -> str:
    return body(response)["error"]["reason"]


def actions(copy_id: str) -> list[str]:
    return sorted(event.action for event in AuditEvent.copy_index.query(copy_id))


@pytest.fixture
def desk(api, admin) -> Desk:
    return Desk(api, admin)


# Dispatch and regions --------------------------------------------------------------------------------


def test_a_scheme_beyond_the_question_mode_bound_is_refused_by_dispatch_and_by_a_later_edit(api, admin, desk):
    from chalicelib.services.question_dispatch import MAX_QUESTIONS

    alice = desk.ids["alice"]
    path = f"/api/exams/{desk.exam_id}/question-dispatch"
    assert desk.call(admin, "PUT", path, {"mode": "QUESTION", "assignments": {"q1": [alice], "q2": [alice]}})
    many = [{"id": f"m{i}", "label": f"Q{i}", "points": 1} for i in range(MAX_QUESTIONS + 1)]
    scheme = f"/api/exams/{desk.exam_id}/marking-scheme"
    edit = desk.call(admin, "PUT", scheme, {"nodes": many})
    assert edit.status_code == 422 and reason(edit) == "question_mode_too_many"
    assert desk.call(admin, "PUT", path, {"mode": "COPY", "assignments": {}}).status_code == 200
    assert desk.call(admin, "PUT", scheme, {"nodes": many}).status_code == 200
    every = {"mode": "QUESTION", "assignments": {f"m{i}": [alice] for i in range(MAX_QUESTIONS + 1)}}
    refused = desk.call(admin, "PUT", path, every)
    assert refused.status_code == 422 and reason(refused) == "question_mode_too_many"


def test_dispatch_by_question_needs_every_question_on_teachers_of_the_exam(api, admin, desk):
    path = f"/api/exams/{desk.exam_id}/question-dispatch"
    alice = desk.ids["alice"]
    outsider = make_user("outsider").id
    refused = [
        ({"mode": "QUESTION", "assignments": {"q1": [alice]}}, 422, "question_unassigned"),
        ({"mode": "QUESTION", "assignments": {"q1": [alice], "q2": [outsider]}}, 400,
         "question_teacher_not_on_exam"),
        ({"mode": "QUESTION", "assignments": {"q1": [alice], "q2": [alice], "q9": [alice]}}, 400,
         "question_unknown"),
    ]
    for payload, status, why in refused:
        response = desk.call(admin, "PUT", path, payload)
        assert response.status_code == status and reason(response) == why, response.body
    bad_bodies = (
        {"mode": "PILE"}, {"mode": "QUESTION", "assignments": {"q1": "alice"}}, {"mode": "COPY", "x": 1},
    )
    for bad in bad_bodies:
        assert desk.call(admin, "PUT", path, bad).status_code == 400, bad

    both = {"mode": "QUESTION", "assignments": {"q1": [alice], "q2": [alice]}}
    exam = body(desk.call(admin, "PUT", path, both))
    assert exam["grading_mode"] == "QUESTION" and exam["question_teachers"] == {"q1": [alice], "q2": [alice]}
    events = list(AuditEvent.exam_index.query(desk.exam_id))
    assert [e.action for e in events].count("exam.question_dispatch") == 2
    teacher = desk.sessions["alice"]
    assert desk.call(teacher, "PUT", path, {"mode": "COPY"}).status_code == 403


def test_regions_are_a_page_and_a_box_on_it(api, admin, desk):
    path = f"/api/exams/{desk.exam_id}/question-regions"
    good = {"page": 1, "x": 0.05, "y": 0.2, "w": 0.9, "h": 0.3}
    exam = body(desk.call(admin, "PUT", path, {"regions": {"q1": good}}))
    assert exam["question_regions"] == {"q1": good}
    refused = [
        ({"q1": {**good, "page": 4}}, "region_page_out_of_range"),  # the exam has 4 pages per copy
        ({"q1": {**good, "x": 0.5, "w": 0.6}}, "region_invalid"),
        ({"q1": {**good, "w": 0}}, "region_invalid"),
        ({"q7": good}, "question_unknown"),
    ]
    for regions, why in refused:
        response = desk.call(admin, "PUT", path, {"regions": regions})
        assert response.status_code == 400 and reason(response) == why, response.body
    assert desk.call(admin, "PUT", path, {"regions": {"q1": {**good, "z": 1}}}).status_code == 400
    assert desk.call(admin, "PUT", path, {"regions": {"q1": {**good, "x": "0.1"}}}).status_code == 400
    assert body(desk.call(admin, "GET", f"/api/exams/{desk.exam_id}"))["question_regions"] == {"q1": good}


# Reads and authorisation -----------------------------------------------------------------------------


def test_a_teacher_lists_only_their_questions_and_admins_all(api, admin, desk):
    mine = body(desk.call(desk.sessions["alice"], "GET", "/api/teacher/questions"))["questions"]
    assert [(q["question_id"], q["total"], q["complete"]) for q in mine] == [("q1", 3, 0)]
    assert body(desk.call(desk.sessions["carol"], "GET", "/api/teacher/questions"))["questions"] == []
    every = body(desk.call(admin, "GET", "/api/teacher/questions"))["questions"]
    assert [q["question_id"] for q in every] == ["q1", "q2"]


def test_the_copies_of_a_question_and_one_question_of_a_copy(api, admin, desk):
    listing = body(desk.call(desk.sessions["alice"], "GET", f"/api/exams/{desk.exam_id}/questions/q1/copies"))
    assert listing["question"] == {"id": "q1", "label": "Q1", "max_points": 4.0, "region": None}
    assert [row["anonymous_id"] for row in listing["copies"]] == ["ABCD-001", "ABCD-002", "ABCD-003"]
    assert (listing["complete"], listing["total"]) == (0, 3)

    view = body(desk.call(desk.sessions["alice"], "GET", f"/api/copies/{desk.copies[0]}/questions/q1"))
    assert view["score"] == {"rubric_item_ids": [], "adjustment": 0, "score": None, "remark": "",
                             "complete": False, "version": 0}
    assert [item["id"] for item in view["rubric"]] == ["r1", "r2"] and view["lock"] is None
    assert "student_id" not in view and view["anonymous_id"] == "ABCD-001"


def test_a_teacher_not_assigned_to_the_question_gets_403_on_every_route(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    for name, question in (("carol", "q1"), ("bob", "q1"), ("alice", "q2")):
        session = desk.sessions[name]
        base = f"/api/copies/{copy_id}/questions/{question}"
        responses = [
            desk.call(session, "GET", f"/api/exams/{desk.exam_id}/questions/{question}/copies"),
            desk.call(session, "GET", base),
            desk.call(session, "POST", f"{base}/lock", {}),
            desk.call(session, "POST", f"{base}/lock/heartbeat", {}, token),
            desk.call(session, "DELETE", f"{base}/lock", None, token),
            desk.score(name, copy_id, question, token),
            desk.score(name, copy_id, question, token, adjustment="x"),
        ]
        for response in responses:
            assert response.status_code == 403 and reason(response) == "question_not_assigned", response.body
    for path, method in ((f"/api/exams/{desk.exam_id}/question-regions", "PUT"),
                         (f"/api/copies/{copy_id}/finalise-questions", "POST")):
        assert desk.call(desk.sessions["alice"], method, path, {"regions": {}}).status_code == 403
    assert Lock.get(f"{copy_id}#q1").token == token  # nobody else's call touched alice's lock


def test_students_and_anonymous_callers_are_refused(api, admin, desk):
    student("eli", "SIMON", "Éli")
    eli = student_headers(api, "eli@college.example.org")
    copy_id = desk.copies[0]
    paths = [("GET", "/api/teacher/questions"), ("GET", f"/api/copies/{copy_id}/questions/q1"),
             ("POST", f"/api/copies/{copy_id}/questions/q1/lock"),
             ("GET", f"/api/exams/{desk.exam_id}/questions/q1/copies")]
    for method, path in paths:
        assert getattr(api.http, method.lower())(path, headers=eli, body="{}").status_code == 403, path
        anonymous = getattr(api.http, method.lower())(path, headers={"Content-Type": "application/json"})
        assert anonymous.status_code == 401, path


# Locks ---------------------------------------------------------------------------------------------


def test_two_teachers_lock_two_questions_of_one_copy_but_not_the_same_one(api, admin, desk):
    copy_id = desk.copies[0]
    alice = desk.lock("alice", copy_id, "q1")
    bob = desk.lock("bob", copy_id, "q2")
    assert alice and bob and alice != bob
    assert desk.lock("alice", copy_id, "q1", expect=200) == alice  # yours again, same token
    response = desk.call(desk.sessions["dave"], "POST", f"/api/copies/{copy_id}/questions/q1/lock", {})
    assert response.status_code == 409 and reason(response) == "lock_held_by_other"
    assert body(response)["error"]["params"] == {"name": "alice"}
    assert Copy.get(copy_id).status == "READY"  # question locks never move the copy
    assert actions(copy_id).count("question_lock.acquire") == 2


def test_a_copy_mode_lock_and_question_locks_exclude_each_other(api, admin, desk):
    first, second = desk.copies[0], desk.copies[1]
    desk.lock("alice", first, "q1")
    response = desk.call(admin, "POST", f"/api/copies/{first}/lock", {})
    assert response.status_code == 409 and reason(response) == "question_locks_live", response.body
    assert Copy.get(first).status == "READY"

    assert desk.call(admin, "POST", f"/api/copies/{second}/lock", {}).status_code == 201
    response = desk.call(desk.sessions["alice"], "POST", f"/api/copies/{second}/questions/q1/lock", {})
    assert response.status_code == 409 and reason(response) == "copy_locked_whole", response.body
    assert Lock.count(f"{second}#q1") == 0


def test_a_copy_mode_lock_sees_a_switch_to_question_mode_it_did_not_read(api, admin):
    exam = create_exam(api, admin)
    api.http.put(f"/api/exams/{exam['id']}/marking-scheme", headers=admin.headers(),
                 body=json.dumps({"nodes": SCHEME}))
    (teacher_id,) = with_teachers(api, admin, exam["id"], "zoe")
    (copy,) = seed_copies(exam["id"], 1, status="READY")
    api.http.get(f"/api/copies/{copy.id}", headers=admin.headers())  # the process snapshots the exam in COPY
    response = api.http.put(f"/api/exams/{exam['id']}/question-dispatch", headers=admin.headers(),
                            body=json.dumps({"mode": "QUESTION",
                                             "assignments": {"q1": [teacher_id], "q2": [teacher_id]}}))
    assert response.status_code == 200
    zoe = sign_in(api, "zoe")
    response = api.http.post(f"/api/copies/{copy.id}/questions/q1/lock", headers=zoe.headers(), body="{}")
    assert response.status_code == 201
    response = api.http.post(f"/api/copies/{copy.id}/lock", headers=admin.headers(), body="{}")
    assert response.status_code == 409 and reason(response) == "question_locks_live"


def test_an_expired_question_lock_is_taken_over_and_its_holder_can_no_longer_save(api, admin, desk):
    copy_id = desk.copies[0]
    alice = desk.lock("alice", copy_id, "q1")
    Lock(f"{copy_id}#q1").update(actions=[Lock.expires_at.set(utcnow() - timedelta(seconds=1))])
    path = f"/api/copies/{copy_id}/questions/q1/lock/heartbeat"
    heartbeat = desk.call(desk.sessions["alice"], "POST", path, {}, alice)
    assert heartbeat.status_code == 409 and reason(heartbeat) == "lock_lost"
    dave = desk.lock("dave", copy_id, "q1")
    response = desk.score("alice", copy_id, "q1", alice, rubric_item_ids=["r1"])
    assert response.status_code == 409 and reason(response) == "lock_lost"
    assert desk.score("dave", copy_id, "q1", dave, rubric_item_ids=["r1"]).status_code == 200


def test_heartbeat_release_and_a_repeated_release(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    base = f"/api/copies/{copy_id}/questions/q1/lock"
    before = Lock.get(f"{copy_id}#q1").expires_at
    response = desk.call(desk.sessions["alice"], "POST", f"{base}/heartbeat", {}, token)
    assert response.status_code == 200 and Lock.get(f"{copy_id}#q1").expires_at >= before
    assert desk.call(desk.sessions["alice"], "DELETE", base, None, token).status_code == 204
    assert Lock.count(f"{copy_id}#q1") == 0
    assert desk.call(desk.sessions["alice"], "DELETE", base, None, token).status_code == 204
    assert actions(copy_id).count("question_lock.release") == 1


def test_an_admin_breaks_a_question_lock_without_its_token(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    assert desk.call(admin, "DELETE", f"/api/copies/{copy_id}/questions/q1/lock").status_code == 204
    assert Lock.count(f"{copy_id}#q1") == 0 and "question_lock.break" in actions(copy_id)
    response = desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r1"])
    assert response.status_code == 409 and reason(response) == "lock_lost"


# Scores --------------------------------------------------------------------------------------------


def test_a_score_is_computed_from_the_applied_items_and_the_adjustment(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    response = desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r1", "r2"], adjustment=0.5,
                          remark="Bien vu")
    assert response.status_code == 200, response.body
    saved = body(response)
    assert saved["score"]["score"] == 3.0 and saved["score"]["version"] == 1
    assert (saved["copy_status"], saved["finalised"]) == ("READY", False)
    stored = QuestionScore.get(copy_id, "q1")
    assert float(stored.score) == 3.0 and stored.graded_by == desk.ids["alice"]
    assert "question.score" in actions(copy_id)


def test_bad_score_bodies_are_400_and_change_nothing(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    refused = [
        ({"rubric_item_ids": ["r3"]}, "rubric_item_unknown"),  # q2's item
        ({"rubric_item_ids": ["nope"]}, "rubric_item_unknown"),
        ({"rubric_item_ids": ["r1", "r1"]}, "rubric_item_repeated"),
        ({"adjustment": 0.3}, "question_score_invalid"),  # off the quarter-point step
        ({"adjustment": 9}, "question_score_invalid"),
    ]
    for extra, why in refused:
        response = desk.score("alice", copy_id, "q1", token, **extra)
        assert response.status_code == 400 and reason(response) == why, response.body
    for extra in ({"adjustment": "1"}, {"complete": "yes"}, {"remark": "x" * 2001}, {"score": 4}):
        assert desk.score("alice", copy_id, "q1", token, **extra).status_code == 400, extra
    assert QuestionScore.count(copy_id) == 0


def test_a_stale_version_or_a_missing_lock_is_409(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    assert desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r1"]).status_code == 200
    stale = desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r2"])
    assert stale.status_code == 409 and reason(stale) == "score_changed"
    unlocked = desk.score("alice", copy_id, "q1", None, version=1, rubric_item_ids=["r2"])
    assert unlocked.status_code == 409 and reason(unlocked) == "lock_lost"
    assert list(QuestionScore.get(copy_id, "q1").rubric_item_ids) == ["r1"]


def test_a_rubric_item_changed_since_the_process_read_it_scores_with_its_new_points(api, admin, desk):
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    desk.call(desk.sessions["alice"], "GET", f"/api/copies/{copy_id}/questions/q1")  # the rubric is read
    RubricItem(desk.exam_id, "r1").update(actions=[RubricItem.points.set(3.5), RubricItem.version.add(1)])
    saved = body(desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r1"]))
    assert saved["score"]["score"] == 3.5


def test_an_item_removed_just_after_a_copy_applied_it_stays_there_visible_and_removable(api, admin, desk):
    first, other = desk.copies[0], desk.copies[1]
    token = desk.lock("alice", first, "q1")
    applied = desk.score("alice", first, "q1", token, rubric_item_ids=["r1", "r2"])
    assert body(applied)["score"]["score"] == 2.5
    # The removal's in-use check read the index before it listed this score (the race it cannot close).
    RubricItem(desk.exam_id, "r2").update(actions=[RubricItem.deleted.set(True), RubricItem.version.add(1)])

    detail = body(desk.call(desk.sessions["alice"], "GET", f"/api/copies/{first}/questions/q1"))
    assert [item["id"] for item in detail["rubric"]] == ["r1"]
    assert [item["id"] for item in detail["retired"]] == ["r2"]
    kept = desk.score("alice", first, "q1", token, version=1, rubric_item_ids=["r1", "r2"], remark="vu")
    assert kept.status_code == 200 and body(kept)["score"]["score"] == 2.5
    removed = desk.score("alice", first, "q1", token, version=2, rubric_item_ids=["r1"])
    assert removed.status_code == 200 and body(removed)["score"]["score"] == 4
    again = desk.score("alice", first, "q1", token, version=3, rubric_item_ids=["r1", "r2"])
    assert again.status_code == 400 and reason(again) == "rubric_item_unknown"
    elsewhere = desk.score("alice", other, "q1", desk.lock("alice", other, "q1"), rubric_item_ids=["r2"])
    assert elsewhere.status_code == 400 and reason(elsewhere) == "rubric_item_unknown"
    detail = body(desk.call(desk.sessions["alice"], "GET", f"/api/copies/{first}/questions/q1"))
    assert detail["retired"] == []


def test_completing_the_last_question_finalises_the_copy_once(api, admin, desk):
    copy_id = desk.copies[0]
    alice, bob = desk.lock("alice", copy_id, "q1"), desk.lock("bob", copy_id, "q2")
    first = body(desk.score("alice", copy_id, "q1", alice, rubric_item_ids=["r1", "r2"], complete=True))
    assert (first["copy_status"], first["finalised"]) == ("READY", False)
    last = body(desk.score("bob", copy_id, "q2", bob, rubric_item_ids=["r3"], complete=True))
    assert (last["copy_status"], last["finalised"]) == ("GRADING_IN_PROGRESS", True)

    copy = Copy.get(copy_id)
    assert copy.status == "GRADING_IN_PROGRESS" and copy.grading_attempts == 1
    sheet = ScoreSheet.get(copy_id)
    assert sheet.scores == {"q1": 2.5, "q2": 6.0} and float(sheet.total) == 8.5
    assert "r2" in sheet.remarks["q1"]
    assert storage.exists(finalize.spec_key(desk.exam_id, copy_id, 1))
    assert actions(copy_id).count("copy.finalize") == 1
    again = desk.score("bob", copy_id, "q2", bob, version=1, rubric_item_ids=["r3"], complete=True)
    assert again.status_code == 409 and reason(again) == "copy_not_gradable"


def test_the_admin_finalises_once_every_question_has_a_score(api, admin, desk):
    copy_id = desk.copies[0]
    path = f"/api/copies/{copy_id}/finalise-questions"
    alice = desk.lock("alice", copy_id, "q1")
    desk.score("alice", copy_id, "q1", alice, rubric_item_ids=["r1"])
    missing = desk.call(admin, "POST", path, {})
    assert missing.status_code == 422 and body(missing)["missing"] == ["q2"]
    bob = desk.lock("bob", copy_id, "q2")
    desk.score("bob", copy_id, "q2", bob, rubric_item_ids=["r3"])  # scored, not marked complete
    response = desk.call(admin, "POST", path, {})
    assert response.status_code == 202 and body(response) == {"status": "GRADING_IN_PROGRESS"}
    assert desk.call(admin, "POST", path, {}).status_code == 202
    assert actions(copy_id).count("copy.finalize") == 1


def test_a_question_score_save_costs_the_session_and_one_transaction(api, admin, desk):
    aws.connect()
    copy_id = desk.copies[0]
    token = desk.lock("alice", copy_id, "q1")
    assert desk.call(desk.sessions["alice"], "GET", f"/api/copies/{copy_id}/questions/q1").status_code == 200

    aws.reset_round_trips()
    response = desk.score("alice", copy_id, "q1", token, rubric_item_ids=["r1"])
    trips = aws.round_trips()
    assert response.status_code == 200 and trips <= 2, (response.body, trips)

    aws.reset_round_trips()
    response = desk.score("alice", copy_id, "q1", token, version=1, rubric_item_ids=["r2"], complete=True)
    trips = aws.round_trips()
    assert response.status_code == 200 and trips <= 3, (response.body, trips)  # + the copy's scores


def test_teachers_see_the_masked_page_of_the_region_admins_the_original(api, admin, desk):
    from chalicelib.models.copies import Page

    copy_id = desk.copies[0]
    for index in range(2):
        Page(copy_id, index, image_key=f"pages/{index}.jpg", masked_image_key=f"pages/{index}-masked.jpg",
             width=1240, height=1754).save()
    region = {"page": 1, "x": 0, "y": 0.5, "w": 1, "h": 0.5}
    desk.call(admin, "PUT", f"/api/exams/{desk.exam_id}/question-regions", {"regions": {"q1": region}})
    teacher_view = body(desk.call(desk.sessions["alice"], "GET", f"/api/copies/{copy_id}/questions/q1"))
    admin_view = body(desk.call(admin, "GET", f"/api/copies/{copy_id}/questions/q1"))
    assert teacher_view["question"]["region"] == region and teacher_view["page"]["index"] == 1
    assert "pages/1-masked.jpg" in teacher_view["page"]["url"]
    assert "pages/1.jpg" in admin_view["page"]["url"]
    whole = body(desk.call(desk.sessions["bob"], "GET", f"/api/copies/{copy_id}/questions/q2"))
    assert whole["question"]["region"] is None and whole["page"]["index"] == 0
