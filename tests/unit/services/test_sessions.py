"""Session resolution: one read per request, a token bound to its account, revocation at once."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from freezegun import freeze_time

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.errors import Conflict
from chalicelib.models.base import utcnow
from chalicelib.models.students import Student
from chalicelib.models.users import Session, User
from chalicelib.services import auth, sessions, users
from tests.unit.conftest import make_user, sign_in

ORIGIN = Origin(ip="test")


@pytest.fixture(autouse=True)
def counted_clients(mocked_aws: None) -> None:
    """Every model on the shared, counted client (as the API runs)."""
    aws.connect()


def open_staff(user: User) -> str:
    token, _ = sessions.open_session(user.id, PrincipalKind.STAFF, "test")
    return token


def admin_actor(admin: User) -> Principal:
    return Principal(admin.id, PrincipalKind.STAFF, Role.ADMIN, admin.username, "s", "c", False)


def open_legacy(user: User) -> str:
    """A session as opened before tokens named their account (the random part alone)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=4)
    Session(sessions.session_key(token), principal_id=user.id, kind="staff", csrf_token="csrf",
            created_at=now, expires_at=expires, ttl=expires).save()
    return token


def test_a_token_names_its_account_and_is_stored_only_as_an_hmac_of_the_whole_token() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)

    assert token.startswith(f"s{teacher.id}.") and len(token.split(".")[1]) >= 43
    assert sessions.claim_of(token) == sessions.TokenClaim(PrincipalKind.STAFF, teacher.id)
    assert Session.count(token) == 0 and Session.count(sessions.session_key(token)) == 1


def test_resolving_a_staff_session_costs_one_round_trip() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)
    aws.reset_round_trips()

    principal = auth.resolve(token)

    assert aws.round_trips() == 1
    assert principal is not None and (principal.id, principal.role) == (teacher.id, Role.TEACHER)


def test_resolving_a_student_session_costs_one_round_trip() -> None:
    Student("pupil1", first_name="Ada", last_name="Lovelace", identity_key="k",
            must_change_password=False).save()
    token, _ = sessions.open_session("pupil1", PrincipalKind.STUDENT, "test")
    aws.reset_round_trips()

    principal = auth.resolve(token)

    assert aws.round_trips() == 1
    assert principal is not None and (principal.kind, principal.role) == (PrincipalKind.STUDENT, Role.STUDENT)
    assert principal.display_name == "Ada Lovelace"


def test_a_whole_authenticated_request_costs_at_most_two_round_trips(api) -> None:
    make_user("mrsmith")
    teacher = sign_in(api, "mrsmith")

    assert api.http.get("/api/me", headers=teacher.headers()).status_code == 200
    assert aws.round_trips() <= 2  # the session with its account, then the route's own read


def test_a_token_naming_another_account_finds_no_session() -> None:
    teacher, other = make_user("mrsmith"), make_user("mrsjones")
    token = open_staff(teacher)
    random_part = token.split(".", 1)[1]

    assert auth.resolve(f"s{other.id}.{random_part}") is None
    assert auth.resolve(f"t{teacher.id}.{random_part}") is None  # same id, other kind
    assert auth.resolve(token) is not None  # the real session is untouched


@pytest.mark.parametrize("token", ["", "s.abc", "x" * 200, "sabc.short", "s a.b", None])
def test_malformed_tokens_resolve_to_nobody(token: str | None) -> None:
    assert auth.resolve(token) is None


def test_disabling_an_account_ends_its_session_at_once_even_one_the_index_misses() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)
    User(teacher.id).update(actions=[User.active.set(False)])  # no session deleted

    assert auth.resolve(token) is None
    assert Session.count(sessions.session_key(token)) == 0  # and the refused session is closed


def test_a_session_opened_before_sessions_valid_after_is_refused() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)
    with freeze_time(utcnow() + timedelta(seconds=1)):
        User(teacher.id).update(actions=[User.sessions_valid_after.set(utcnow())])
        assert auth.resolve(token) is None


def test_an_expired_session_is_refused_and_deleted() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)
    with freeze_time(utcnow() + timedelta(hours=4, seconds=1)):
        assert auth.resolve(token) is None
    assert Session.count(sessions.session_key(token)) == 0


def test_a_deleted_account_resolves_to_nobody() -> None:
    teacher = make_user("mrsmith")
    token = open_staff(teacher)
    User(teacher.id).delete()

    assert auth.resolve(token) is None


def test_changing_a_role_revokes_the_accounts_sessions() -> None:
    admin, teacher = make_user("principal", Role.ADMIN), make_user("mrsmith")
    token = open_staff(teacher)

    changed = users.set_role(teacher.id, Role.ADMIN, actor=admin_actor(admin), origin=ORIGIN)

    assert changed.role == "admin"
    assert auth.resolve(token) is None
    fresh = auth.resolve(open_staff(teacher))
    assert fresh is not None and fresh.role is Role.ADMIN


