"""The scan pipeline end to end against the local endpoint: pre-signed upload → S3 event → ingest →
page images → OCR → suggestions → identification → dispatch; hostile files fail cleanly."""

from __future__ import annotations

import json
import random
import threading
from typing import Any

import pytest
import requests

from tests.integration.conftest import account

pytestmark = pytest.mark.slow

FIRST = [
    "Élodie",
    "Léa",
    "Noé",
    "Chloé",
    "Hugo",
    "Inès",
    "Lucas",
    "Jade",
    "Louis",
    "Zoé",
    "Gabriel",
    "Maëlys",
    "Raphaël",
    "Anaïs",
    "Jules",
    "Camille",
    "Adam",
    "Manon",
    "Arthur",
    "Clémence",
    "Théo",
    "Océane",
    "Mathis",
    "Agathe",
    "Nathan",
    "Lou",
    "Ethan",
    "Romane",
    "Sacha",
    "Jeanne",
]
LAST = [
    "DUPONT",
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFÈVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPUIS",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEBVRE",
    "FAURE",
]


@pytest.fixture(scope="module")
def admin(api) -> dict[str, str]:
    return account(api, "pipeline-admin")


def call(api, admin, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = api.http.request(
        method, path, headers=admin, body=json.dumps(body) if body is not None else None
    )
    assert response.status_code == status, response.body
    return json.loads(response.body) if response.body else None


def new_exam(api, admin, **fields) -> dict[str, Any]:
    exam = {
        "name": "Contrôle 3",
        "subject": "Maths",
        "date": "2026-11-20",
        "upload_mode": "BATCH",
        "pages_per_copy": 4,
        **fields,
    }
    return call(api, admin, "POST", "/api/exams", exam, 201)


def upload(api, admin, exam_id: str, data: bytes, name: str = "scan.pdf") -> str:
    post = call(
        api, admin, "POST", f"/api/exams/{exam_id}/uploads", {"filename": name, "size": len(data)}, 201
    )
    response = requests.post(
        post["url"], data=post["fields"], files={"file": (name, data, "application/pdf")}, timeout=60
    )
    assert response.status_code in (200, 201, 204), response.text
    return post["upload_id"]


class Pumps:
    """The local event pump's queue pumps for ingest and OCR, driven step by step."""

    def __init__(self) -> None:
        from chalicelib.resources import EVENT_ROUTES
        from functions import accounts, ingest, ocr
        from infra.local.pump import QueuePump

        routes = {route.function: route for route in EVENT_ROUTES}
        stop = threading.Event()
        self.ingest = QueuePump(routes["ingest"], ingest.handler, stop, wait_seconds=1)
        self.ocr = QueuePump(routes["ocr"], ocr.handler, stop, wait_seconds=1)
        self.accounts = QueuePump(routes["accounts"], accounts.handler, stop, wait_seconds=1)

    def drain(self, done, rounds: int = 120) -> None:
        for _ in range(rounds):
            if done():
                return
            self.ingest.poll_once()
            self.ocr.poll_once()
        raise AssertionError("the pipeline did not settle")


@pytest.fixture(scope="module")
def pumps(provisioned: dict[str, Any]) -> Pumps:
    return Pumps()


def upload_status(api, admin, exam_id: str, upload_id: str) -> dict[str, Any]:
    return call(api, admin, "GET", f"/api/exams/{exam_id}/uploads/{upload_id}")


def test_thirty_copies_are_split_rendered_read_identified_and_dispatched(api, admin, pumps):
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.ocr import OcrResult
    from chalicelib.services.scans import copy_id_for
    from tests.support.scans import make_scan

    exam = new_exam(api, admin)
    roster_rows = [
        f"{last} {first};01/02/2011;{first.lower()}.{last.lower()}@college.example.org;3B;G1"
        for last, first in zip(LAST, FIRST, strict=True)
    ]
    roster = "Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\n" + "\n".join(roster_rows) + "\n"
    headers = {**admin, "Content-Type": "text/csv"}
    accepted = json.loads(
        api.http.post(f"/api/exams/{exam['id']}/roster", headers=headers, body=roster.encode()).body
    )
    assert (accepted["status"], accepted["total"], accepted["errors"]) == ("PENDING", 30, [])
    job_path = f"/api/exams/{exam['id']}/account-jobs/{accepted['job_id']}"
    for _ in range(30):
        if call(api, admin, "GET", job_path)["status"] == "DONE":
            break
        pumps.accounts.poll_once()
    assert call(api, admin, "GET", job_path)["created"] == 30
    students = {
        (s["last_name"], s["first_name"]): s["id"]
        for s in call(api, admin, "GET", f"/api/exams/{exam['id']}/students")["students"]
    }

    order = list(zip(LAST, FIRST, strict=True))
    random.Random(7).shuffle(order)
    upload_id = upload(api, admin, exam["id"], make_scan(order, pages_per_copy=4, dpi=150, seed=3))

    def settled() -> bool:
        status = upload_status(api, admin, exam["id"], upload_id)["status"]
        return status in ("DONE", "FAILED") and sum(1 for _ in OcrResult.scan()) >= 30

    pumps.drain(settled)

    status = upload_status(api, admin, exam["id"], upload_id)
    assert (status["status"], status["copies"], status["pages"]) == ("DONE", 30, 120), status
    copies = list(Copy.exam_index.query(exam["id"]))
    assert len(copies) == 30 and {c.status for c in copies} == {"STAGING"}
    assert sum(1 for c in copies for _ in Page.query(c.id)) == 120

    queue = call(api, admin, "GET", f"/api/exams/{exam['id']}/identification")["copies"]
    truth = {copy_id_for(upload_id, position): students[name] for position, name in enumerate(order)}
    correct = sum(
        1
        for entry in queue
        if entry["suggestions"] and entry["suggestions"][0]["student_id"] == truth[entry["id"]]
    )
    print(f"top-1 OCR suggestions right: {correct}/30")
    assert correct >= 28

    for entry in queue:
        call(api, admin, "POST", f"/api/copies/{entry['id']}/identify", {"student_id": truth[entry["id"]]})
    teacher_ids = []
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import users

    for name in ("pipe-t1", "pipe-t2"):
        teacher_ids.append(
            users.create_user(
                username=name,
                email=f"{name}@school.example.org",
                password="Teacher-Pipeline-9",
                role=Role.TEACHER,
                must_change_password=False,
                actor=None,
                origin=Origin(),
            ).id
        )
    call(api, admin, "PUT", f"/api/exams/{exam['id']}/teachers", {"teacher_ids": teacher_ids})
    result = call(api, admin, "POST", f"/api/exams/{exam['id']}/dispatch", {})
    assert result["assigned"] == 30
    assert all(abs(count - 15) <= 1 for count in result["distribution"].values())


def test_a_duplicate_s3_event_creates_nothing_twice(api, admin, pumps, sqs, settings):
    from chalicelib.models.copies import Copy
    from chalicelib.storage import scan_key
    from tests.support.scans import make_scan

    exam = new_exam(api, admin, name="Duplicate events", pages_per_copy=2)
    upload_id = upload(
        api, admin, exam["id"], make_scan([("ALPHA", "Ann"), ("BETA", "Bob")], pages_per_copy=2)
    )
    pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] == "DONE")
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": settings.files_bucket},
                    "object": {"key": scan_key(exam["id"], upload_id), "size": 1},
                },
            }
        ]
    }
    queue = sqs.get_queue_url(QueueName=settings.queue_name("ingest"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    for _ in range(3):
        pumps.ingest.poll_once()
    assert len(list(Copy.exam_index.query(exam["id"]))) == 2
    assert upload_status(api, admin, exam["id"], upload_id)["copies"] == 2


def first_pages(data: bytes, count: int) -> bytes:
    """The first ``count`` pages of a PDF (a batch with a copy cut short)."""
    import pymupdf

    doc = pymupdf.open(stream=data)
    doc.select(list(range(count)))
    return doc.tobytes(garbage=1, no_new_id=True)


def test_a_batch_that_does_not_divide_gives_its_full_copies_and_pages_to_place(api, admin, pumps):
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.ocr import OcrResult
    from tests.support.scans import make_scan

    exam = new_exam(api, admin, name="Thirty pages")
    names = list(zip(LAST, FIRST, strict=True))[:8]
    upload_id = upload(api, admin, exam["id"], first_pages(make_scan(names, pages_per_copy=4, seed=11), 30))

    def settled() -> bool:
        status = upload_status(api, admin, exam["id"], upload_id)["status"]
        return status in ("DONE", "FAILED") and sum(1 for _ in OcrResult.scan()) >= 7

    pumps.drain(settled)

    status = upload_status(api, admin, exam["id"], upload_id)
    assert (status["status"], status["copies"], status["pages"]) == ("DONE", 7, 28), status
    copies = list(Copy.exam_index.query(exam["id"]))
    assert len(copies) == 7 and all(int(copy.page_count) == 4 for copy in copies)
    loose = call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"]
    assert [(page["source_page"], page["upload_id"]) for page in loose] == [(29, upload_id), (30, upload_id)]
    assert requests.get(loose[0]["url"], timeout=10).content[:2] == b"\xff\xd8"  # a JPEG, signed URL

    made = call(api, admin, "POST", f"/api/exams/{exam['id']}/loose-pages/new-copy",
                {"page_ids": [page["id"] for page in loose]}, 201)
    assert call(api, admin, "GET", f"/api/exams/{exam['id']}/loose-pages")["pages"] == []
    assert [int(page.index) for page in Page.query(made["copy_id"])] == [0, 1]

    def read() -> bool:  # the new copy's header went through OCR: the 8th student is suggested
        return OcrResult.count(made["copy_id"]) == 1

    pumps.drain(read)
    (entry,) = [c for c in call(api, admin, "GET", f"/api/exams/{exam['id']}/identification")["copies"]
                if c["id"] == made["copy_id"]]
    assert entry["anonymous_id"] == made["anonymous_id"] and "DURAND" in (entry["ocr_text"] or "").upper()


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("not_a_pdf", "not a pdf"),
        ("truncated", "damaged"),
        ("encrypted", "encrypted"),
        ("too_many_pages", "pages"),
        ("huge_page", "too large"),
    ],
)
def test_hostile_files_end_failed_with_a_clear_reason_and_no_copy(
    api, admin, pumps, monkeypatch, kind, reason
):
    from chalicelib.models.copies import Copy
    from chalicelib.settings import reset_settings_cache
    from tests.support import scans

    monkeypatch.setenv("KORRIGO_MAX_SCAN_PAGES", "40")
    reset_settings_cache()
    data = {
        "not_a_pdf": scans.not_a_pdf,
        "truncated": scans.truncated_pdf,
        "encrypted": scans.encrypted_pdf,
        "too_many_pages": lambda: scans.many_pages_pdf(44),
        "huge_page": scans.huge_page_pdf,
    }[kind]()
    exam = new_exam(api, admin, name=f"Hostile {kind}", pages_per_copy=2)
    upload_id = upload(api, admin, exam["id"], data)
    try:
        pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] in ("DONE", "FAILED"))
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    status = upload_status(api, admin, exam["id"], upload_id)
    assert status["status"] == "FAILED" and reason in status["error"].lower(), status
    assert list(Copy.exam_index.query(exam["id"])) == []


