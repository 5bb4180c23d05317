"""PUT /api/copies/{copy_id}/scores: full marks on leaves of 0.3, 1.1 and 1.4 points, quarter points
elsewhere, and 400 naming the question for a score above its leaf or off the step."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.copies import Copy
from tests.unit.conftest import sign_in
from tests.unit.routes.test_copies import seed_copies, with_teachers
from tests.unit.routes.test_exams import create_exam
from tests.unit.routes.test_lock_release import lock

SCHEME = [
    {"id": "q1", "label": "Q1", "points": 0.3},
    {"id": "q2", "label": "Q2", "points": 1.1},
    {"id": "q3", "label": "Q3", "points": 1.4},
    {"id": "q4", "label": "Q4", "points": 2},
]


@pytest.fixture
def locked(api, admin):
    """A copy of an exam under a 4.8-point scheme, locked by its teacher: (copy id, teacher, token)."""
    exam = create_exam(api, admin)
    response = api.http.put(
        f"/api/exams/{exam['id']}/marking-scheme", headers=admin.headers(), body=json.dumps({"nodes": SCHEME})
    )
    assert response.status_code == 200, response.body
    (teacher_id,) = with_teachers(api, admin, exam["id"], "grader")
    (copy,) = seed_copies(exam["id"], 1, status="READY")
    copy.update(actions=[Copy.teacher_id.set(teacher_id)])
    teacher = sign_in(api, "grader")
    return copy.id, teacher, lock(api, teacher, copy.id)


def put_scores(api, locked, scores: dict[str, float]):
    copy_id, teacher, token = locked
    response = api.http.put(
        f"/api/copies/{copy_id}/scores",
        headers=teacher.headers() | {"X-Lock-Token": token},
        body=json.dumps({"scores": scores}),
    )
    return response.status_code, json.loads(response.body)


def test_every_leaf_can_be_given_full_marks(api, locked):
    status, body = put_scores(api, locked, {"q1": 0.3, "q2": 1.1, "q3": 1.4, "q4": 2})
    assert status == 200, body
    assert body["scores"] == {"q1": 0.3, "q2": 1.1, "q3": 1.4, "q4": 2}
    assert body["total"] == 4.8 and body["max"] == 4.8


def test_quarter_points_still_work(api, locked):
    status, body = put_scores(api, locked, {"q1": 0.25, "q2": 0.75, "q3": 1.25, "q4": 1.5})
    assert status == 200, body
    assert body["total"] == 3.75


@pytest.mark.parametrize(
    ("node_id", "score", "message"),
    [
        ("q3", 1.45, "between 0 and 1.4"),
        ("q3", 1.3, "multiple of 0.25 or the full 1.4"),
        ("q4", 2.1, "between 0 and 2"),
    ],
)
def test_a_score_above_the_leaf_or_off_the_step_is_400(api, locked, node_id, score, message):
    status, body = put_scores(api, locked, {node_id: score})
    assert status == 400
    assert body["node_id"] == node_id and message in body["error"]["message"]


@pytest.mark.parametrize("bad", [True, "1", None, [1]])
def test_a_score_that_is_not_a_json_number_is_refused_and_changes_nothing(api, locked, bad):
    assert put_scores(api, locked, {"q1": 0.3})[0] == 200

    status, body = put_scores(api, locked, {"q1": bad})

    assert status == 400 and body["error"]["code"] == "bad_request"
    copy_id, teacher, _ = locked
    saved = json.loads(api.http.get(f"/api/copies/{copy_id}", headers=teacher.headers()).body)["scores"]
    assert saved["scores"] == {"q1": 0.3}