def test_setting_the_same_role_keeps_the_sessions() -> None:
    admin, teacher = make_user("principal", Role.ADMIN), make_user("mrsmith")
    token = open_staff(teacher)

    users.set_role(teacher.id, Role.TEACHER, actor=admin_actor(admin), origin=ORIGIN)

    assert auth.resolve(token) is not None


def test_an_admin_cannot_change_their_own_role_or_make_a_student() -> None:
    admin, teacher = make_user("principal", Role.ADMIN), make_user("mrsmith")
    with pytest.raises(Conflict):
        users.set_role(admin.id, Role.TEACHER, actor=admin_actor(admin), origin=ORIGIN)
    with pytest.raises(Conflict):
        users.set_role(teacher.id, Role.STUDENT, actor=admin_actor(admin), origin=ORIGIN)


def test_a_token_of_the_earlier_form_still_resolves_with_two_reads() -> None:
    teacher = make_user("mrsmith")
    token = open_legacy(teacher)
    aws.reset_round_trips()

    principal = auth.resolve(token)

    assert principal is not None and principal.id == teacher.id
    assert aws.round_trips() == 2


def test_a_token_of_the_earlier_form_is_still_revoked_by_disabling() -> None:
    teacher = make_user("mrsmith")
    token = open_legacy(teacher)
    User(teacher.id).update(actions=[User.active.set(False)])

    assert auth.resolve(token) is None


# --- sliding sessions: idle timeout 4 h, cap 12 h, one write every few minutes at most ---------------


def stored(token: str) -> Session:
    return Session.get(sessions.session_key(token), consistent_read=True)


def test_a_session_opens_for_the_idle_timeout_with_its_ttl_at_its_end() -> None:
    token = open_staff(make_user("mrsmith"))
    session = stored(token)

    assert session.expires_at - session.created_at == timedelta(hours=4)
    assert session.ttl == session.expires_at.replace(microsecond=0)


def test_a_request_soon_after_the_last_extension_writes_nothing() -> None:
    token = open_staff(make_user("mrsmith"))
    before = stored(token).expires_at
    with freeze_time(utcnow() + timedelta(minutes=4)):
        aws.reset_round_trips()
        assert auth.resolve(token) is not None
        assert aws.round_trips() == 1  # the session and its account, no write
    assert stored(token).expires_at == before


def test_activity_slides_the_end_with_one_conditional_write_and_the_ttl_follows() -> None:
    token = open_staff(make_user("mrsmith"))
    later = stored(token).created_at + timedelta(hours=1)
    with freeze_time(later):
        aws.reset_round_trips()
        assert auth.resolve(token) is not None
        assert aws.round_trips() == 2  # the read, then one update
        assert sessions.request_expiry() == later + timedelta(hours=4)
    session = stored(token)
    assert session.expires_at == later + timedelta(hours=4)
    assert session.ttl == session.expires_at.replace(microsecond=0)


def test_an_active_session_outlives_four_hours_but_not_twelve() -> None:
    token = open_staff(make_user("mrsmith"))
    start = stored(token).created_at
    for hour in range(1, 12):
        with freeze_time(start + timedelta(hours=hour)):
            assert auth.resolve(token) is not None, f"ended after {hour} h of activity"
    assert stored(token).expires_at == start + timedelta(hours=12)  # never past the cap
    with freeze_time(start + timedelta(hours=12, seconds=1)):
        assert auth.resolve(token) is None
    assert Session.count(sessions.session_key(token)) == 0


def test_a_session_idle_for_four_hours_after_its_last_activity_ends() -> None:
    token = open_staff(make_user("mrsmith"))
    active = utcnow() + timedelta(hours=3)
    with freeze_time(active):
        assert auth.resolve(token) is not None
    with freeze_time(active + timedelta(hours=3, minutes=59)):
        assert auth.resolve(token) is not None
    with freeze_time(active + timedelta(hours=3, minutes=59) + timedelta(hours=4, seconds=1)):
        assert auth.resolve(token) is None


def test_the_timeouts_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KORRIGO_SESSION_IDLE_SECONDS", "600")
    monkeypatch.setenv("KORRIGO_SESSION_MAX_SECONDS", "1800")
    from chalicelib.settings import reset_settings_cache

    reset_settings_cache()
    token = open_staff(make_user("mrsmith"))
    start = stored(token).created_at
    assert stored(token).expires_at == start + timedelta(minutes=10)
    with freeze_time(start + timedelta(minutes=9)):
        assert auth.resolve(token) is not None  # a quarter of the idle timeout passed: slid
    assert stored(token).expires_at == start + timedelta(minutes=19)
    with freeze_time(start + timedelta(minutes=29)):
        assert auth.resolve(token) is None  # idle for 10 minutes


def test_an_extension_never_recreates_a_session_closed_meanwhile() -> None:
    token = open_staff(make_user("mrsmith"))
    session = stored(token)
    sessions.close_session(session.id)
    with freeze_time(utcnow() + timedelta(hours=1)):
        assert sessions.extend(session) == session.expires_at  # the condition failed: nothing written
    assert Session.count(sessions.session_key(token)) == 0