def test_a_message_that_keeps_failing_lands_in_the_dlq_and_the_upload_shows_failed(
    api, admin, pumps, sqs, settings, monkeypatch
):
    import functions.ingest
    from chalicelib.models.copies import Copy
    from tests.support.scans import make_scan

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(functions.ingest, "process_scan", broken)
    exam = new_exam(api, admin, name="Always failing", pages_per_copy=1)
    upload_id = upload(api, admin, exam["id"], make_scan([("GAMMA", "Gus")], pages_per_copy=1))
    dlq = sqs.get_queue_url(QueueName=settings.queue_name("ingest", dead_letter=True))["QueueUrl"]

    def in_dlq() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) > 0

    import time

    for _ in range(30):
        if in_dlq():
            break
        pumps.ingest.poll_once()
        time.sleep(0.5)
    assert in_dlq()
    status = upload_status(api, admin, exam["id"], upload_id)
    assert status["status"] == "FAILED" and "repeatedly" in status["error"]
    assert list(Copy.exam_index.query(exam["id"])) == []


def test_anonymous_ids_are_a_keyed_permutation_not_the_scan_order(api, admin, pumps):
    import re

    from chalicelib.domain.anonymous_ids import anonymous_id
    from chalicelib.models.copies import Copy
    from chalicelib.models.exams import Exam
    from chalicelib.services.scans import copy_id_for
    from tests.support.scans import make_scan

    exam = new_exam(api, admin, name="Anonymous order", pages_per_copy=1)
    names = list(zip(LAST, FIRST, strict=True))
    uploads = [
        upload(api, admin, exam["id"], make_scan(names[:12], pages_per_copy=1, seed=5)),
        upload(api, admin, exam["id"], make_scan(names[12:20], pages_per_copy=1, seed=6)),
    ]
    pumps.drain(
        lambda: all(upload_status(api, admin, exam["id"], u)["status"] == "DONE" for u in uploads)
    )

    stored = Exam.get(exam["id"], consistent_read=True)
    in_scan_order = [
        Copy.get(copy_id_for(upload_id, position)).anonymous_id
        for upload_id, count in zip(uploads, (12, 8), strict=True)
        for position in range(count)
    ]
    assert all(re.fullmatch(rf"{stored.anonymous_prefix}-\d{{4}}", value) for value in in_scan_order)
    assert len(set(in_scan_order)) == 20  # unique across both uploads (one key, one sequence)
    assert in_scan_order != sorted(in_scan_order)  # the scan order does not show
    assert stored.anonymous_key and in_scan_order == [
        anonymous_id(stored.anonymous_prefix, sequence, stored.anonymous_key) for sequence in range(1, 21)
    ]


