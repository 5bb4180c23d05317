"""Personalised answer sheets through the real event path: API 202 → S3 sheet-jobs/ → SQS → the sheets
function (driven by the local pump) → the run DONE → the PDF through its signed link → its codes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pymupdf
import pytest
import requests
import zxingcpp
from PIL import Image

from tests.integration.conftest import account

pytestmark = pytest.mark.slow

PUPILS = 30


@pytest.fixture(scope="module")
def admin(api) -> dict[str, str]:
    return account(api, "sheets-admin")


def exam_with_roster(api, admin) -> str:
    from chalicelib.models.students import Enrolment, Student

    response = api.http.post("/api/exams", headers=admin, body=json.dumps({
        "name": "Bac blanc — philosophie", "subject": "Philosophie", "date": "2026-12-01",
        "upload_mode": "BATCH", "pages_per_copy": 2}))
    assert response.status_code == 201, response.body
    exam_id = json.loads(response.body)["id"]
    for i in range(PUPILS):
        Student(f"pupil-{i:02d}", last_name=f"Élève{i:02d}", first_name="Zoé",
                identity_key=f"eleve{i:02d}|zoe|").save()
        Enrolment(exam_id, f"pupil-{i:02d}").save()
    return exam_id


def sheets_status(api, admin, exam_id: str) -> dict[str, Any]:
    response = api.http.get(f"/api/exams/{exam_id}/sheets", headers=admin)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def pump_until_settled(api, admin, exam_id: str, timeout: float = 120) -> dict[str, Any]:
    """Run the sheets queue through the real handler until the run is settled; its last view."""
    from chalicelib.resources import EVENT_ROUTES
    from functions import sheets
    from infra.local.pump import QueuePump

    route = next(route for route in EVENT_ROUTES if route.function == "sheets")
    stop = threading.Event()
    pump = QueuePump(route, sheets.handler, stop, wait_seconds=1)

    def run_pump() -> None:
        while not stop.is_set():
            pump.poll_once()

    worker = threading.Thread(target=run_pump, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            current = sheets_status(api, admin, exam_id)
            if current["status"] in ("DONE", "FAILED") or time.monotonic() > deadline:
                return current
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(timeout=60)


def test_sheets_are_printed_by_the_function_and_their_codes_read_back(api, admin, settings):
    from chalicelib.domain.sheet_codes import code_key, decode

    exam_id = exam_with_roster(api, admin)
    response = api.http.post(f"/api/exams/{exam_id}/sheets", headers=admin,
                             body=json.dumps({"extra_blank_booklets": 3}))
    assert response.status_code == 202, response.body
    done = pump_until_settled(api, admin, exam_id)
    assert (done["status"], done["pages"], done["booklets"]) == ("DONE", 2 * (PUPILS + 3), PUPILS + 3)

    download = requests.get(done["url"], timeout=30)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "response-content-disposition=attachment" in done["url"]  # moto ignores it; S3 does not
    doc = pymupdf.open(stream=download.content)
    key = code_key(settings.secret_key)
    read = []
    for page in doc:
        pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
        [result] = zxingcpp.read_barcodes(Image.frombytes("L", (pix.width, pix.height), pix.samples))
        code = decode(result.text, key)
        assert code is not None and code.exam_id == exam_id
        read.append((code.sheet_id, code.page))
    expected = [f"s{n:03d}" for n in range(1, PUPILS + 1)] + ["a001", "a002", "a003"]
    assert read == [(sheet, page) for sheet in expected for page in (1, 2)]
    assert "ÉLÈVE00 Zoé" in doc[0].get_text()
