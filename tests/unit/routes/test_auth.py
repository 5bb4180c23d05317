"""Sign-in, sessions, CSRF, throttling and password changes through the HTTP API."""

from __future__ import annotations

import json
from datetime import timedelta

from freezegun import freeze_time

from chalicelib.domain.roles import Role
from chalicelib.models.base import utcnow
from chalicelib.settings import get_settings
from tests.unit.conftest import PASSWORD, make_user, sign_in

JSON = {"Content-Type": "application/json"}


def post(api, path, body, headers=None):
    return api.http.post(path, headers={**JSON, **(headers or {})}, body=json.dumps(body))


def test_login_sets_a_browser_session_cookie_and_returns_the_user(api):
    make_user("alice", Role.ADMIN)
    response = post(api, "/api/login", {"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "success"
    assert body["user"]["username"] == "alice" and body["user"]["role"] == "admin"
    assert body["csrf_token"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie
    assert "Secure" not in cookie  # local mode is plain http


def test_login_by_email_works(api):
    make_user("bob")
    response = post(api, "/api/login", {"username": "bob@school.example.org", "password": PASSWORD})
    assert response.status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_generic_401(api):
    make_user("carol")
    unknown = post(api, "/api/login", {"username": "nobody", "password": PASSWORD})
    wrong = post(api, "/api/login", {"username": "carol", "password": "Wrong-password-123"})
    assert unknown.status_code == wrong.status_code == 401
    assert json.loads(unknown.body) == json.loads(wrong.body)


def test_sixth_failure_within_fifteen_minutes_is_throttled_with_retry_after(api):
    make_user("dave")
    for _ in range(5):
        assert post(api, "/api/login", {"username": "dave", "password": "nope-nope-nope"}).status_code == 401
    sixth = post(api, "/api/login", {"username": "dave", "password": PASSWORD})
    assert sixth.status_code == 429
    assert 0 < int(sixth.headers["Retry-After"]) <= 15 * 60
    assert json.loads(sixth.body)["error"]["code"] == "too_many_requests"


def test_a_correct_password_signs_in_from_an_address_that_failed_20_times_for_other_accounts(api):
    for index in range(20):
        post(api, "/api/login", {"username": f"ghost{index}", "password": "whatever-123"})
    make_user("erin")
    assert post(api, "/api/login", {"username": "erin", "password": PASSWORD}).status_code == 200


def test_five_failures_by_username_lock_the_same_account_by_email(api):
    make_user("gina")
    for _ in range(5):
        assert post(api, "/api/login", {"username": "gina", "password": "nope-nope-nope"}).status_code == 401
    by_email = post(api, "/api/login", {"username": "GINA@school.example.org", "password": PASSWORD})
    assert by_email.status_code == 429


def test_one_locked_account_does_not_lock_another_account_at_the_same_address(api):
    make_user("hank")
    make_user("iris")
    for _ in range(6):
        post(api, "/api/login", {"username": "hank", "password": "nope-nope-nope"})
    assert post(api, "/api/login", {"username": "iris", "password": PASSWORD}).status_code == 200


def test_an_address_past_its_limit_gets_429_for_wrong_passwords_but_correct_ones_sign_in(api, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_max_failures_per_ip", 3)
    make_user("jack")
    answers = [
        post(api, "/api/login", {"username": f"ghost{index}", "password": "whatever-123"}).status_code
        for index in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    assert post(api, "/api/login", {"username": "jack", "password": "wrong-again-1"}).status_code == 429
    assert post(api, "/api/login", {"username": "jack", "password": PASSWORD}).status_code == 200


def test_unknown_identifiers_are_throttled_like_accounts(api):
    answers = [
        post(api, "/api/login", {"username": "nobody", "password": "whatever-123"}).status_code
        for _ in range(6)
    ]
    assert answers == [401] * 5 + [429]


def test_a_success_resets_the_accounts_failures(api):
    make_user("kate")
    for _ in range(4):
        post(api, "/api/login", {"username": "kate", "password": "nope-nope-nope"})
    assert post(api, "/api/login", {"username": "kate", "password": PASSWORD}).status_code == 200
    for _ in range(4):
        assert post(api, "/api/login", {"username": "kate", "password": "nope-nope-nope"}).status_code == 401
    assert post(api, "/api/login", {"username": "kate", "password": PASSWORD}).status_code == 200


def test_retry_after_grows_with_repeated_lock_outs(api):
    make_user("liam")
    waits = []
    start = utcnow()
    for offset in (timedelta(0), timedelta(minutes=15, seconds=5), timedelta(minutes=45, seconds=10)):
        with freeze_time(start + offset) as frozen:  # each round right after the previous lock-out
            for _ in range(5):
                post(api, "/api/login", {"username": "liam", "password": "nope-nope-nope"})
            frozen.tick(1)
            refused = post(api, "/api/login", {"username": "liam", "password": PASSWORD})
            assert refused.status_code == 429
            waits.append(int(refused.headers["Retry-After"]))
    assert waits[0] <= 15 * 60 < waits[1] <= 30 * 60 < waits[2] <= 60 * 60


def test_failures_older_than_the_window_no_longer_count(api):
    make_user("frank")
    for _ in range(5):
        post(api, "/api/login", {"username": "frank", "password": "nope-nope-nope"})
    with freeze_time(utcnow() + timedelta(minutes=15, seconds=1)):
        assert post(api, "/api/login", {"username": "frank", "password": PASSWORD}).status_code == 200


def test_me_returns_the_user_and_csrf_token(api, admin):
    response = api.http.get("/api/me", headers=admin.headers())
    body = json.loads(response.body)
    assert response.status_code == 200
    assert body["user"]["role"] == "admin" and body["csrf_token"] == admin.csrf


def test_session_older_than_four_hours_is_refused(api, admin):
    with freeze_time(utcnow() + timedelta(hours=4, seconds=1)):
        response = api.http.get("/api/me", headers=admin.headers())
    assert response.status_code == 401


def test_session_younger_than_four_hours_is_accepted(api, admin):
    with freeze_time(utcnow() + timedelta(hours=3, minutes=59)):
        assert api.http.get("/api/me", headers=admin.headers()).status_code == 200


def test_state_changing_request_without_csrf_header_is_refused(api, admin):
    response = api.http.post("/api/logout", headers=admin.headers(csrf=False), body="{}")
    assert response.status_code == 403
    assert api.http.get("/api/me", headers=admin.headers()).status_code == 200  # nothing changed


def test_state_changing_request_with_another_sessions_csrf_token_is_refused(api, admin, teacher):
    headers = {**admin.headers(), "X-CSRF-Token": teacher.csrf}
    assert api.http.post("/api/logout", headers=headers, body="{}").status_code == 403


def test_a_session_cookie_edited_to_name_another_account_gets_401(api, admin, teacher):
    name, token = teacher.cookie.split("=", 1)
    forged = f"{name}=s{admin.user_id}.{token.split('.', 1)[1]}"
    assert api.http.get("/api/me", headers={**teacher.headers(), "Cookie": forged}).status_code == 401
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 200


def test_logout_revokes_the_session(api, admin):
    assert api.http.post("/api/logout", headers=admin.headers(), body="{}").status_code == 204
    assert api.http.get("/api/me", headers=admin.headers()).status_code == 401


def test_malformed_json_and_wrong_types_get_400_naming_the_problem(api):
    bad_json = api.http.post("/api/login", headers=JSON, body="{not json")
    assert bad_json.status_code == 400
    assert json.loads(bad_json.body)["error"]["code"] == "bad_request"
    wrong_type = post(api, "/api/login", {"username": 42, "password": ["x"]})
    assert wrong_type.status_code == 400
    assert "username" in json.loads(wrong_type.body)["error"]["message"]


def test_change_password_requires_the_current_one_and_the_policy(api, teacher):
    wrong = post(
        api,
        "/api/me/password",
        {"current_password": "bad-password-000", "new_password": "Another-Strong-Pass-1"},
        teacher.headers(),
    )
    assert wrong.status_code == 401
    weak = post(
        api,
        "/api/me/password",
        {"current_password": PASSWORD, "new_password": "123456789012"},
        teacher.headers(),
    )
    assert weak.status_code == 400
    assert "numeric" in json.loads(weak.body)["error"]["message"]
    ok = post(
        api,
        "/api/me/password",
        {"current_password": PASSWORD, "new_password": "Another-Strong-Pass-1"},
        teacher.headers(),
    )
    assert ok.status_code == 204
    assert sign_in(api, "mrsmith", "Another-Strong-Pass-1")


def test_must_change_password_blocks_everything_but_the_change(api):
    make_user("newbie", Role.ADMIN, must_change_password=True)
    session = sign_in(api, "newbie")
    blocked = api.http.get("/api/users", headers=session.headers())
    assert blocked.status_code == 403
    assert json.loads(blocked.body)["password_change_required"] is True
    assert api.http.get("/api/me", headers=session.headers()).status_code == 200
    changed = post(
        api,
        "/api/me/password",
        {"current_password": PASSWORD, "new_password": "Fresh-And-Strong-42"},
        session.headers(),
    )
    assert changed.status_code == 204
    fresh = {"Cookie": changed.headers["Set-Cookie"].split(";")[0]}
    assert api.http.get("/api/users", headers=fresh).status_code == 200


def test_every_response_carries_a_request_id(api):
    response = api.http.get("/api/health/live")
    assert len(response.headers["X-Request-Id"]) >= 16


def test_login_successes_and_failures_are_audited(api, admin):
    post(api, "/api/login", {"username": "principal", "password": "wrong-password-1"})
    events = json.loads(api.http.get("/api/audit", headers=admin.headers()).body)["events"]
    outcomes = {(event["action"], event["outcome"]) for event in events}
    assert ("staff.login", "success") in outcomes and ("staff.login", "failure") in outcomes


def audit_events(api, admin, action):
    events = json.loads(api.http.get("/api/audit", headers=admin.headers()).body)["events"]
    return [event for event in events if event["action"] == action]


def test_blocked_attempts_are_audited_as_throttled_naming_the_account(api, admin):
    make_user("mona")
    for _ in range(6):
        post(api, "/api/login", {"username": "mona", "password": "nope-nope-nope"})
    events = audit_events(api, admin, "staff.login")
    throttled = [event for event in events if event["outcome"] == "throttled"]
    assert len(throttled) == 1
    assert throttled[0]["metadata"]["identifier"] == "mona"
    assert throttled[0]["metadata"]["reason"] == "account_throttled"


def test_an_identifier_that_names_no_account_is_not_stored(api, admin):
    typed_password = "Secret-Typed-In-Username-7"
    post(api, "/api/login", {"username": typed_password, "password": "whatever-123"})
    failures = [event for event in audit_events(api, admin, "staff.login") if event["outcome"] == "failure"]
    assert failures and failures[0]["metadata"] == {"reason": "unknown_account"}
    assert failures[0]["actor_id"] is None
    from chalicelib.models.ratelimits import RateLimitWindow

    assert not any(typed_password.lower() in window.key for window in RateLimitWindow.scan())


def test_a_failure_on_an_existing_account_records_the_typed_identifier(api, admin):
    make_user("nina")
    post(api, "/api/login", {"username": "Nina", "password": "nope-nope-nope"})
    failure = next(e for e in audit_events(api, admin, "staff.login") if e["outcome"] == "failure")
    assert failure["metadata"] == {"identifier": "nina", "reason": "wrong_password"}


def test_a_disabled_account_gets_the_generic_401_and_the_reason_is_audited(api, admin, teacher):
    disable = json.dumps({"active": False})
    api.http.patch(f"/api/users/{teacher.user_id}", headers=admin.headers(), body=disable)
    refused = post(api, "/api/login", {"username": "mrsmith", "password": PASSWORD})
    unknown = post(api, "/api/login", {"username": "nobody-at-all", "password": PASSWORD})
    assert refused.status_code == 401 and json.loads(refused.body) == json.loads(unknown.body)
    failures = [e for e in audit_events(api, admin, "staff.login") if e["outcome"] == "failure"]
    reasons = {event["metadata"]["reason"] for event in failures}
    assert "disabled" in reasons


def test_a_session_opened_before_sessions_valid_after_is_refused(api, teacher):
    from chalicelib.models.users import User

    User(teacher.user_id).update(actions=[User.sessions_valid_after.set(utcnow())])
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401


def test_changing_ones_password_keeps_the_caller_signed_in_and_ends_the_other_sessions(api, teacher):
    other_browser = sign_in(api, "mrsmith")
    changed = post(
        api,
        "/api/me/password",
        {"current_password": PASSWORD, "new_password": "Another-Strong-Pass-1"},
        teacher.headers(),
    )
    assert changed.status_code == 204
    fresh_cookie = changed.headers["Set-Cookie"]
    assert "HttpOnly" in fresh_cookie and "SameSite=Strict" in fresh_cookie
    fresh = {"Cookie": fresh_cookie.split(";")[0]}
    me = api.http.get("/api/me", headers=fresh)
    assert me.status_code == 200 and json.loads(me.body)["csrf_token"] != teacher.csrf
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401
    assert api.http.get("/api/me", headers=other_browser.headers()).status_code == 401
