"""Scans of personalised answer sheets end to end against the local endpoint (issue 14): pre-signed
upload → S3 event → ingest reads every page's code → one copy per booklet, in page order, upright,
identified without OCR; unreadable pages to place; a booklet scanned twice makes one copy."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
import requests

from tests.integration.conftest import account
from tests.integration.test_scan_pipeline import (
    FIRST,
    LAST,
    call,
    new_exam,
    pumps,
    upload,
    upload_status,
)

pytestmark = pytest.mark.slow
__all__ = ["pumps"]  # fixtures


@pytest.fixture(scope="module")
def admin(api) -> dict[str, str]:
    return account(api, "coded-admin")


def enrol(api, admin, pumps, exam_id: str, names: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The roster imported through the API; (last, first) → student id."""
    rows = [f"{last} {first};01/02/2011;{first.lower()}.{last.lower()}@sheets.college.example.org;3B;G1"
            for last, first in names]
    roster = "Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\n" + "\n".join(rows) + "\n"
    headers = {**admin, "Content-Type": "text/csv"}
    accepted = json.loads(api.http.post(f"/api/exams/{exam_id}/roster", headers=headers,
                                        body=roster.encode()).body)
    job_path = f"/api/exams/{exam_id}/account-jobs/{accepted['job_id']}"
    for _ in range(30):
        if call(api, admin, "GET", job_path)["status"] == "DONE":
            break
        pumps.accounts.poll_once()
    return {(s["last_name"], s["first_name"]): s["id"]
            for s in call(api, admin, "GET", f"/api/exams/{exam_id}/students")["students"]}


def print_booklets(exam_id: str, owners: list[str | None], pages: int) -> list[str]:
    """Booklet items as the sheets function writes them; their sheet ids."""
    from chalicelib.models.sheets import Booklet

    sheet_ids = []
    for number, student_id in enumerate(owners, start=1):
        sheet_id = f"{'s' if student_id else 'a'}{number:03d}"  # as the sheets function names them
        Booklet(exam_id, sheet_id, student_id=student_id, number=None if student_id else number,
                pages=pages).save()
        sheet_ids.append(sheet_id)
    return sheet_ids


def sheet_page(exam_id: str, sheet_id: str, page: int, pages: int = 2, **copier: Any):
    from chalicelib.domain.sheet_codes import SheetCode, code_key, encode, printed_label
    from chalicelib.settings import get_settings
    from tests.support.scans import SheetPage

    code = SheetCode(exam_id, sheet_id, page)
    text = encode(code, code_key(get_settings().secret_key))
    return SheetPage(text, label=printed_label(sheet_id, page, pages), **copier)


def stored_code(key: str):
    """The code read back on a stored page image (its turn tells whether it is upright)."""
    from PIL import Image

    from chalicelib import storage
    from chalicelib.domain.sheet_codes import code_key
    from chalicelib.settings import get_settings
    from functions.pdf.codes import read_code

    with Image.open(io.BytesIO(storage.get_bytes(key))) as image:
        return read_code(image, code_key(get_settings().secret_key))


def test_thirty_booklets_shuffled_turned_short_and_smudged_come_out_identified_in_order(api, admin, pumps):
    from chalicelib.models.copies import Copy, Page
    from tests.support.scans import make_coded_scan

    exam = new_exam(api, admin, name="Feuilles personnalisées", pages_per_copy=2)
    names = list(zip(LAST, FIRST, strict=True))
    students = enrol(api, admin, pumps, exam["id"], names)
    assert len(students) == 30
    sheets = print_booklets(exam["id"], [students[name] for name in names], pages=2)
    owner = dict(zip(sheets, (students[name] for name in names), strict=True))

    rng = random.Random(14)
    pages = [(sheet_id, number) for sheet_id in sheets for number in (1, 2)]
    rng.shuffle(pages)
    dropped, smudged, turned = pages[10], pages[20], pages[30]
    assert len({dropped[0], smudged[0], turned[0]}) == 3
    scan = make_coded_scan([
        sheet_page(exam["id"], *page, skew=rng.uniform(-2, 2), turn=180 if page == turned else 0,
                   smudged=page == smudged)
        for page in pages if page != dropped
    ], seed=5)
    upload_id = upload(api, admin, exam["id"], scan)
    pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] in ("DONE", "FAILED"))

    status = upload_status(api, admin, exam["id"], upload_id)
    assert (status["status"], status["copies"], status["pages"]) == ("DONE", 30, 58), status
    answer = call(api, admin, "GET", f"/api/exams/{exam['id']}/copies")
    listed = {copy["id"]: copy for copy in answer["copies"]}
    copies = list(Copy.exam_index.query(exam["id"]))
    assert len(copies) == 30
    for copy in copies:  # every copy identified by its code, no OCR
        assert (copy.status, copy.identified_by, copy.student_id) == ("READY", "code", owner[copy.sheet_id])
        stored = sorted(Page.query(copy.id), key=lambda page: int(page.index))
        codes = [stored_code(page.image_key) for page in stored]
        assert [(c.code.sheet_id, c.code.page, c.turn) for c in codes if c] == [
            (copy.sheet_id, number, 0) for number in range(1, 3)
            if (copy.sheet_id, number) not in (dropped, smudged)
        ]  # in page order, upright
    reports = {listed[c.id]["anonymous_id"]: listed[c.id]["missing_pages"] for c in copies
               if listed[c.id]["missing_pages"]}
    assert list(reports.values()) == [[dropped[1]]]  # one report: the page lost at the copier
    assert all(not listed[c.id]["duplicate_pages"] for c in copies)

    # the smudged page waits to be placed, its place read on its printed line
    (loose,) = call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"]
    assert loose["reason"] == "unreadable" and loose["source_page"] == [
        p for p in pages if p != dropped].index(smudged) + 1
    from chalicelib.services.scans import booklet_copy_id
    assert loose["guess"] == {"copy_id": booklet_copy_id(exam["id"], smudged[0]), "page": smudged[1]}

    queue = call(api, admin, "GET", f"/api/exams/{exam['id']}/identification")
    assert queue["copies"] == [] and queue["students_without_copy"] == []
    assert {entry["identified_by"] for entry in queue["identified"]} == {"code"}
    history = call(api, admin, "GET", f"/api/copies/{copies[0].id}/history")["events"]
    events = [e for e in history if e["action"] == "copy.identify"]
    assert [(e["actor_role"], e["metadata"]["by"]) for e in events] == [("system", "code")]


