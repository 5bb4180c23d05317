"""Roster import: upsert, per-line errors, all-or-nothing on structural errors, one-time credentials."""

from __future__ import annotations

import csv
import io
import json

from chalicelib.models.students import Student
from tests.unit.routes.test_exams import create_exam

ROSTER = (
    "\ufeffÉlèves;Né(e) le;Adresse E-mail;Classe;Groupe\r\n"
    "DUPONT Élodie;03/04/2010;elodie.dupont@lycee.example.org;3B;G1\r\n"
    "MARTIN Léa;15/09/2009;;3B;G2\r\n"
    "BROKEN;99/99/2010;;3B;\r\n"
)


def import_roster(api, admin, exam_id, text):
    headers = {**admin.headers(), "Content-Type": "text/csv"}
    return api.http.post(f"/api/exams/{exam_id}/roster", headers=headers, body=text.encode())


def test_import_creates_students_reports_bad_lines_and_offers_credentials_once(api, admin):
    exam = create_exam(api, admin)
    response = import_roster(api, admin, exam["id"], ROSTER)
    body = json.loads(response.body)
    assert response.status_code == 200
    assert (body["created"], body["updated"]) == (2, 0)
    assert [error["line"] for error in body["errors"]] == [4]
    sheet = api.http.get(body["credentials_csv_url"], headers=admin.headers())
    assert sheet.status_code == 200 and "attachment" in sheet.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.body.decode("utf-8-sig"))))
    assert {row["last_name"] for row in rows} == {"DUPONT", "MARTIN"}
    assert all(len(row["initial_password"]) >= 12 for row in rows)
    assert api.http.get(body["credentials_csv_url"], headers=admin.headers()).status_code == 404
    students = json.loads(api.http.get(f"/api/exams/{exam['id']}/students", headers=admin.headers()).body)
    assert [s["last_name"] for s in students["students"]] == ["DUPONT", "MARTIN"]


def test_initial_passwords_are_not_stored_in_plaintext(api, admin):
    exam = create_exam(api, admin)
    body = json.loads(import_roster(api, admin, exam["id"], ROSTER).body)
    sheet = api.http.get(body["credentials_csv_url"], headers=admin.headers()).body.decode("utf-8-sig")
    password = next(iter(csv.DictReader(io.StringIO(sheet))))["initial_password"]
    for student in Student.scan():
        assert password not in json.dumps(student.attribute_values, default=str)
        assert student.password_hash.startswith("$argon2id$")


def test_a_second_import_updates_instead_of_duplicating(api, admin):
    exam = create_exam(api, admin)
    import_roster(api, admin, exam["id"], ROSTER)
    again = json.loads(import_roster(api, admin, exam["id"], ROSTER.replace(";3B;G1", ";3C;G1")).body)
    assert (again["created"], again["updated"]) == (0, 2) and again["credentials_csv_url"] is None
    assert sum(1 for _ in Student.scan()) == 2


def test_a_structural_error_imports_nothing(api, admin):
    exam = create_exam(api, admin)
    response = import_roster(api, admin, exam["id"], "nom;prenom\nDUPONT;Élodie\n")
    assert response.status_code == 400 and "header" in json.loads(response.body)["error"]["message"]
    assert sum(1 for _ in Student.scan()) == 0


def test_the_credentials_link_belongs_to_the_importing_admin(api, admin):
    from chalicelib.domain.roles import Role
    from tests.unit.conftest import make_user, sign_in

    exam = create_exam(api, admin)
    url = json.loads(import_roster(api, admin, exam["id"], ROSTER).body)["credentials_csv_url"]
    make_user("other-admin", Role.ADMIN)
    other = sign_in(api, "other-admin")
    assert api.http.get(url, headers=other.headers()).status_code == 404
    assert api.http.get(url, headers=admin.headers()).status_code == 200