def upload_declaring(api, admin, exam_id: str, data: bytes, declared: int) -> str:
    """An upload whose announced size is ``declared`` (the emulator does not enforce the POST's range)."""
    post = call(
        api, admin, "POST", f"/api/exams/{exam_id}/uploads", {"filename": "scan.pdf", "size": declared}, 201
    )
    response = requests.post(
        post["url"], data=post["fields"], files={"file": ("scan.pdf", data, "application/pdf")}, timeout=60
    )
    assert response.status_code in (200, 201, 204), response.text
    return post["upload_id"]


def pages_stored(exam_id: str) -> list[str]:
    from chalicelib import aws
    from chalicelib.settings import get_settings

    listing = aws.client("s3").list_objects_v2(Bucket=get_settings().files_bucket, Prefix=f"pages/{exam_id}/")
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.mark.parametrize("case", ["over_the_limit", "over_the_declared_size"])
def test_the_real_size_of_the_object_is_checked_before_any_processing(api, admin, pumps, monkeypatch, case):
    import functions.ingest
    from chalicelib.models.copies import Copy
    from chalicelib.settings import reset_settings_cache
    from tests.support.scans import make_scan

    processed = []
    monkeypatch.setattr(
        functions.ingest, "process_scan", lambda *args, **kwargs: processed.append(args) or None
    )
    data = make_scan([("OMEGA", "Olga"), ("SIGMA", "Sam")], pages_per_copy=1)
    exam = new_exam(api, admin, name=f"Real size {case}", pages_per_copy=1)
    if case == "over_the_limit":
        upload_id = upload(api, admin, exam["id"], data)
        monkeypatch.setenv("KORRIGO_MAX_UPLOAD_BYTES", str(len(data) - 1))  # S3 would have refused it
        reset_settings_cache()
    else:
        upload_id = upload_declaring(api, admin, exam["id"], data, declared=len(data) // 2)
    try:
        pumps.drain(lambda: upload_status(api, admin, exam["id"], upload_id)["status"] in ("DONE", "FAILED"))
    finally:
        monkeypatch.delenv("KORRIGO_MAX_UPLOAD_BYTES", raising=False)
        reset_settings_cache()

    status = upload_status(api, admin, exam["id"], upload_id)
    expected = "too large" if case == "over_the_limit" else "larger than the size announced"
    assert status["status"] == "FAILED" and expected in status["error"], status
    assert "not processed" in status["error"]
    assert processed == [] and pages_stored(exam["id"]) == []
    assert list(Copy.exam_index.query(exam["id"])) == []
