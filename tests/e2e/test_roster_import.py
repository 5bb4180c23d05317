"""The roster tab in French: a file saved by French Excel imports, a rename asks first, login slips print.

The admin imports a roster as French Excel saves it (Windows-1252, ``;``, French headers in their own
order), sees how its columns were read and the accented names; downloads the one-time credentials sheet
and the login slips PDF built from it (one slip per student); re-imports the file with one student
renamed, sees the rename, confirms it, and gets the slip of the one new student.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pymupdf
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, ApiClient
from tests.e2e.test_sign_in import sign_in

INSTRUCTION = "À la première connexion, vous choisirez un nouveau mot de passe."
FIRST = (
    "Nom;Prénom;Classe;Courriel\r\n"
    "Lefèvre;Éloïse;1G2;eloise.lefevre@lycee.example.org\r\n"
    "Blanc;Françoise;1G2;francoise.blanc@lycee.example.org\r\n"
    "Dupont;Marie;1G3;marie.dupont@lycee.example.org\r\n"
)
SECOND = FIRST.replace("Dupont;Marie", "Dupont-Martin;Marie") + "Noël;Zoé;1G3;zoe.noel@lycee.example.org\r\n"


def choose(page: Page, tmp_path: Path, name: str, text: str) -> None:
    roster = tmp_path / name
    roster.write_bytes(text.encode("cp1252"))  # as French Excel's "CSV (séparateur: point-virgule)"
    page.get_by_test_id("roster-file").set_input_files(str(roster))


def slips(page: Page) -> tuple[list[str], list[dict[str, str]]]:
    """Downloads the one-time sheet (CSV) then the slips (PDF): the PDF's pages' text, the sheet's rows."""
    with page.expect_download() as sheet:
        page.get_by_test_id("roster-credentials").click()
    rows = list(csv.DictReader(io.StringIO(Path(sheet.value.path()).read_text("utf-8-sig")), delimiter=";"))
    with page.expect_download() as pdf:
        page.get_by_test_id("roster-slips").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    data = Path(pdf.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return [page_.get_text() for page_ in doc], rows


def test_a_french_excel_roster_imports_a_rename_asks_first_and_login_slips_print(
    page: Page, platform_url: str, tmp_path: Path
):
    admin = ApiClient(platform_url, "admin")
    exam = admin.call("POST", "/api/exams", 201, json={
        "name": f"Bac blanc {time.time_ns()}", "subject": "Français", "date": "2026-12-02",
        "upload_mode": "INDIVIDUAL",
    })
    sign_in(page, platform_url, "admin", DEMO_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{platform_url}/admin/exams/{exam['id']}/roster")

    choose(page, tmp_path, "eleves.csv", FIRST)
    expect(page.get_by_test_id("roster-preview")).to_contain_text("Éloïse")
    expect(page.get_by_test_id("roster-preview")).to_contain_text("Windows-1252")
    page.get_by_test_id("roster-import").click()
    expect(page.get_by_test_id("roster-mapping")).to_contain_text("séparateur « ; »")
    expect(page.get_by_test_id("roster-mapping-row")).to_have_text(
        ["NomNom", "PrénomPrénom", "CourrielAdresse e-mail", "ClasseClasse"]
    )
    expect(page.get_by_test_id("roster-created")).to_have_text("3", timeout=60_000)
    expect(page.get_by_test_id("roster-result")).to_contain_text("Import terminé")
    table = page.get_by_test_id("students-table")
    for name in ("Lefèvre", "Éloïse", "Blanc", "Françoise", "Dupont"):
        expect(table).to_contain_text(name)

    pages, rows = slips(page)
    assert len(pages) == 1 and len(rows) == 3
    text = "\n".join(pages)
    assert text.count(INSTRUCTION) == 3  # one slip per student
    for row in rows:
        assert row["initial_password"] in text and row["sign_in"] in text and row["class"] in text
    assert "Lefèvre Éloïse" in text and "Blanc Françoise" in text and "/student/login" in text

    choose(page, tmp_path, "eleves-2.csv", SECOND)
    page.get_by_test_id("roster-import").click()
    renames = page.get_by_test_id("roster-renames")
    expect(renames).to_contain_text("Changements de nom à confirmer")
    expect(page.get_by_test_id("roster-rename-row")).to_have_text(
        [re.compile(r"^Dupont Marie → Dupont-Martin Marie \(marie\.dupont@lycee\.example\.org\)")]
    )
    expect(table).not_to_contain_text("Dupont-Martin")  # nothing applied before the confirmation
    expect(page.get_by_test_id("roster-job")).to_have_count(0)

    page.get_by_test_id("roster-renames-confirm").click()
    expect(page.get_by_test_id("roster-updated")).to_have_text("3", timeout=60_000)
    expect(page.get_by_test_id("roster-created")).to_have_text("1")
    expect(renames).to_have_count(0)
    expect(table).to_contain_text("Dupont-Martin")
    expect(table).to_contain_text("Zoé")
    students = admin.call("GET", f"/api/exams/{exam['id']}/students")["students"]
    assert sorted(s["last_name"] for s in students) == ["Blanc", "Dupont-Martin", "Lefèvre", "Noël"]

    pages, rows = slips(page)
    assert [row["sign_in"] for row in rows] == ["zoe.noel@lycee.example.org"]
    assert len(pages) == 1 and "\n".join(pages).count(INSTRUCTION) == 1
    assert "Noël Zoé" in pages[0]
