"""The local gateway's ``/storage`` before a real moto server, with URLs signed by ``chalicelib.storage``.

moto itself accepts anything; these tests prove that through the gateway only what S3 would accept gets
through: valid, unexpired pre-signed reads of the files bucket and uploads within their policy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from infra.local.launcher import free_ports
from tests.integration.conftest import ROOT, stop_process_group, wait_for_port

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n% a graded copy\n"


@pytest.fixture(scope="module")
def gateway(provisioned, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m infra.local.gateway`` as ``make dev`` starts it, in front of the suite's moto server."""
    port, unused_api_port = free_ports(2)
    static = tmp_path_factory.mktemp("spa")
    (static / "index.html").write_text("<!doctype html><title>Korrigo</title>")
    log_path = static.parent / "gateway.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.gateway", "--port", str(port),
             "--api-port", str(unused_api_port), "--static", str(static),
             "--storage-endpoint", os.environ["AWS_ENDPOINT_URL"]],
            cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, 30, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(process)


@pytest.fixture
def public_storage(gateway: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``chalicelib.storage`` signing URLs that the browser uses through the gateway, as in ``make dev``."""
    from chalicelib.settings import reset_settings_cache

    monkeypatch.setenv("KORRIGO_PUBLIC_STORAGE_URL", f"{gateway}/storage")
    reset_settings_cache()
    yield gateway
    monkeypatch.delenv("KORRIGO_PUBLIC_STORAGE_URL")
    reset_settings_cache()


@pytest.fixture
def stored_key(provisioned) -> str:
    from chalicelib import storage

    key = f"gateway-test/{uuid.uuid4().hex}/01-masked.jpg"
    storage.put_bytes(key, PDF, "application/pdf")
    return key


def test_a_presigned_get_works_through_the_gateway_and_is_never_cached(public_storage: str, stored_key: str):
    from chalicelib import storage

    url = storage.presigned_get(stored_key, download_name="copy.pdf")
    response = requests.get(url, timeout=10)

    assert url.startswith(f"{public_storage}/storage/")
    assert response.status_code == 200, response.text
    assert response.content == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'attachment; filename="copy.pdf"'


def test_an_unsigned_url_is_refused(public_storage: str, settings, stored_key: str):
    response = requests.get(f"{public_storage}/storage/{settings.files_bucket}/{stored_key}", timeout=10)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_masked_page_url_altered_into_the_unmasked_one_is_refused(public_storage: str, stored_key: str):
    from chalicelib import storage

    unmasked = stored_key.replace("-masked", "")
    storage.put_bytes(unmasked, b"the student's name", "image/jpeg")
    url = storage.presigned_get(stored_key)

    response = requests.get(url.replace("01-masked.jpg", "01.jpg"), timeout=10)

    assert response.status_code == 403
    assert b"the student's name" not in response.content


def test_an_expired_url_is_refused(public_storage: str, stored_key: str):
    from chalicelib import storage

    url = storage.presigned_get(stored_key, seconds=1)  # real time: no frozen clock leaks into the process
    time.sleep(2.1)

    response = requests.get(url, timeout=10)

    assert response.status_code == 403
    assert "expired" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/storage/moto-api/data.json", "/storage/moto-api/",
                                  "/storage/moto-api/recorder/download-recording"])
def test_the_emulator_state_cannot_be_downloaded(public_storage: str, path: str):
    response = requests.get(public_storage + path, timeout=10)

    assert response.status_code in (403, 404)
    assert b"password" not in response.content


def test_the_bucket_cannot_be_listed(public_storage: str, settings, stored_key: str):
    for path in (f"/{settings.files_bucket}", f"/{settings.files_bucket}/?list-type=2", "/"):
        response = requests.get(f"{public_storage}/storage{path}", timeout=10)
        assert response.status_code == 403, path
        assert stored_key.encode() not in response.content


def test_a_dynamodb_call_through_storage_is_refused(public_storage: str, settings):
    from chalicelib import aws

    table = settings.table_name("users")
    body = {"TableName": table, "Item": {"id": {"S": "forged"}, "username": {"S": "forged"}}}
    response = requests.post(
        f"{public_storage}/storage/", data=json.dumps(body).encode(), timeout=10,
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"})

    assert response.status_code == 403
    item = aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "forged"}}, ConsistentRead=True)
    assert "Item" not in item


def upload(post: dict, data: bytes) -> requests.Response:
    return requests.post(post["url"], data=post["fields"], timeout=30,
                         files={"file": ("scan.pdf", data, "application/pdf")})


def test_a_presigned_upload_works_through_the_gateway(public_storage: str):
    from chalicelib import storage

    key = f"gateway-test/{uuid.uuid4().hex}.pdf"
    post = storage.presigned_upload(key, size=1024)

    response = upload(post, PDF)

    assert post["url"].startswith(f"{public_storage}/storage/")
    assert response.status_code in (200, 201, 204), response.text
    assert storage.get_bytes(key) == PDF


def test_an_upload_larger_than_its_policy_is_refused(public_storage: str):
    from chalicelib import storage

    key = f"gateway-test/{uuid.uuid4().hex}.pdf"
    post = storage.presigned_upload(key, size=1024)

    response = upload(post, PDF + b"0" * 2048)

    assert response.status_code == 403
    assert not storage.exists(key)

