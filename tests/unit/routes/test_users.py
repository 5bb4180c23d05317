"""Admins manage staff accounts; each change is audited and takes effect on live sessions."""

from __future__ import annotations

import json

from chalicelib.domain.roles import Role
from tests.unit.conftest import PASSWORD, make_user, sign_in

NEW_TEACHER = {
    "username": "jdoe",
    "email": "jdoe@school.example.org",
    "password": "Quiet-River-Stone-8",
    "role": "teacher",
}


def test_admin_creates_a_teacher_who_must_change_the_initial_password(api, admin):
    response = api.http.post("/api/users", headers=admin.headers(), body=json.dumps(NEW_TEACHER))
    assert response.status_code == 201
    user = json.loads(response.body)
    assert user["role"] == "teacher" and user["must_change_password"] is True
    assert "password" not in user and "password_hash" not in user
    session = sign_in(api, "jdoe", NEW_TEACHER["password"])
    me = json.loads(api.http.get("/api/me", headers=session.headers()).body)
    assert me["user"]["must_change_password"] is True


def test_duplicate_username_or_email_gets_409_and_creates_nothing(api, admin):
    api.http.post("/api/users", headers=admin.headers(), body=json.dumps(NEW_TEACHER))
    same_name = api.http.post(
        "/api/users",
        headers=admin.headers(),
        body=json.dumps({**NEW_TEACHER, "email": "other@school.example.org"}),
    )
    same_email = api.http.post(
        "/api/users", headers=admin.headers(), body=json.dumps({**NEW_TEACHER, "username": "other"})
    )
    assert same_name.status_code == same_email.status_code == 409
    listed = json.loads(api.http.get("/api/users?role=teacher", headers=admin.headers()).body)["users"]
    assert [user["username"] for user in listed] == ["jdoe"]


def test_weak_password_gets_400_with_the_reason(api, admin):
    response = api.http.post(
        "/api/users", headers=admin.headers(), body=json.dumps({**NEW_TEACHER, "password": "short"})
    )
    assert response.status_code == 400
    assert "12 characters" in json.loads(response.body)["error"]["message"]


def test_students_cannot_be_created_as_staff(api, admin):
    response = api.http.post(
        "/api/users", headers=admin.headers(), body=json.dumps({**NEW_TEACHER, "role": "student"})
    )
    assert response.status_code == 400


def test_listing_filters_by_role_and_rejects_unknown_roles(api, admin):
    make_user("tina", Role.TEACHER)
    teachers = json.loads(api.http.get("/api/users?role=teacher", headers=admin.headers()).body)["users"]
    everyone = json.loads(api.http.get("/api/users", headers=admin.headers()).body)["users"]
    assert [user["username"] for user in teachers] == ["tina"]
    assert {user["username"] for user in everyone} == {"tina", "principal"}
    assert api.http.get("/api/users?role=wizard", headers=admin.headers()).status_code == 400


def test_disabling_a_user_kills_their_sessions_and_blocks_login(api, admin, teacher):
    response = api.http.patch(
        f"/api/users/{teacher.user_id}", headers=admin.headers(), body=json.dumps({"active": False})
    )
    assert response.status_code == 200 and json.loads(response.body)["active"] is False
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401
    login = api.http.post(
        "/api/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"username": "mrsmith", "password": PASSWORD}),
    )
    assert login.status_code == 401


def test_an_admin_cannot_disable_their_own_account(api, admin):
    response = api.http.patch(
        f"/api/users/{admin.user_id}", headers=admin.headers(), body=json.dumps({"active": False})
    )
    assert response.status_code == 409
    assert api.http.get("/api/me", headers=admin.headers()).status_code == 200


def test_password_reset_revokes_sessions_and_forces_a_change(api, admin, teacher):
    response = api.http.post(
        f"/api/users/{teacher.user_id}/password",
        headers=admin.headers(),
        body=json.dumps({"password": "Temporary-Garden-77"}),
    )
    assert response.status_code == 200
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401
    fresh = sign_in(api, "mrsmith", "Temporary-Garden-77")
    assert api.http.get("/api/users", headers=fresh.headers()).status_code == 403


