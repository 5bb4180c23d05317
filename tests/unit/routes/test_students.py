"""Student accounts: sign-in by e-mail or sign-in id, expiring initial passwords, and what an admin can
do about a lost sheet or a pupil to keep out (reset, disable/enable, end sessions; one or many)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

from freezegun import freeze_time

from chalicelib.models.base import utcnow
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import Session, UniqueValue
from chalicelib.services import audit, passwords
from tests.unit.conftest import Session as Caller
from tests.unit.routes.test_exams import create_exam

JSON = {"Content-Type": "application/json"}
PUPIL_PASSWORD = "Pupil-Owl-Meadow-42"


def make_student(
    exam_id: str,
    *,
    email: str | None = None,
    login_id: str | None = None,
    must_change_password: bool = False,
    expires_in: timedelta | None = None,
) -> Student:
    """A student on the exam's roster, with the sign-in claim the roster writes."""
    student = Student(
        uuid.uuid4().hex,
        last_name="MARTIN",
        first_name="Lucas",
        email=email,
        login_id=login_id,
        identity_key=uuid.uuid4().hex,
        password_hash=passwords.hash_password(PUPIL_PASSWORD),
        must_change_password=must_change_password,
        initial_password_expires_at=utcnow() + expires_in if expires_in else None,
    )
    student.save()
    claim = f"student-email#{email}" if email else f"student-login#{login_id}"
    UniqueValue(claim, owner_id=student.id).save()
    Enrolment(exam_id, student.id).save()
    return student


def student_login(api, identifier: str, password: str = PUPIL_PASSWORD):
    return api.http.post(
        "/api/students/login", headers=JSON, body=json.dumps({"email": identifier, "password": password})
    )


def signed_in_student(api, identifier: str, password: str = PUPIL_PASSWORD) -> Caller:
    response = student_login(api, identifier, password)
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    return Caller(body["student"]["id"], response.headers["Set-Cookie"].split(";")[0], body["csrf_token"])


def index_lagging_behind(monkeypatch):
    """The sessions index has not caught up yet: it lists no session at all."""
    monkeypatch.setattr(Session.principal_index, "query", lambda *args, **kwargs: iter(()))


def audit_actions(api, admin) -> list[str]:
    events = json.loads(api.http.get("/api/audit", headers=admin.headers()).body)["events"]
    return [event["action"] for event in events]


def test_a_student_signs_in_by_email_or_by_generated_sign_in_id(api, admin):
    exam = create_exam(api, admin)
    make_student(exam["id"], email="lucas.martin@lycee.example.org")
    make_student(exam["id"], login_id="lucas.martin.482")
    assert student_login(api, "Lucas.Martin@lycee.example.org").status_code == 200
    by_id = student_login(api, "LUCAS.MARTIN.482")
    assert by_id.status_code == 200
    assert json.loads(by_id.body)["student"]["login_id"] == "lucas.martin.482"


def test_an_initial_password_never_changed_stops_working_after_its_expiry(api, admin):
    exam = create_exam(api, admin)
    thirty_days = timedelta(days=30)
    make_student(exam["id"], login_id="lea.dupont.107", must_change_password=True, expires_in=thirty_days)
    assert student_login(api, "lea.dupont.107").status_code == 200
    later = utcnow() + thirty_days + timedelta(seconds=1)
    with freeze_time(later):
        expired = student_login(api, "lea.dupont.107")
        unknown = student_login(api, "nobody.at.all.1")
    assert expired.status_code == 401 and json.loads(expired.body) == json.loads(unknown.body)
    events = audit.query(since=later - timedelta(minutes=1), until=later + timedelta(minutes=1))
    assert any(event.metadata.get("reason") == "initial_password_expired" for event in events)


def test_a_changed_password_does_not_expire(api, admin):
    exam = create_exam(api, admin)
    thirty_days = timedelta(days=30)
    make_student(exam["id"], login_id="tom.petit.220", must_change_password=True, expires_in=thirty_days)
    pupil = signed_in_student(api, "tom.petit.220")
    changed = api.http.post(
        "/api/students/me/password",
        headers=pupil.headers(),
        body=json.dumps({"current_password": PUPIL_PASSWORD, "new_password": "Quiet-Lantern-Harbour-5"}),
    )
    assert changed.status_code == 204
    with freeze_time(utcnow() + timedelta(days=60)):
        assert student_login(api, "tom.petit.220", "Quiet-Lantern-Harbour-5").status_code == 200


def download(api, admin, url: str) -> list[dict[str, str]]:
    response = api.http.get(url, headers=admin.headers())
    assert response.status_code == 200, response.body
    return list(csv.DictReader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))


def test_reset_password_delivers_a_one_time_sheet_and_ends_every_session(api, admin, monkeypatch):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], login_id="lucas.martin.482")
    pupil = signed_in_student(api, "lucas.martin.482")
    index_lagging_behind(monkeypatch)
    response = api.http.post(f"/api/students/{student.id}/reset-password", headers=admin.headers(), body="")
    assert response.status_code == 200, response.body
    url = json.loads(response.body)["credentials_csv_url"]
    [row] = download(api, admin, url)
    assert api.http.get(url, headers=admin.headers()).status_code == 404  # one time only
    assert row["last_name"] == "MARTIN" and row["sign_in"] == "lucas.martin.482"
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401
    assert student_login(api, "lucas.martin.482").status_code == 401  # the old password is gone
    fresh = student_login(api, "lucas.martin.482", row["initial_password"])
    assert fresh.status_code == 200 and json.loads(fresh.body)["must_change_password"] is True
    stored = Student.get(student.id, consistent_read=True)
    expiry = stored.initial_password_expires_at - utcnow()
    assert timedelta(days=29, hours=23) < expiry <= timedelta(days=30)
    assert "student.password_reset" in audit_actions(api, admin)


