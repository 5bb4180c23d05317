"""Logs keep no secret, and the API's metrics reach the log (EMF) by the end of the request that made them."""

from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib.domain.roles import Role
from chalicelib.models.copies import Copy
from chalicelib.observability import REDACTED, RedactingFilter, count_throttled_sign_in, flush_metrics, redact
from tests.unit.conftest import make_user, sign_in
from tests.unit.routes.test_copies import with_teachers
from tests.unit.routes.test_exams import create_exam

SIGNED_GET = (
    "/korrigo-files/final/e1/c1.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=test%2F20261125%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Date=20261125T101010Z"
    "&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=5f1b7e0c9a"
)


def emf_lines(output: str) -> list[dict]:
    """The embedded-metric-format lines printed so far."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def metric_names(lines: list[dict]) -> list[str]:
    return [
        metric["Name"]
        for line in lines
        for directive in line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]


# --- redaction ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "X-Amz-Signature=5f1b7e0c9a",
        "X-Amz-Credential=test",
        "X-Amz-Security-Token=FQoG",
        "Signature=abc%2Bdef",
        "AWSAccessKeyId=AKIA",
    ],
)
def test_each_authenticating_query_parameter_is_replaced_whole(secret):
    line = f'127.0.0.1 - - [25/Nov/2026 10:10:10] "GET /korrigo-files/k?{secret}&Expires=1 HTTP/1.1" 200 -'

    assert redact(line) == (
        f'127.0.0.1 - - [25/Nov/2026 10:10:10] "GET /korrigo-files/k?{REDACTED}&Expires=1 HTTP/1.1" 200 -'
    )


def test_a_signed_get_keeps_its_key_date_and_expiry_but_no_credential_or_signature():
    redacted = redact(SIGNED_GET)

    assert redacted == (
        "/korrigo-files/final/e1/c1.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&{REDACTED}&X-Amz-Date=20261125T101010Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&{REDACTED}"
    )


def test_a_quoted_download_name_before_the_signature_does_not_hide_it():
    url = (
        '/b/final/c.pdf?response-content-disposition=attachment;%20filename%3D"copie-9YF2.pdf"'
        "&X-Amz-Credential=test%2F20261125&X-Amz-Signature=5f1b7e0c9a"
    )

    assert "X-Amz-" not in redact(url) and "5f1b7e0c9a" not in redact(url)


def test_query_strings_without_credentials_are_kept():
    assert redact("GET /korrigo-files?list-type=2&prefix=pages%2F HTTP/1.1") == (
        "GET /korrigo-files?list-type=2&prefix=pages%2F HTTP/1.1"
    )


def test_the_one_time_credentials_token_is_redacted_from_a_path():
    line = '"GET /api/credentials/Zx81-qpT_0aa?download=1 HTTP/1.1" 200 -'

    assert redact(line) == f'"GET /api/credentials/{REDACTED}?download=1 HTTP/1.1" 200 -'


def test_the_filter_redacts_a_records_arguments_before_any_handler_formats_them():
    stream = io.StringIO()
    log = logging.getLogger("korrigo-test-redaction")
    log.propagate = False
    log.addHandler(logging.StreamHandler(stream))
    log.addFilter(RedactingFilter())
    try:
        log.warning('%s - - "%s" %s', "127.0.0.1", f"GET {SIGNED_GET} HTTP/1.1", 200)
    finally:
        log.handlers.clear()
        log.filters.clear()

    assert "X-Amz-Signature" not in stream.getvalue() and "X-Amz-Credential" not in stream.getvalue()
    assert f"/korrigo-files/final/e1/c1.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&{REDACTED}" in stream.getvalue()


def test_chalice_locals_own_request_line_is_redacted(capsys):
    from chalice.local import ChaliceRequestHandler

    from chalicelib.middleware import redact_local_server_log

    redact_local_server_log()  # what importing the app under ``chalice local`` does
    handler = ChaliceRequestHandler.__new__(ChaliceRequestHandler)
    handler.client_address = ("127.0.0.1", 50000)

    handler.log_message('"%s" %s %s', "GET /api/credentials/Zx81-qpT_0aa HTTP/1.1", "200", "-")

    assert "Zx81-qpT_0aa" not in capsys.readouterr().err


# --- metrics -----------------------------------------------------------------------------------------


def test_a_lock_conflicts_metric_is_printed_by_the_end_of_its_request(api, admin, capsys):
    exam = create_exam(api, admin)
    [teacher_id] = with_teachers(api, admin, exam["id"], "grader")
    Copy("c-locked", exam_id=exam["id"], upload_id="u1", anonymous_id="ABCD-001", status="READY",
         page_count=2, teacher_id=teacher_id).save()
    make_user("second", Role.ADMIN)
    other = sign_in(api, "second")
    assert api.http.post("/api/copies/c-locked/lock", headers=admin.headers()).status_code == 201
    capsys.readouterr()

    refused = api.http.post("/api/copies/c-locked/lock", headers=other.headers())

    assert refused.status_code == 409
    printed = emf_lines(capsys.readouterr().out)
    assert metric_names(printed) == ["LockConflicts"]
    assert printed[0]["LockConflicts"] in (1, [1])
    assert printed[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Korrigo"


def test_requests_without_metrics_print_no_metric_line_and_no_cold_start(api, capsys):
    for _ in range(2):
        assert api.http.get("/api/health/live").status_code == 200

    output = capsys.readouterr()
    assert emf_lines(output.out) == []
    assert "ColdStart" not in output.out and "No application metrics" not in output.err


def test_a_throttled_sign_in_counts_once_however_often_metrics_are_flushed(capsys):
    count_throttled_sign_in()

    flush_metrics()
    flush_metrics()

    assert metric_names(emf_lines(capsys.readouterr().out)) == ["ThrottledSignIns"]


def test_a_sign_in_refused_with_429_prints_a_throttled_sign_ins_metric(api, capsys):
    make_user("target")
    wrong = json.dumps({"username": "target", "password": "not-the-password"})
    for _ in range(5):
        api.http.post("/api/login", headers={"Content-Type": "application/json"}, body=wrong)
    capsys.readouterr()

    throttled = api.http.post("/api/login", headers={"Content-Type": "application/json"}, body=wrong)

    assert throttled.status_code == 429
    assert metric_names(emf_lines(capsys.readouterr().out)) == ["ThrottledSignIns"]