def test_unknown_user_id_gets_404(api, admin):
    response = api.http.patch("/api/users/nope", headers=admin.headers(), body=json.dumps({"active": True}))
    assert response.status_code == 404


def test_user_changes_are_audited(api, admin, teacher):
    api.http.patch(
        f"/api/users/{teacher.user_id}", headers=admin.headers(), body=json.dumps({"active": False})
    )
    events = json.loads(api.http.get(f"/api/audit?actor={admin.user_id}", headers=admin.headers()).body)[
        "events"
    ]
    disable = next(event for event in events if event["action"] == "user.disable")
    assert disable["target_id"] == teacher.user_id and disable["metadata"]["sessions_closed"] == 1


def test_an_admin_cannot_reset_their_own_password_through_the_admin_reset(api, admin):
    response = api.http.post(
        f"/api/users/{admin.user_id}/password",
        headers=admin.headers(),
        body=json.dumps({"password": "Temporary-Garden-77"}),
    )
    assert response.status_code == 409
    assert "Change my password" in json.loads(response.body)["error"]["message"]
    assert api.http.get("/api/me", headers=admin.headers()).status_code == 200
    assert sign_in(api, "principal", PASSWORD)


def index_lagging_behind(monkeypatch):
    """The sessions index has not caught up yet: it lists no session at all."""
    from chalicelib.models.users import Session

    monkeypatch.setattr(Session.principal_index, "query", lambda *args, **kwargs: iter(()))


def test_password_reset_ends_sessions_the_lagging_index_does_not_list(api, admin, teacher, monkeypatch):
    index_lagging_behind(monkeypatch)
    response = api.http.post(
        f"/api/users/{teacher.user_id}/password",
        headers=admin.headers(),
        body=json.dumps({"password": "Temporary-Garden-77"}),
    )
    assert response.status_code == 200
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401


def test_disabling_ends_sessions_the_lagging_index_does_not_list(api, admin, teacher, monkeypatch):
    index_lagging_behind(monkeypatch)
    for active in (False, True):  # disabled, then enabled again: only the revocation keeps it out
        api.http.patch(
            f"/api/users/{teacher.user_id}", headers=admin.headers(), body=json.dumps({"active": active})
        )
    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401
    assert sign_in(api, "mrsmith")


def test_an_admin_reset_lifts_the_accounts_sign_in_lock(api, admin, teacher):
    for _ in range(5):
        api.http.post(
            "/api/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"username": "mrsmith", "password": "nope-nope-nope"}),
        )
    api.http.post(
        f"/api/users/{teacher.user_id}/password",
        headers=admin.headers(),
        body=json.dumps({"password": "Temporary-Garden-77"}),
    )
    assert sign_in(api, "mrsmith", "Temporary-Garden-77")


def promote(admin, user_id: str) -> None:
    """An admin changes a teacher's role (the service the PATCH route offers)."""
    from chalicelib.domain.principal import Origin
    from chalicelib.services import auth, users

    actor = auth.resolve(admin.cookie.split("=", 1)[1])
    users.set_role(user_id, Role.ADMIN, actor=actor, origin=Origin(ip="test"))


def test_a_role_change_ends_sessions_the_lagging_index_does_not_list_and_is_audited(
    api, admin, teacher, monkeypatch
):
    index_lagging_behind(monkeypatch)
    promote(admin, teacher.user_id)

    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 401
    promoted = sign_in(api, "mrsmith")
    assert api.http.get("/api/users", headers=promoted.headers()).status_code == 200
    events = json.loads(api.http.get(f"/api/audit?actor={admin.user_id}", headers=admin.headers()).body)
    change = next(event for event in events["events"] if event["action"] == "user.role_change")
    assert change["target_id"] == teacher.user_id
    assert (change["metadata"]["from"], change["metadata"]["to"]) == ("teacher", "admin")