def test_sheets_printed_for_thirty_pupils_come_back_from_the_copier_identified_in_order(api, admin, pumps):
    """The issue's "Done when", with the real print: the sheets function prints the booklets of 30
    pupils; a copier scans them (150-dpi grey JPEG, noise, slight skew), shuffled, one upside down, one
    dropped, one code smudged."""
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.sheets import Booklet
    from chalicelib.services.scans import booklet_copy_id
    from tests.integration.test_sheets import pump_until_settled
    from tests.support.scans import copier_scan

    exam = new_exam(api, admin, name="Bac blanc imprimé", pages_per_copy=2)
    enrol(api, admin, pumps, exam["id"], list(zip(LAST, FIRST, strict=True)))
    call(api, admin, "POST", f"/api/exams/{exam['id']}/sheets", {"extra_blank_booklets": 0}, 202)
    printed = pump_until_settled(api, admin, exam["id"])
    assert (printed["status"], printed["pages"]) == ("DONE", 60), printed
    pdf = requests.get(printed["url"], timeout=30).content
    owner = {booklet.sheet_id: booklet.student_id for booklet in Booklet.query(exam["id"])}
    place = {index: (sheet_id, number) for index, (sheet_id, number) in
             enumerate((sheet_id, number) for sheet_id in sorted(owner) for number in (1, 2))}

    order = list(range(60))
    random.Random(30).shuffle(order)
    dropped, smudged, turned = order[10], order[20], order[30]
    scan = copier_scan(pdf, [i for i in order if i != dropped], upside_down={turned}, smudged={smudged},
                       seed=30)
    upload_id = upload(api, admin, exam["id"], scan)
    pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] in ("DONE", "FAILED"))

    status = upload_status(api, admin, exam["id"], upload_id)
    assert (status["status"], status["copies"], status["pages"]) == ("DONE", 30, 58), status
    copies = list(Copy.exam_index.query(exam["id"]))
    assert len(copies) == 30
    for copy in copies:  # identified by code, no OCR; its pages in order and upright
        assert (copy.status, copy.identified_by, copy.student_id) == ("READY", "code", owner[copy.sheet_id])
        stored = sorted(Page.query(copy.id), key=lambda page: int(page.index))
        read = [stored_code(page.image_key) for page in stored]
        assert [(c.code.sheet_id, c.code.page, c.turn) for c in read if c] == [
            (copy.sheet_id, number, 0) for number in (1, 2)
            if (copy.sheet_id, number) not in (place[dropped], place[smudged])
        ]
    listed = call(api, admin, "GET", f"/api/exams/{exam['id']}/copies")["copies"]
    assert [(c["id"], c["missing_pages"]) for c in listed if c["missing_pages"]] == [
        (booklet_copy_id(exam["id"], place[dropped][0]), [place[dropped][1]])]  # one missing-page report
    (loose,) = call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"]  # one to place
    assert loose["reason"] == "unreadable"
    sheet_id, number = place[smudged]
    assert loose["guess"] == {"copy_id": booklet_copy_id(exam["id"], sheet_id), "page": number}