def test_reset_password_lifts_the_sign_in_lock(api, admin):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], email="zoe.blanc@lycee.example.org")
    for _ in range(6):
        student_login(api, "zoe.blanc@lycee.example.org", "wrong-password-1")
    assert student_login(api, "zoe.blanc@lycee.example.org").status_code == 429
    url = json.loads(
        api.http.post(f"/api/students/{student.id}/reset-password", headers=admin.headers(), body="").body
    )["credentials_csv_url"]
    [row] = download(api, admin, url)
    assert row["sign_in"] == "zoe.blanc@lycee.example.org"
    assert student_login(api, "zoe.blanc@lycee.example.org", row["initial_password"]).status_code == 200


def test_reset_password_filed_under_an_exam_the_student_is_not_on_is_refused(api, admin):
    exam, other = create_exam(api, admin), create_exam(api, admin, name="Other")
    student = make_student(exam["id"], login_id="max.roux.310")
    response = api.http.post(
        f"/api/students/{student.id}/reset-password",
        headers=admin.headers(),
        body=json.dumps({"exam_id": other["id"]}),
    )
    assert response.status_code == 400


def test_disabling_a_student_ends_their_sessions_at_once_and_enabling_lets_them_back(api, admin, monkeypatch):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], login_id="ines.moreau.551")
    pupil = signed_in_student(api, "ines.moreau.551")
    index_lagging_behind(monkeypatch)
    disabled = api.http.patch(
        f"/api/students/{student.id}", headers=admin.headers(), body=json.dumps({"active": False})
    )
    assert disabled.status_code == 200 and json.loads(disabled.body)["active"] is False
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401
    assert student_login(api, "ines.moreau.551").status_code == 401
    enabled = api.http.patch(
        f"/api/students/{student.id}", headers=admin.headers(), body=json.dumps({"active": True})
    )
    assert json.loads(enabled.body)["active"] is True
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401  # that session stays ended
    assert student_login(api, "ines.moreau.551").status_code == 200
    assert {"student.disable", "student.enable"} <= set(audit_actions(api, admin))


def test_active_must_be_a_json_boolean_and_a_wrong_type_changes_nothing(api, admin):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], login_id="hugo.faure.108")
    for wrong in ("no", 0, "false", None):
        response = api.http.patch(
            f"/api/students/{student.id}", headers=admin.headers(), body=json.dumps({"active": wrong})
        )
        assert response.status_code == 400, wrong
    assert Student.get(student.id, consistent_read=True).active is True


def test_revoking_sessions_signs_the_student_out_everywhere(api, admin, monkeypatch):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], login_id="hugo.faure.900")
    pupil = signed_in_student(api, "hugo.faure.900")
    index_lagging_behind(monkeypatch)
    response = api.http.post(f"/api/students/{student.id}/revoke-sessions", headers=admin.headers(), body="")
    assert response.status_code == 204
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401
    assert student_login(api, "hugo.faure.900").status_code == 200
    assert "student.sessions_revoke" in audit_actions(api, admin)


def bulk(api, admin, exam_id, student_ids, action):
    return api.http.post(
        f"/api/exams/{exam_id}/students/accounts",
        headers=admin.headers(),
        body=json.dumps({"student_ids": student_ids, "action": action}),
    )


def test_bulk_disable_and_enable_of_an_exams_students(api, admin):
    exam = create_exam(api, admin)
    first, second, third = (make_student(exam["id"], login_id=f"pupil.{n}.100") for n in ("a", "b", "c"))
    pupil = signed_in_student(api, "pupil.a.100")
    response = bulk(api, admin, exam["id"], [first.id, second.id], "disable")
    assert response.status_code == 200 and json.loads(response.body) == {"changed": 2}
    assert json.loads(bulk(api, admin, exam["id"], [first.id, second.id], "disable").body) == {"changed": 0}
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401
    assert [student_login(api, f"pupil.{n}.100").status_code for n in ("a", "b", "c")] == [401, 401, 200]
    assert json.loads(bulk(api, admin, exam["id"], [first.id, third.id], "enable").body) == {"changed": 1}
    assert student_login(api, "pupil.a.100").status_code == 200
    assert audit_actions(api, admin).count("student.disable") == 4


def test_bulk_on_students_of_another_exam_is_refused_naming_them_and_changes_nothing(api, admin):
    exam, other = create_exam(api, admin), create_exam(api, admin, name="Other")
    ours = make_student(exam["id"], login_id="ours.one.100")
    theirs = make_student(other["id"], login_id="theirs.one.100")
    response = bulk(api, admin, exam["id"], [ours.id, theirs.id], "disable")
    assert response.status_code == 400
    assert json.loads(response.body)["student_ids"] == [theirs.id]
    assert student_login(api, "ours.one.100").status_code == 200


def test_bulk_revoke_sessions(api, admin):
    exam = create_exam(api, admin)
    student = make_student(exam["id"], login_id="nora.leroy.404")
    pupil = signed_in_student(api, "nora.leroy.404")
    assert json.loads(bulk(api, admin, exam["id"], [student.id], "revoke_sessions").body) == {"changed": 1}
    assert api.http.get("/api/me", headers=pupil.headers()).status_code == 401


def test_unknown_students_get_404_and_only_admins_manage_accounts(api, admin, teacher):
    for method, path, body in (
        ("post", "/api/students/nope/reset-password", ""),
        ("patch", "/api/students/nope", json.dumps({"active": False})),
        ("post", "/api/students/nope/revoke-sessions", ""),
    ):
        assert getattr(api.http, method)(path, headers=admin.headers(), body=body).status_code == 404
        assert getattr(api.http, method)(path, headers=teacher.headers(), body=body).status_code == 403
