"""Every authenticated answer says when its session ends; the keep-alive slides it forward."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from chalicelib.models.base import utcnow
from tests.unit.conftest import PASSWORD, make_user, sign_in

JSON = {"Content-Type": "application/json"}


def ends(response) -> datetime:
    return datetime.fromisoformat(response.headers["X-Session-Expires"])


def test_sign_in_and_every_authenticated_answer_carry_the_session_end(api):
    make_user("alice")
    body = json.dumps({"username": "alice", "password": PASSWORD})
    login = api.http.post("/api/login", headers=JSON, body=body)
    assert login.headers["X-Session-Expires"].endswith("Z")
    assert ends(login) - utcnow() > timedelta(hours=3, minutes=59)
    assert json.loads(login.body)["session_expires_at"] == login.headers["X-Session-Expires"]

    teacher = sign_in(api, "alice")
    me = api.http.get("/api/me", headers=teacher.headers())
    assert json.loads(me.body)["session_expires_at"] == me.headers["X-Session-Expires"]
    refused = api.http.get("/api/users", headers=teacher.headers())  # a teacher: 403, still signed in
    assert refused.status_code == 403 and "X-Session-Expires" in refused.headers


def test_anonymous_answers_and_sign_out_carry_no_session_end(api):
    make_user("bob")
    teacher = sign_in(api, "bob")
    assert "X-Session-Expires" not in api.http.get("/api/me").headers
    logout = api.http.post("/api/logout", headers=teacher.headers(), body="{}")
    assert logout.status_code == 204 and "X-Session-Expires" not in logout.headers


def test_the_keep_alive_moves_the_end_four_hours_past_the_last_activity(api):
    make_user("carol")
    teacher = sign_in(api, "carol")
    later = utcnow() + timedelta(hours=3, minutes=56)  # the warning shows 5 minutes before the end
    with freeze_time(later):
        response = api.http.post("/api/session/extend", headers=teacher.headers(), body="{}")
    assert response.status_code == 200
    end = datetime.fromisoformat(json.loads(response.body)["session_expires_at"])
    assert end == ends(response) and abs(end - (later + timedelta(hours=4))) < timedelta(seconds=1)
    with freeze_time(later + timedelta(hours=3)):
        assert api.http.get("/api/me", headers=teacher.headers()).status_code == 200


def test_the_keep_alive_needs_the_csrf_token_and_a_session(api):
    make_user("dave")
    teacher = sign_in(api, "dave")
    no_csrf = teacher.headers(csrf=False)
    assert api.http.post("/api/session/extend", headers=no_csrf, body="{}").status_code == 403
    assert api.http.post("/api/session/extend", headers=JSON, body="{}").status_code == 401
