"""Release, the student portal (only one's own released, graded copies), exports and statistics."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import UniqueValue
from chalicelib.services import passwords
from tests.unit.routes.test_exams import create_exam

STUDENT_PASSWORD = "Blue-Meadow-Kettle-42"
JSON = {"Content-Type": "application/json"}
SCHEME = {"nodes": [{"label": "Q1", "points": 8}, {"label": "Q2", "points": 12}]}


def student(student_id: str, last: str, first: str, must_change: bool = False) -> Student:
    record = Student(
        student_id,
        last_name=last,
        first_name=first,
        email=f"{student_id}@college.example.org",
        identity_key=f"{last}|{first}|",
        birth_date="2011-04-03",
        password_hash=passwords.hash_password(STUDENT_PASSWORD),
        must_change_password=must_change,
    )
    record.save()
    UniqueValue(f"student-email#{record.email}", owner_id=student_id).save()  # as the roster claims it
    return record


def student_headers(api, email: str) -> dict[str, str]:
    response = api.http.post(
        "/api/students/login", headers=JSON, body=json.dumps({"email": email, "password": STUDENT_PASSWORD})
    )
    assert response.status_code == 200, response.body
    return {
        **JSON,
        "Cookie": response.headers["Set-Cookie"].split(";")[0],
        "X-CSRF-Token": json.loads(response.body)["csrf_token"],
    }


def exam_with_scheme(api, admin) -> tuple[str, list[str]]:
    exam = create_exam(api, admin)
    body = json.loads(
        api.http.put(
            f"/api/exams/{exam['id']}/marking-scheme", headers=admin.headers(), body=json.dumps(SCHEME)
        ).body
    )
    return exam["id"], [node["id"] for node in body["nodes"]]


def graded(
    exam_id: str,
    copy_id: str,
    student_id: str,
    q: list[str],
    scores: tuple[float, float],
    status: str = "GRADED",
    appreciation: str = "Bien",
) -> None:
    Copy(
        copy_id,
        exam_id=exam_id,
        upload_id="u",
        anonymous_id=f"AB-{copy_id}",
        status=status,
        student_id=student_id,
        final_pdf_key=f"final/{exam_id}/{copy_id}/1.pdf",
    ).save()
    Enrolment(exam_id, student_id).save()
    ScoreSheet(
        copy_id,
        scores={q[0]: scores[0], q[1]: scores[1]},
        remarks={q[1]: "Unités"},
        appreciation=appreciation,
        total=sum(scores),
        version=1,
    ).save()


def test_students_see_only_their_own_released_graded_copies(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("ana", "DUPONT", "Ana")
    student("ben", "MARTIN", "Ben")
    graded(exam_id, "c-ana", "ana", q, (6, 9))
    graded(exam_id, "c-ben", "ben", q, (8, 12))
    ana = student_headers(api, "ana@college.example.org")
    assert json.loads(api.http.get("/api/students/me/copies", headers=ana).body)["copies"] == []
    assert api.http.get("/api/students/me/copies/c-ana", headers=ana).status_code == 404

    assert (
        api.http.post(f"/api/exams/{exam_id}/release", headers=admin.headers(), body="{}").status_code == 200
    )
    mine = json.loads(api.http.get("/api/students/me/copies", headers=ana).body)["copies"]
    assert [copy["id"] for copy in mine] == ["c-ana"]
    assert mine[0]["total"] == 15 and mine[0]["questions"][1]["remark"] == "Unités"
    for path in ("/api/students/me/copies/c-ben", "/api/students/me/copies/c-ben/download"):
        assert api.http.get(path, headers=ana).status_code == 404
    download = json.loads(api.http.get("/api/students/me/copies/c-ana/download", headers=ana).body)
    query = parse_qs(urlparse(download["url"]).query)
    assert download["expires_in"] <= 300 and int(query["X-Amz-Expires"][0]) <= 300
    assert query["response-content-disposition"][0].startswith("attachment; filename=")

    assert api.http.delete(f"/api/exams/{exam_id}/release", headers=admin.headers()).status_code == 204
    assert json.loads(api.http.get("/api/students/me/copies", headers=ana).body)["copies"] == []
    assert api.http.get("/api/students/me/copies/c-ana/download", headers=ana).status_code == 404


def test_a_released_copy_that_is_not_graded_is_absent(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("cleo", "ROUX", "Cléo")
    graded(exam_id, "c-cleo", "cleo", q, (1, 1), status="GRADING_IN_PROGRESS")
    Copy("c-cleo").update(actions=[Copy.final_pdf_key.remove()])  # a first render: no final PDF yet
    api.http.post(f"/api/exams/{exam_id}/release", headers=admin.headers(), body="{}")
    cleo = student_headers(api, "cleo@college.example.org")
    assert json.loads(api.http.get("/api/students/me/copies", headers=cleo).body)["copies"] == []
    assert api.http.get("/api/students/me/copies/c-cleo/download", headers=cleo).status_code == 404


def test_students_must_change_their_initial_password_first(api, admin):
    student("dora", "PETIT", "Dora", must_change=True)
    dora = student_headers(api, "dora@college.example.org")
    assert api.http.get("/api/students/me/copies", headers=dora).status_code == 403
    changed = api.http.post(
        "/api/students/me/password",
        headers=dora,
        body=json.dumps({"current_password": STUDENT_PASSWORD, "new_password": "Orange-Violin-Canyon-8"}),
    )
    assert changed.status_code == 204
    dora = {**dora, "Cookie": changed.headers["Set-Cookie"].split(";")[0]}  # a fresh session comes back
    assert api.http.get("/api/students/me/copies", headers=dora).status_code == 200


def test_students_cannot_reach_staff_routes(api, admin):
    student("eli", "SIMON", "Éli")
    eli = student_headers(api, "eli@college.example.org")
    for path in ("/api/users", "/api/exams", "/api/audit", "/api/teacher/copies"):
        assert api.http.get(path, headers=eli).status_code == 403, path


def test_student_login_failures_are_generic_and_throttled(api):
    student("fay", "FAURE", "Fay")
    bodies = set()
    for email in ("fay@college.example.org", "nobody@college.example.org"):
        response = api.http.post(
            "/api/students/login",
            headers=JSON,
            body=json.dumps({"email": email, "password": "wrong-password-1"}),
        )
        assert response.status_code == 401
        bodies.add(response.body)
    assert len(bodies) == 1
    for _ in range(4):
        api.http.post(
            "/api/students/login",
            headers=JSON,
            body=json.dumps({"email": "fay@college.example.org", "password": "wrong-password-1"}),
        )
    blocked = api.http.post(
        "/api/students/login",
        headers=JSON,
        body=json.dumps({"email": "fay@college.example.org", "password": STUDENT_PASSWORD}),
    )
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_exports_and_statistics(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    Exam(exam_id).update(actions=[Exam.subject.set("Mathématiques")])
    assert api.http.get(f"/api/exams/{exam_id}/pronote.csv", headers=admin.headers()).status_code == 409
    student("gus", "LEFÈVRE", "Gus")
    student("hal", "DUPONT", "Hal")
    graded(exam_id, "c-gus", "gus", q, (4, 6), appreciation="=SUM(A1)\nà revoir")
    graded(exam_id, "c-hal", "hal", q, (8, 11.75))
    pronote = api.http.get(f"/api/exams/{exam_id}/pronote.csv", headers=admin.headers())
    assert pronote.status_code == 200 and pronote.headers["Content-Type"].startswith("text/csv")
    text = pronote.body.decode("utf-8")
    assert text.startswith("\ufeffNOM;PRENOM;DATE_NAISSANCE;MATIERE;NOTE;COEFF;COMMENTAIRE\r\n")
    assert "DUPONT;Hal;03/04/2011;Mathématiques;19,75;1;Bien\r\n" in text
    assert "LEFÈVRE;Gus;03/04/2011;Mathématiques;10,00;1;SUM(A1) à revoir\r\n" in text
    results_csv = api.http.get(f"/api/exams/{exam_id}/export.csv", headers=admin.headers()).body.decode()
    assert "AB-c-gus" in results_csv and "LEFÈVRE" in results_csv
    stats = json.loads(api.http.get(f"/api/exams/{exam_id}/stats", headers=admin.headers()).body)
    assert (stats["count"], stats["mean"], stats["min"], stats["max"]) == (2, 14.875, 10, 19.75)
    assert sum(bucket["count"] for bucket in stats["histogram"]) == 2
    assert [question["count"] for question in stats["questions"]] == [2, 2]


def test_a_graded_copy_being_rendered_again_stays_in_the_exports_and_statistics(api, admin):
    exam_id, q = exam_with_scheme(api, admin)
    student("gus", "LEFÈVRE", "Gus")
    student("hal", "DUPONT", "Hal")
    student("ivy", "MOREL", "Ivy")
    graded(exam_id, "c-gus", "gus", q, (4, 6))
    graded(exam_id, "c-hal", "hal", q, (8, 11), status="GRADING_IN_PROGRESS")  # a rubric edit re-renders it
    graded(exam_id, "c-ivy", "ivy", q, (1, 1), status="GRADING_IN_PROGRESS")
    Copy("c-ivy").update(actions=[Copy.final_pdf_key.remove()])  # a first render: no result yet

    results_csv = api.http.get(f"/api/exams/{exam_id}/export.csv", headers=admin.headers()).body.decode()
    stats = json.loads(api.http.get(f"/api/exams/{exam_id}/stats", headers=admin.headers()).body)

    assert "AB-c-gus" in results_csv and "AB-c-hal" in results_csv and "AB-c-ivy" not in results_csv
    assert (stats["count"], stats["min"], stats["max"]) == (2, 10, 19)


def test_every_user_text_cell_of_both_exports_is_defused(api, admin):
    import csv
    import io

    exam_id, q = exam_with_scheme(api, admin)
    Exam(exam_id).update(actions=[Exam.subject.set("=Maths")])
    scheme = {"nodes": [{"label": "@Q1", "points": 8}, {"label": "+Q2", "points": 12}]}
    q = [
        node["id"]
        for node in json.loads(
            api.http.put(
                f"/api/exams/{exam_id}/marking-scheme", headers=admin.headers(), body=json.dumps(scheme)
            ).body
        )["nodes"]
    ]
    pupil = student("ivy", "=HYPERLINK(\"http://x\")", "+Ivy")
    pupil.update(actions=[Student.email.set("=cmd@college.example.org"), Student.class_name.set("-3B")])
    graded(exam_id, "c-ivy", "ivy", q, (4, 6), appreciation="@SUM(A1)")

    exports = {
        path: api.http.get(f"/api/exams/{exam_id}/{path}", headers=admin.headers()).body.decode("utf-8-sig")
        for path in ("export.csv", "pronote.csv")
    }

    results = list(csv.reader(io.StringIO(exports["export.csv"]), delimiter=";"))
    pronote = list(csv.reader(io.StringIO(exports["pronote.csv"]), delimiter=";"))
    cells = [cell for row in results + pronote for cell in row]
    assert "HYPERLINK(\"http://x\")" in cells and "cmd@college.example.org" in cells and "3B" in cells
    assert {"Ivy", "SUM(A1)", "Q1", "Q2", "Maths"} <= set(cells)
    assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == []


def export(api, admin, exam_id: str, query: str = ""):
    return api.http.get(f"/api/exams/{exam_id}/export.csv{query}", headers=admin.headers())


def graded_for_export(api, admin) -> str:
    exam_id, q = exam_with_scheme(api, admin)
    student("jo", "BERNARD", "Jo")
    graded(exam_id, "c-jo", "jo", q, (6.25, 8))
    return exam_id


def test_the_results_csv_opens_as_columns_in_french_excel_by_default(api, admin):
    exam_id = graded_for_export(api, admin)
    response = export(api, admin, exam_id)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    data = response.body if isinstance(response.body, bytes) else response.body.encode()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    header, row = [line.split(";") for line in data.decode("utf-8-sig").splitlines()]
    assert header[5:10] == ["total", "max_points", "grade_on_20", "Q1", "Q2"]
    assert row[0] == "AB-c-jo" and row[5:10] == ["14,25", "20", "14,25", "6,25", "8"]


def test_format_rfc_gives_commas_and_decimal_points_without_bom_for_tools(api, admin):
    exam_id = graded_for_export(api, admin)
    response = export(api, admin, exam_id, "?format=rfc")
    assert response.status_code == 200
    text = response.body.decode("utf-8")
    assert not text.startswith("\ufeff")
    row = text.splitlines()[1].split(",")
    assert row[0] == "AB-c-jo" and row[5:10] == ["14.25", "20", "14.25", "6.25", "8"]


def test_an_unknown_format_is_a_400_that_exports_and_audits_nothing(api, admin):
    exam_id = graded_for_export(api, admin)
    for bad in ("xlsx", "", "RFC"):
        response = export(api, admin, exam_id, f"?format={bad}")
        assert response.status_code == 400
        assert "format=rfc" in json.loads(response.body)["error"]["message"]
    assert [e for e in AuditEvent.exam_index.query(exam_id) if e.action == "exam.export"] == []
    assert export(api, admin, exam_id).status_code == 200
    exports = [e for e in AuditEvent.exam_index.query(exam_id) if e.action == "exam.export"]
    assert [event.metadata["dialect"] for event in exports] == ["excel"]
