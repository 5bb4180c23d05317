"""The gradebook and release-check routes: admins only (they name the pupils), a constant number of
AWS round trips whatever the class size."""

from __future__ import annotations

import json

import pytest

from chalicelib import aws
from chalicelib.models.audit import AuditEvent
from chalicelib.models.students import Enrolment, Student
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_results import exam_with_scheme, graded, student

ROUTES = ("gradebook", "release-check", "gradebook.csv")


@pytest.mark.parametrize("route", ROUTES)
def test_a_teacher_of_the_exam_is_refused_and_never_sees_a_name(api, admin, route):
    exam_id, q = exam_with_scheme(api, admin)
    make_user("tess")
    teacher = sign_in(api, "tess")
    assigned = api.http.put(f"/api/exams/{exam_id}/teachers", headers=admin.headers(),
                            body=json.dumps({"teacher_ids": [teacher.user_id]}))
    assert assigned.status_code == 200
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (6, 9))

    response = api.http.get(f"/api/exams/{exam_id}/{route}", headers=teacher.headers())

    assert response.status_code == 403
    assert b"DUPONT" not in response.body


@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_exam_is_a_404(api, admin, route):
    assert api.http.get(f"/api/exams/nope/{route}", headers=admin.headers()).status_code == 404


def test_the_admin_reads_the_gradebook_with_names_and_the_release_check(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (6, 9))

    book = json.loads(api.http.get(f"/api/exams/{exam_id}/gradebook", headers=admin.headers()).body)
    check = json.loads(api.http.get(f"/api/exams/{exam_id}/release-check", headers=admin.headers()).body)

    assert book["rows"][0]["student"]["last_name"] == "DUPONT" and book["rows"][0]["total"] == 15
    assert check["attention_needed"] is False


@pytest.mark.parametrize("route", ["gradebook", "release-check"])
def test_thirty_students_cost_the_same_round_trips_as_one(api, admin, route):
    aws.connect()  # every model on the shared, counted client (as the API's init does)
    exam_id, q = exam_with_scheme(api, admin)
    for n in range(30):
        Student(f"s{n:02}", last_name=f"N{n:02}", first_name="P", identity_key=f"n{n}", email=None,
                login_id=f"p.n{n}", password_hash="h").save()
        Enrolment(exam_id, f"s{n:02}").save()
        if n % 3:
            graded(exam_id, f"c{n:02}", f"s{n:02}", q, (1, 1))

    aws.reset_round_trips()
    response = api.http.get(f"/api/exams/{exam_id}/{route}", headers=admin.headers())

    assert response.status_code == 200
    # the session, the exam, the copies (exam index), the enrolments, one batch of students and sheets
    assert aws.round_trips() <= 5, aws.round_trips()


def test_the_gradebook_csv_opens_in_french_excel_and_is_audited(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    graded(exam_id, "c-ana", "ana", q, (6, 9.25))
    Student("cleo", last_name="=ROUX", first_name="Cléo", identity_key="roux", email="c@college.example.org",
            class_name="3e B").save()
    Enrolment(exam_id, "cleo").save()

    response = api.http.get(f"/api/exams/{exam_id}/gradebook.csv", headers=admin.headers())

    assert response.status_code == 200, response.body
    assert response.headers["Content-Disposition"].startswith('attachment; filename="releve-')
    text = response.body.decode("utf-8")
    header = "Nom;Prénom;Classe;Groupe;N° élève;Copie;Statut;Q1 (/8);Q2 (/12);Total (/20)"
    assert text.startswith(f"\ufeff{header}\r\n")
    assert "DUPONT;Ana;;;;AB-c-ana;Corrigée;6;9,25;15,25\r\n" in text
    assert "ROUX;Cléo;3e B;;;;Sans copie;;;\r\n" in text  # no formula, no copy
    events = [e for e in AuditEvent.scan() if e.action == "exam.export"]
    assert [(e.metadata or {}).get("format") for e in events] == ["gradebook"]

    rfc = api.http.get(f"/api/exams/{exam_id}/gradebook.csv?format=rfc", headers=admin.headers())
    assert "DUPONT,Ana,,,,AB-c-ana,Corrigée,6,9.25,15.25\r\n" in rfc.body.decode("utf-8")