def test_a_booklet_scanned_twice_makes_one_copy_and_an_anonymous_booklet_waits_for_the_desk(
        api, admin, pumps, sqs, settings):
    from chalicelib.models.copies import Copy
    from chalicelib.services.scans import booklet_copy_id
    from chalicelib.storage import scan_key
    from tests.support.scans import make_coded_scan

    exam = new_exam(api, admin, name="Deux passages", pages_per_copy=2)
    students = enrol(api, admin, pumps, exam["id"], [("ALPHA", "Ann")])
    named, anonymous = print_booklets(exam["id"], [students[("ALPHA", "Ann")], None], pages=2)
    first = upload(api, admin, exam["id"], make_coded_scan([
        sheet_page(exam["id"], named, 2), sheet_page(exam["id"], named, 1),
        sheet_page(exam["id"], anonymous, 1), sheet_page(exam["id"], anonymous, 2, turn=90)]))
    pumps.drain(lambda: upload_status(api, admin, exam["id"], first)["status"] == "DONE")
    copies = {c.sheet_id: c for c in Copy.exam_index.query(exam["id"])}
    assert (copies[named].status, copies[named].identified_by) == ("READY", "code")
    assert (copies[anonymous].status, copies[anonymous].student_id) == ("STAGING", None)
    queue = call(api, admin, "GET", f"/api/exams/{exam['id']}/identification")
    assert [entry["id"] for entry in queue["copies"]] == [copies[anonymous].id]  # its header goes to OCR
    (identified,) = queue["identified"]
    header = requests.get(identified["header_url"], timeout=10)  # no OCR, yet a header to show
    assert header.status_code == 200 and header.content.startswith(b"\xff\xd8")

    # The same booklet's page 2 again, in another scan: no second copy for Ann, a page to place instead.
    second = upload(api, admin, exam["id"], make_coded_scan([sheet_page(exam["id"], named, 2, skew=1.0)]))
    pumps.drain(lambda: upload_status(api, admin, exam["id"], second)["status"] == "DONE")
    assert len(list(Copy.exam_index.query(exam["id"]))) == 2
    (loose,) = call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"]
    guess = {"copy_id": booklet_copy_id(exam["id"], named), "page": 2}
    assert (loose["reason"], loose["guess"]) == ("already_scanned", guess)

    # A redelivered S3 event changes nothing.
    event = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": settings.files_bucket},
        "object": {"key": scan_key(exam["id"], first), "size": 1}}}]}
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name("ingest"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    for _ in range(2):
        pumps.ingest.poll_once()
    assert len(list(Copy.exam_index.query(exam["id"]))) == 2
    assert len(call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"]) == 1


def test_a_plain_scan_for_an_exam_with_sheets_is_cut_by_page_count_as_before(api, admin, pumps):
    from chalicelib.models.copies import Copy
    from tests.support.scans import make_scan

    exam = new_exam(api, admin, name="Sans codes", pages_per_copy=2)
    print_booklets(exam["id"], [None], pages=2)
    scan = make_scan([("ALPHA", "Ann"), ("BETA", "Bob")], pages_per_copy=2)
    upload_id = upload(api, admin, exam["id"], scan)
    pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] == "DONE")
    copies = list(Copy.exam_index.query(exam["id"]))
    assert len(copies) == 2
    assert {(c.status, c.page_count, c.sheet_id) for c in copies} == {("STAGING", 2, None)}


def test_a_failed_scan_takes_back_the_copies_its_codes_identified(api, admin, pumps):
    from chalicelib.models.copies import Copy
    from chalicelib.services import scans
    from tests.support.scans import make_coded_scan

    exam = new_exam(api, admin, name="Scan retiré", pages_per_copy=1)
    students = enrol(api, admin, pumps, exam["id"], [("GAMMA", "Gus")])
    (sheet,) = print_booklets(exam["id"], [students[("GAMMA", "Gus")]], pages=1)
    upload_id = upload(api, admin, exam["id"], make_coded_scan([sheet_page(exam["id"], sheet, 1)]))
    pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] == "DONE")
    assert [c.status for c in Copy.exam_index.query(exam["id"])] == ["READY"]

    assert scans.discard_copies(exam["id"], upload_id) == 1
    assert list(Copy.exam_index.query(exam["id"])) == []
    desk = call(api, admin, "GET", f"/api/exams/{exam['id']}/identification")
    assert [s["id"] for s in desk["students_without_copy"]] == [students[("GAMMA", "Gus")]]
    again = upload(api, admin, exam["id"], make_coded_scan([sheet_page(exam["id"], sheet, 1)]))
    pumps.drain(lambda: upload_status(api, admin, exam["id"], again)["status"] == "DONE")
    (copy,) = Copy.exam_index.query(exam["id"])  # the student's claim was released with the copy
    assert (copy.status, copy.identified_by, copy.upload_id) == ("READY", "code", again)
