"""Roster imports and bulk password resets as jobs: 202 at once, the accounts function does the work,
identities never merged by name, one-time credentials sheets for the admin who started the job."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from chalicelib.models.jobs import AccountJob, CredentialPart
from chalicelib.models.students import Student
from chalicelib.models.users import UniqueValue
from chalicelib.services import passwords
from tests.unit.routes.test_exams import create_exam

ROSTER = (
    "\ufeffÉlèves;Né(e) le;Adresse E-mail;Classe;Groupe\r\n"
    "DUPONT Élodie;03/04/2010;elodie.dupont@lycee.example.org;3B;G1\r\n"
    "MARTIN Léa;15/09/2009;;3B;G2\r\n"
    "BROKEN;99/99/2010;;3B;\r\n"
)
PLAIN = "last_name,first_name,email,class,group,student_number\n"


def import_roster(api, admin, exam_id, text):
    headers = {**admin.headers(), "Content-Type": "text/csv"}
    return api.http.post(f"/api/exams/{exam_id}/roster", headers=headers, body=text.encode())


def run_account_jobs() -> None:
    """What the accounts function does in AWS: every queued job input through the real handler."""
    from chalicelib.resources import EVENT_ROUTES
    from functions import accounts
    from infra.local.pump import QueuePump

    route = next(r for r in EVENT_ROUTES if r.function == "accounts")
    pump = QueuePump(route, accounts.handler, threading.Event(), wait_seconds=0)
    while pump.poll_once():
        pass


def job(api, admin, exam_id, job_id):
    response = api.http.get(f"/api/exams/{exam_id}/account-jobs/{job_id}", headers=admin.headers())
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def imported(api, admin, exam_id, text):
    """Import through the API, run the function, and return the finished job."""
    response = import_roster(api, admin, exam_id, text)
    assert response.status_code == 202, response.body
    run_account_jobs()
    return job(api, admin, exam_id, json.loads(response.body)["job_id"])


def sheet_rows(api, session, url):
    response = api.http.get(url, headers=session.headers())
    assert response.status_code == 200, response.body
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_the_import_answers_202_at_once_and_the_function_creates_the_accounts(api, admin, monkeypatch):
    exam = create_exam(api, admin)
    hashing = []
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashing.append(p) or f"$argon2id$fake{p}")
    response = import_roster(api, admin, exam["id"], ROSTER)
    body = json.loads(response.body)
    assert response.status_code == 202
    assert (body["status"], body["total"]) == ("PENDING", 2)
    assert [error["line"] for error in body["errors"]] == [4]
    assert hashing == [] and sum(1 for _ in Student.scan()) == 0  # nothing hashed in the request

    run_account_jobs()
    done = job(api, admin, exam["id"], body["job_id"])
    assert (done["kind"], done["status"], done["processed"], done["created"], done["updated"]) == (
        "roster_import", "DONE", 2, 2, 0)
    assert [e["line"] for e in done["errors"]] == [4] and done["error"] is None
    assert len(hashing) == 2


def test_the_sheet_downloads_once_with_the_sign_in_of_each_new_student(api, admin):
    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], ROSTER)
    rows = sheet_rows(api, admin, done["credentials_csv_url"])
    assert [(r["last_name"], r["first_name"]) for r in rows] == [("DUPONT", "Élodie"), ("MARTIN", "Léa")]
    dupont, martin = (Student.get(s.id) for s in sorted(Student.scan(), key=lambda s: s.last_name))
    assert rows[0]["sign_in"] == "elodie.dupont@lycee.example.org"
    assert rows[1]["sign_in"] == martin.login_id and martin.login_id.startswith("lea.martin.")
    assert "@" not in martin.login_id
    assert UniqueValue.get(f"student-login#{martin.login_id}").owner_id == martin.id
    for row, student in ((rows[0], dupont), (rows[1], martin)):
        assert passwords.verify_password(student.password_hash, row["initial_password"])
        assert student.must_change_password and student.initial_password_expires_at is not None
    assert api.http.get(done["credentials_csv_url"], headers=admin.headers()).status_code == 404
    assert job(api, admin, exam["id"], done["job_id"])["credentials_csv_url"] is None
    assert sum(1 for _ in CredentialPart.scan()) == 0  # the encrypted parts are gone
    listed = json.loads(api.http.get(f"/api/exams/{exam['id']}/students", headers=admin.headers()).body)
    assert [(s["last_name"], s["login_id"]) for s in listed["students"]] == [
        ("DUPONT", None), ("MARTIN", martin.login_id)]


def test_initial_passwords_are_stored_only_encrypted_until_downloaded(api, admin):
    exam = create_exam(api, admin)
    response = import_roster(api, admin, exam["id"], ROSTER)
    run_account_jobs()
    parts = list(CredentialPart.scan())
    url = job(api, admin, exam["id"], json.loads(response.body)["job_id"])["credentials_csv_url"]
    password = sheet_rows(api, admin, url)[0]["initial_password"]
    assert parts and all(password.encode() not in part.ciphertext for part in parts)
    for student in Student.scan():
        assert password not in json.dumps(student.attribute_values, default=str)
        assert student.password_hash.startswith("$argon2id$")


def test_a_second_import_updates_instead_of_duplicating(api, admin):
    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], ROSTER)
    again = imported(api, admin, exam["id"], ROSTER.replace(";3B;G1", ";3C;G1"))
    assert (again["created"], again["updated"]) == (0, 2) and again["credentials_csv_url"] is None
    assert sum(1 for _ in Student.scan()) == 2
    assert {s.class_name for s in Student.scan() if s.last_name == "DUPONT"} == {"3C"}


def test_two_pupils_with_the_same_name_and_different_emails_are_two_accounts(api, admin):
    exam = create_exam(api, admin)
    text = (PLAIN + "MARTIN,Lucas,lucas.martin@lycee.example.org,3B,,\n"
            "MARTIN,Lucas,lucas.martin2@lycee.example.org,4A,,\n")
    done = imported(api, admin, exam["id"], text)
    assert (done["created"], done["errors"]) == (2, [])
    assert sorted(s.email for s in Student.scan()) == [
        "lucas.martin2@lycee.example.org", "lucas.martin@lycee.example.org"]
    again = imported(api, admin, exam["id"], text)
    assert (again["created"], again["updated"]) == (0, 2) and sum(1 for _ in Student.scan()) == 2


def test_a_row_naming_two_different_students_is_a_line_error_and_changes_nothing(api, admin):
    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], PLAIN + "DURAND,Paul,paul@lycee.example.org,3B,,N1\n"
                                             "LEROY,Anna,anna@lycee.example.org,3B,,N2\n")
    before = {s.id: s.attribute_values for s in Student.scan()}
    done = imported(api, admin, exam["id"], PLAIN + "DURAND,Pauline,paul@lycee.example.org,5C,,N2\n")
    assert (done["created"], done["updated"]) == (0, 0)
    [error] = done["errors"]
    assert error["line"] == 2 and "two different students" in error["message"]
    assert {s.id: s.attribute_values for s in Student.scan()} == before


def test_a_row_without_email_or_number_matches_only_a_namesake_of_this_exam_born_the_same_day(api, admin):
    exam, other = create_exam(api, admin), create_exam(api, admin, name="Other exam")
    line = "Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\nMARTIN Léa;15/09/2009;;3B;G2\n"
    imported(api, admin, other["id"], line)
    first = imported(api, admin, exam["id"], line)
    assert first["created"] == 1  # the namesake of another exam is not this pupil
    again = imported(api, admin, exam["id"], line.replace("3B", "3C"))
    assert (again["created"], again["updated"]) == (0, 1) and sum(1 for _ in Student.scan()) == 2


def test_the_sheet_cells_cannot_carry_spreadsheet_formulas(api, admin):
    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], PLAIN + '"=HYPERLINK(""x"")",@Lou,lou@lycee.example.org,3B,,\n')
    [row] = sheet_rows(api, admin, done["credentials_csv_url"])
    assert row["last_name"] == 'HYPERLINK("x")' and row["first_name"] == "Lou"


def test_a_structural_error_imports_nothing(api, admin):
    exam = create_exam(api, admin)
    response = import_roster(api, admin, exam["id"], "name;born\nDUPONT;1/1/2010\n")
    assert response.status_code == 400 and "No name column" in json.loads(response.body)["error"]["message"]
    assert sum(1 for _ in AccountJob.scan()) == 0 and sum(1 for _ in Student.scan()) == 0


def test_only_the_importing_admin_gets_the_sheet(api, admin):
    from chalicelib.domain.roles import Role
    from tests.unit.conftest import make_user, sign_in

    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], ROSTER)
    make_user("other-admin", Role.ADMIN)
    other = sign_in(api, "other-admin")
    assert job(api, other, exam["id"], done["job_id"])["credentials_csv_url"] is None
    assert api.http.get(done["credentials_csv_url"], headers=other.headers()).status_code == 404
    assert api.http.get(done["credentials_csv_url"], headers=admin.headers()).status_code == 200


def test_a_job_of_another_exam_is_not_found(api, admin):
    exam, other = create_exam(api, admin), create_exam(api, admin, name="Other exam")
    job_id = json.loads(import_roster(api, admin, exam["id"], ROSTER).body)["job_id"]
    response = api.http.get(f"/api/exams/{other['id']}/account-jobs/{job_id}", headers=admin.headers())
    assert response.status_code == 404


def reset(api, admin, exam_id, student_ids):
    return api.http.post(f"/api/exams/{exam_id}/students/reset-passwords", headers=admin.headers(),
                         body=json.dumps({"student_ids": student_ids}))


def test_bulk_reset_gives_new_initial_passwords_and_ends_sessions(api, admin):
    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], ROSTER)
    api.http.get(done["credentials_csv_url"], headers=admin.headers())
    students = {s.id: s for s in Student.scan()}
    response = reset(api, admin, exam["id"], list(students))
    body = json.loads(response.body)
    assert response.status_code == 202 and (body["kind"], body["status"], body["total"]) == (
        "password_reset", "PENDING", 2)
    run_account_jobs()
    finished = job(api, admin, exam["id"], body["job_id"])
    assert (finished["status"], finished["updated"]) == ("DONE", 2)
    sheet = sheet_rows(api, admin, finished["credentials_csv_url"])
    rows = {r["sign_in"]: r["initial_password"] for r in sheet}
    for old in students.values():
        new = Student.get(old.id)
        sign_in = new.email or new.login_id
        assert passwords.verify_password(new.password_hash, rows[sign_in])
        assert new.must_change_password and new.sessions_valid_after is not None
        assert new.initial_password_expires_at > old.initial_password_expires_at


def test_bulk_reset_refuses_students_of_other_rosters(api, admin):
    exam, other = create_exam(api, admin), create_exam(api, admin, name="Other exam")
    imported(api, admin, other["id"], ROSTER)
    stranger = next(iter(Student.scan())).id
    response = reset(api, admin, exam["id"], [stranger])
    assert response.status_code == 400 and stranger in json.loads(response.body)["error"]["message"]
    assert sum(1 for j in AccountJob.scan() if j.kind == "password_reset") == 0


@pytest.mark.parametrize(("path", "content_type", "body"), [
    ("/api/exams/x/roster", "text/csv", b"x"),
    ("/api/exams/x/students/reset-passwords", "application/json", b'{"student_ids": ["s"]}'),
])
def test_teachers_cannot_start_account_jobs(api, teacher, path, content_type, body):
    headers = {**teacher.headers(), "Content-Type": content_type}
    assert api.http.post(path, headers=headers, body=body).status_code == 403


# ----------------------------------------------------------------- credentials sheets: the CSV dialect


def sheet_bytes(response) -> bytes:
    assert response.status_code == 200, response.body
    return response.body if isinstance(response.body, bytes) else response.body.encode()


def test_the_job_sheet_opens_as_columns_in_french_excel_by_default(api, admin):
    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], ROSTER)
    data = sheet_bytes(api.http.get(done["credentials_csv_url"], headers=admin.headers()))
    lines = data.decode("utf-8-sig").split("\r\n")
    assert data.startswith(b"\xef\xbb\xbf")
    assert lines[0] == "last_name;first_name;class;sign_in;initial_password"
    assert lines[1].startswith("DUPONT;Élodie;3B;elodie.dupont@lycee.example.org;")


def test_format_rfc_gives_the_job_sheet_with_commas_and_no_bom(api, admin):
    exam = create_exam(api, admin)
    done = imported(api, admin, exam["id"], ROSTER)
    data = sheet_bytes(api.http.get(done["credentials_csv_url"] + "?format=rfc", headers=admin.headers()))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert not data.startswith(b"\xef\xbb\xbf") and data.decode().startswith("last_name,first_name,")
    assert (rows[0]["last_name"], rows[0]["sign_in"]) == ("DUPONT", "elodie.dupont@lycee.example.org")
    dupont = next(s for s in Student.scan() if s.last_name == "DUPONT")
    assert passwords.verify_password(dupont.password_hash, rows[0]["initial_password"])


def test_an_unknown_format_is_a_400_that_leaves_the_one_time_sheets_downloadable(api, admin):
    from tests.unit.routes.test_students import make_student

    exam = create_exam(api, admin)
    job_url = imported(api, admin, exam["id"], ROSTER)["credentials_csv_url"]
    pupil = make_student(exam["id"], login_id="lucas.martin.482")
    reset = api.http.post(f"/api/students/{pupil.id}/reset-password", headers=admin.headers(), body="")
    student_url = json.loads(reset.body)["credentials_csv_url"]
    for url in (job_url, student_url):
        refused = api.http.get(url + "?format=xlsx", headers=admin.headers())
        assert refused.status_code == 400 and "format=rfc" in json.loads(refused.body)["error"]["message"]
    assert len(sheet_rows(api, admin, job_url)) == 2
    rfc = sheet_bytes(api.http.get(student_url + "?format=rfc", headers=admin.headers())).decode("utf-8")
    [row] = list(csv.DictReader(io.StringIO(rfc)))
    assert (row["last_name"], row["sign_in"]) == ("MARTIN", "lucas.martin.482")


def test_a_french_excel_file_imports_and_the_answer_says_how_its_columns_were_read(api, admin):
    exam = create_exam(api, admin)
    data = "Prénom;Nom;Date de naissance;Remarque\r\nÉlodie;DUPONT;03/02/2010;absente\r\n".encode("cp1252")
    headers = {**admin.headers(), "Content-Type": "text/csv"}

    response = api.http.post(f"/api/exams/{exam['id']}/roster", headers=headers, body=data)

    assert response.status_code == 202, response.body
    mapping = json.loads(response.body)["mapping"]
    assert mapping["columns"] == {
        "first_name": "Prénom", "last_name": "Nom", "birth_date": "Date de naissance"
    }
    assert mapping["ignored"] == ["Remarque"] and mapping["delimiter"] == ";"
    run_account_jobs()
    assert [(s.last_name, s.first_name) for s in Student.scan()] == [("DUPONT", "Élodie")]


# ----------------------------------------------------------------------- renames ask before applying

RENAMED = (PLAIN + "DUPONT-MARTIN,Marie,marie.dupont@lycee.example.org,3B,,\n"
           "LEROY,Anna,anna@lycee.example.org,3B,,\n")
FIRST = PLAIN + "DUPONT,Marie,marie.dupont@lycee.example.org,3B,,\nLEROY,Anna,anna@lycee.example.org,3B,,\n"


def confirm(api, admin, exam_id, text, token):
    headers = {**admin.headers(), "Content-Type": "text/csv"}
    return api.http.post(f"/api/exams/{exam_id}/roster?confirm_renames={token}", headers=headers,
                         body=text.encode())


def test_a_roster_that_renames_a_student_changes_nothing_and_lists_the_rename(api, admin):
    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], FIRST)
    before = ({s.id: s.attribute_values for s in Student.scan()}, sum(1 for _ in AccountJob.scan()))

    response = import_roster(api, admin, exam["id"], RENAMED)

    body = json.loads(response.body)
    assert response.status_code == 409, response.body
    assert (body["error"]["reason"], body["error"]["params"]) == ("roster_renames_unconfirmed", {"count": 1})
    [rename] = body["renames"]
    assert (rename["line"], rename["email"]) == (2, "marie.dupont@lycee.example.org")
    assert (rename["old"], rename["new"]) == (
        {"last_name": "DUPONT", "first_name": "Marie"}, {"last_name": "DUPONT-MARTIN", "first_name": "Marie"})
    assert body["confirm_token"] and body["total"] == 2 and body["mapping"]["delimiter"] == ","
    run_account_jobs()
    assert ({s.id: s.attribute_values for s in Student.scan()}, sum(1 for _ in AccountJob.scan())) == before


def test_a_confirmed_rename_is_applied_and_audited_with_the_old_and_the_new_name(api, admin):
    from chalicelib.models.audit import AuditEvent

    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], FIRST)
    dupont = next(s for s in Student.scan() if s.last_name == "DUPONT")
    token = json.loads(import_roster(api, admin, exam["id"], RENAMED).body)["confirm_token"]

    response = confirm(api, admin, exam["id"], RENAMED, token)

    assert response.status_code == 202, response.body
    assert [r["student_id"] for r in json.loads(response.body)["renames"]] == [dupont.id]
    run_account_jobs()
    done = job(api, admin, exam["id"], json.loads(response.body)["job_id"])
    assert (done["status"], done["created"], done["updated"], done["errors"]) == ("DONE", 0, 2, [])
    renamed = Student.get(dupont.id)
    assert (renamed.last_name, renamed.first_name, renamed.email) == (
        "DUPONT-MARTIN", "Marie", "marie.dupont@lycee.example.org")
    [event] = [e for e in AuditEvent.scan() if e.action == "roster.student_renamed"]
    assert (event.target_id, event.exam_id, event.actor_role) == (dupont.id, exam["id"], "admin")
    assert (event.metadata["old_name"], event.metadata["new_name"]) == ("DUPONT Marie", "DUPONT-MARTIN Marie")


def test_a_confirmation_of_another_list_of_renames_is_refused(api, admin):
    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], FIRST)
    token = json.loads(import_roster(api, admin, exam["id"], RENAMED).body)["confirm_token"]
    other = RENAMED.replace("DUPONT-MARTIN", "DUPONT-LEROY")

    response = confirm(api, admin, exam["id"], other, token)

    body = json.loads(response.body)
    assert response.status_code == 409 and body["error"]["reason"] == "roster_renames_changed"
    assert body["renames"][0]["new"]["last_name"] == "DUPONT-LEROY" and body["confirm_token"] != token
    assert {s.last_name for s in Student.scan()} == {"DUPONT", "LEROY"}


def test_a_rename_the_job_finds_without_its_confirmation_is_a_line_error(api, admin):
    """A student renamed between the check and the job: the job applies only what was confirmed."""
    exam = create_exam(api, admin)
    imported(api, admin, exam["id"], FIRST)
    response = import_roster(api, admin, exam["id"], FIRST.replace("LEROY,Anna", "LEROY,Anne"))
    token = json.loads(response.body)["confirm_token"]
    accepted = json.loads(confirm(api, admin, exam["id"], FIRST.replace("LEROY,Anna", "LEROY,Anne"),
                                  token).body)
    dupont = next(s for s in Student.scan() if s.last_name == "DUPONT")
    dupont.update(actions=[Student.first_name.set("Maria")])  # meanwhile: the file now renames her too

    run_account_jobs()

    done = job(api, admin, exam["id"], accepted["job_id"])
    assert (done["updated"], [e["line"] for e in done["errors"]]) == (1, [2])
    assert "was not confirmed" in done["errors"][0]["message"]
    assert {(s.last_name, s.first_name) for s in Student.scan()} == {("DUPONT", "Maria"), ("LEROY", "Anne")}


def test_namesakes_with_different_emails_are_never_merged_nor_renamed(api, admin):
    exam = create_exam(api, admin)
    text = (PLAIN + "MARTIN,Lucas,lucas.martin@lycee.example.org,3B,,\n"
            "MARTIN,Lucas,lucas.m@lycee.example.org,4A,,\n")
    imported(api, admin, exam["id"], text)
    again = imported(api, admin, exam["id"], text + "MARTIN,Lucas,lucas.third@lycee.example.org,5C,,\n")
    assert (again["created"], again["updated"]) == (1, 2)
    assert sorted(s.class_name for s in Student.scan()) == ["3B", "4A", "5C"]
