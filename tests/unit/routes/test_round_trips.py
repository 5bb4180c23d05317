"""AWS round trips per grading request, at their targets once the desk has opened the copy (the
process then knows its exam and scheme): draft save, score save, heartbeat and status ≤ 2 (the session
and one transaction or batch), lock and release ≤ 3, finalise and copy detail ≤ 4. Counted by the
botocore hook every request's log line reports."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from chalicelib import aws
from tests.unit.routes.test_score_steps import locked  # noqa: F401 - the fixture

FULL_MARKS = {"q1": 0.3, "q2": 1.1, "q3": 1.4, "q4": 2}


@pytest.fixture(autouse=True)
def counted_clients(mocked_aws: None) -> None:
    aws.connect()  # every model on the shared, counted client (as the API's init does)


def round_trips(send: Callable[[], object]) -> tuple[int, object]:
    aws.reset_round_trips()
    response = send()
    return aws.round_trips(), response


def call(api, session, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = session.headers() | ({"X-Lock-Token": token} if token else {})
    payload = json.dumps(body) if body is not None else None
    return getattr(api.http, method.lower())(path, headers=headers, body=payload)


def test_grading_writes_cost_the_session_read_and_one_transaction(api, locked):  # noqa: F811
    copy_id, teacher, token = locked
    base = f"/api/copies/{copy_id}"
    assert call(api, teacher, "GET", base).status_code == 200  # the desk opens the copy
    draft = {"version": 0, "client_id": "tab-1", "payload": {"scores": {}}}

    trips, response = round_trips(lambda: call(api, teacher, "PUT", f"{base}/draft", draft, token))
    assert response.status_code == 200 and trips <= 2, (response.body, trips)

    scores = {"version": 0, "scores": FULL_MARKS}
    trips, response = round_trips(lambda: call(api, teacher, "PUT", f"{base}/scores", scores, token))
    assert response.status_code == 200 and trips <= 2, (response.body, trips)
    assert json.loads(response.body)["version"] == 1

    trips, response = round_trips(lambda: call(api, teacher, "POST", f"{base}/lock/heartbeat", {}, token))
    assert response.status_code == 200 and trips <= 2, (response.body, trips)

    trips, response = round_trips(lambda: call(api, teacher, "GET", f"{base}/status"))
    assert response.status_code == 200 and trips <= 2, (response.body, trips)
    assert json.loads(response.body)["lock"]["mine"] is True
    assert "pages" not in json.loads(response.body)

    trips, response = round_trips(lambda: call(api, teacher, "GET", base))
    assert response.status_code == 200 and trips <= 4, (response.body, trips)


def test_lock_release_and_finalise_stay_within_their_targets(api, locked):  # noqa: F811
    copy_id, teacher, token = locked
    base = f"/api/copies/{copy_id}"

    trips, response = round_trips(lambda: call(api, teacher, "DELETE", f"{base}/lock", None, token))
    assert response.status_code == 204 and trips <= 3, trips

    trips, response = round_trips(lambda: call(api, teacher, "POST", f"{base}/lock", {}))
    assert response.status_code == 201 and trips <= 3, trips
    token = json.loads(response.body)["token"]
    call(api, teacher, "PUT", f"{base}/scores", {"version": 0, "scores": FULL_MARKS}, token)

    trips, response = round_trips(lambda: call(api, teacher, "POST", f"{base}/finalize", {}, token))
    assert response.status_code == 202 and trips <= 4, (response.body, trips)


def test_a_score_save_without_a_version_still_works_with_one_more_read(api, locked):  # noqa: F811
    copy_id, teacher, token = locked
    path = f"/api/copies/{copy_id}/scores"
    assert call(api, teacher, "GET", f"/api/copies/{copy_id}").status_code == 200

    trips, response = round_trips(lambda: call(api, teacher, "PUT", path, {"scores": FULL_MARKS}, token))

    assert response.status_code == 200 and json.loads(response.body)["version"] == 1
    assert trips <= 3


def test_a_stale_score_version_is_refused_and_changes_nothing(api, locked):  # noqa: F811
    copy_id, teacher, token = locked
    path = f"/api/copies/{copy_id}/scores"
    assert call(api, teacher, "PUT", path, {"version": 0, "scores": FULL_MARKS}, token).status_code == 200

    response = call(api, teacher, "PUT", path, {"version": 0, "scores": {"q1": 0}}, token)

    assert response.status_code == 409
    saved = json.loads(call(api, teacher, "GET", f"/api/copies/{copy_id}").body)["scores"]
    assert saved["scores"] == FULL_MARKS and saved["version"] == 1


def test_a_copy_listed_on_the_dashboard_opens_in_four_round_trips(api, locked):  # noqa: F811
    from chalicelib.services import copy_reads

    copy_id, teacher, _ = locked
    copy_reads.forget_all()  # a process that has never read this copy
    assert call(api, teacher, "GET", "/api/teacher/copies").status_code == 200

    trips, response = round_trips(lambda: call(api, teacher, "GET", f"/api/copies/{copy_id}"))

    assert response.status_code == 200 and trips <= 4, trips
