"""The local gateway: ``/storage`` lets through only what S3 would accept of a pre-signed request.

The storage upstream is a fake that answers everything (as moto's server does); what reaches it, and
what the browser gets back, is what these tests read. URLs and upload forms are signed by botocore for
the fake's endpoint, then their prefix is rewritten to the gateway's ``/storage``, as the API does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

from infra.local.gateway import allowed_host, make_handler
from infra.local.storage_guard import Denied, StorageGuard

BUCKET = "korrigo-files"
REGION = "eu-west-3"
CREDENTIALS = ReadOnlyCredentials("local-key", "local-secret", None)
PDF = b"%PDF-1.7 graded"


class Upstream(BaseHTTPRequestHandler):
    """Answers as moto's server does (whatever the signature); records what it was sent."""

    received: list[tuple[str, str, dict[str, str], bytes]]

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.received.append((self.command, self.path, dict(self.headers.items()), body))
        missing = "/missing" in self.path
        status = 204 if self.command == "POST" else 404 if missing else 200
        payload = b"" if status == 204 else b"<Error/>" if missing else PDF
        self.send_response(status)
        self.send_header("Content-Type", "application/xml" if missing else "application/pdf")
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer


@dataclass
class Stack:
    """The gateway in front of a fake storage and a fake API, with a clock the tests move forward."""

    url: str
    storage_url: str
    received: list[tuple[str, str, dict[str, str], bytes]]
    offset: list[float] = field(default_factory=lambda: [0.0])

    @property
    def s3(self):
        return boto3.client(
            "s3", endpoint_url=self.storage_url, region_name=REGION, aws_access_key_id=CREDENTIALS.access_key,
            aws_secret_access_key=CREDENTIALS.secret_key, config=Config(signature_version="s3v4"))

    def public(self, url: str) -> str:
        """What ``chalicelib.storage._public`` does to a URL signed for the storage endpoint."""
        assert url.startswith(self.storage_url)
        return f"{self.url}/storage{url[len(self.storage_url):]}"

    def signed_get(self, key: str, bucket: str = BUCKET, seconds: int = 300, **params: str) -> str:
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=seconds)
        return self.public(url)

    def signed_post(self, key: str, size: int, content_type: str = "application/pdf", seconds: int = 900):
        post = self.s3.generate_presigned_post(
            Bucket=BUCKET, Key=key, Fields={"Content-Type": content_type},
            Conditions=[{"key": key}, {"Content-Type": content_type}, ["content-length-range", 1, size]],
            ExpiresIn=seconds)
        return self.public(post["url"]), dict(post["fields"])

    def later(self, seconds: float) -> None:
        self.offset[0] += seconds

    def storage_requests(self) -> list[tuple[str, str, dict[str, str], bytes]]:
        return [entry for entry in self.received if not entry[1].startswith("/api")]


def serve(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    received: list = []
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), type("Recording", (Upstream,), {"received": received}))
    upstream_url = serve(upstream)
    offset = [0.0]
    guard = StorageGuard(endpoint=upstream_url, bucket=BUCKET, region=REGION, credentials=CREDENTIALS,
                         clock=lambda: time.time() + offset[0])
    (tmp_path / "index.html").write_text("<!doctype html><title>Korrigo</title>")
    api_port = upstream.server_address[1]  # the same fake plays the API
    front = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(tmp_path, api_port, upstream_url, guard))
    yield Stack(serve(front), upstream_url, received, offset)
    front.shutdown()
    upstream.shutdown()


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def assert_refused(response: requests.Response, stack: Stack, status: int = 403) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]
    assert stack.storage_requests() == [], "a refused request must not reach the storage"


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


# --- pre-signed reads ----------------------------------------------------------------------------------

def test_a_presigned_get_reaches_the_object_and_is_never_cached(stack: Stack):
    response = get(stack.signed_get("pages/e/c/01-masked.jpg"))

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    ((method, path, _, _),) = stack.storage_requests()
    assert (method, path.split("?")[0]) == ("GET", f"/{BUCKET}/pages/e/c/01-masked.jpg")


def test_a_download_through_the_gateway_is_an_attachment(stack: Stack):
    url = stack.signed_get("final/e/c/1.pdf", ResponseContentDisposition='attachment; filename="copy.pdf"')

    response = get(url)

    assert response.headers["Content-Disposition"] == 'attachment; filename="copy.pdf"'
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content == PDF


def test_an_error_from_storage_keeps_its_own_headers_but_is_not_cached(stack: Stack):
    url = stack.signed_get("final/missing.pdf", ResponseContentDisposition='attachment; filename="copy.pdf"')

    response = get(url)

    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unsigned_url_is_refused(stack: Stack):
    assert_refused(get(f"{stack.url}/storage/{BUCKET}/pages/e/c/01.jpg"), stack)


def test_a_masked_page_url_changed_into_the_unmasked_key_is_refused(stack: Stack):
    url = stack.signed_get("pages/e/c/01-masked.jpg")

    assert_refused(get(url.replace("01-masked.jpg", "01.jpg")), stack)


def test_a_longer_expiry_written_into_the_url_is_refused(stack: Stack):
    url = stack.signed_get("pages/e/c/01-masked.jpg", seconds=300)

    assert_refused(get(with_query(url, **{"X-Amz-Expires": "3600"})), stack)


@pytest.mark.parametrize("signature", ["0" * 64, "é", ""])
def test_a_forged_signature_is_refused(stack: Stack, signature: str):
    url = stack.signed_get("pages/e/c/01-masked.jpg")

    assert_refused(get(with_query(url, **{"X-Amz-Signature": signature})), stack)


def test_an_expired_url_is_refused(stack: Stack):
    url = stack.signed_get("pages/e/c/01-masked.jpg", seconds=300)
    stack.later(301)

    response = get(url)

    assert_refused(response, stack)
    assert "expired" in response.json()["error"]["message"]


def test_a_url_signed_with_other_credentials_is_refused(stack: Stack):
    other = boto3.client("s3", endpoint_url=stack.storage_url, region_name=REGION,
                         aws_access_key_id=CREDENTIALS.access_key, aws_secret_access_key="guessed",
                         config=Config(signature_version="s3v4"))
    url = other.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "pages/p.jpg"})

    assert_refused(get(stack.public(url)), stack)


def test_another_bucket_is_refused_even_when_signed(stack: Stack):
    assert_refused(get(stack.signed_get("data.json", bucket="korrigo-other")), stack)


@pytest.mark.parametrize("path", [
    f"/storage/{BUCKET}", f"/storage/{BUCKET}/", f"/storage/{BUCKET}?list-type=2",
    f"/storage/{BUCKET}/?versions", "/storage", "/storage/", "/storage?list-type=2",
])
def test_listing_the_bucket_is_refused(stack: Stack, path: str):
    assert_refused(get(stack.url + path), stack)


def test_a_listing_query_added_to_a_signed_url_is_refused(stack: Stack):
    url = stack.signed_get("pages/e/c/01-masked.jpg")

    assert_refused(get(url + "&list-type=2"), stack)
    assert_refused(get(url + "&versionId=1"), stack)


@pytest.mark.parametrize("path", ["/storage/moto-api/data.json", "/storage/moto-api/reset",
                                  "/storage/moto-api/recorder/download-recording"])
def test_the_emulator_api_is_out_of_reach(stack: Stack, path: str):
    assert_refused(get(stack.url + path), stack)
    assert_refused(requests.post(stack.url + path, timeout=10), stack)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused_even_with_a_signed_url(stack: Stack, method: str):
    url = stack.signed_get("pages/e/c/01-masked.jpg")

    assert_refused(requests.request(method, url, data=b"x", timeout=10), stack)


def test_a_dynamodb_call_through_storage_is_refused(stack: Stack):
    response = requests.post(
        f"{stack.url}/storage/", data=b'{"TableName": "korrigo-users"}', timeout=10,
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=local-key/20260101/eu-west-3/dynamodb/x"})

    assert_refused(response, stack)


def test_a_head_signed_for_head_is_served_but_a_get_url_cannot_be_replayed_as_another_method(stack: Stack):
    head = stack.public(stack.s3.generate_presigned_url(
        "head_object", Params={"Bucket": BUCKET, "Key": "pages/p.jpg"}, ExpiresIn=60))

    assert requests.head(head, timeout=10).status_code == 200
    assert requests.head(stack.signed_get("pages/p.jpg"), timeout=10).status_code == 403


def test_temporary_credentials_need_their_session_token():
    credentials = ReadOnlyCredentials("local-key", "local-secret", "session-token")
    guard = StorageGuard("http://127.0.0.1:4566", BUCKET, REGION, credentials)
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:4566", region_name=REGION,
                      aws_access_key_id="local-key", aws_secret_access_key="local-secret",
                      aws_session_token="session-token", config=Config(signature_version="s3v4"))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "pages/p.jpg"})
    target = url[len("http://127.0.0.1:4566"):]

    assert guard.check_read("GET", target).upstream_path == target
    without_token = "&".join(part for part in target.split("&") if "Security-Token" not in part)
    with pytest.raises(Denied):
        guard.check_read("GET", without_token)


def test_credentials_and_cookies_never_reach_the_storage(stack: Stack):
    url = stack.signed_get("pages/e/c/01-masked.jpg")

    get(url, headers={"Authorization": "AWS4-HMAC-SHA256 forged", "X-Amz-Target": "S3.ListBuckets",
                      "Cookie": "korrigo_session=secret", "Range": "bytes=0-3"})

    ((_, _, headers, _),) = stack.storage_requests()
    names = {name.lower() for name in headers}
    assert not names & {"authorization", "x-amz-target", "cookie"}
    assert headers["Range"] == "bytes=0-3"


# --- pre-signed uploads --------------------------------------------------------------------------------

def upload(url: str, fields: dict[str, str], data: bytes, **kwargs) -> requests.Response:
    return requests.post(url, data=fields, files={"file": ("scan.pdf", data, "application/pdf")}, timeout=10,
                         **kwargs)


def test_a_presigned_upload_within_its_policy_reaches_the_bucket(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    response = upload(url, fields, PDF)

    assert response.status_code == 204, response.text
    assert response.headers["Cache-Control"] == "no-store"
    ((method, path, _, body),) = stack.storage_requests()
    assert (method, path) == ("POST", f"/{BUCKET}")
    assert PDF in body


def test_an_upload_larger_than_its_policy_allows_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    response = upload(url, fields, b"%PDF" + b"0" * 200)

    assert_refused(response, stack)
    assert "size" in response.json()["error"]["message"]


def test_an_empty_upload_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    assert_refused(upload(url, fields, b""), stack)


def test_an_upload_to_another_key_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    assert_refused(upload(url, {**fields, "key": "pages/e/c/01-masked.jpg"}, PDF), stack)


def test_an_upload_with_another_content_type_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    assert_refused(upload(url, {**fields, "Content-Type": "text/html"}, PDF), stack)


def test_an_upload_after_its_policy_expired_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100, seconds=900)
    stack.later(901)

    response = upload(url, fields, PDF)

    assert_refused(response, stack)
    assert "expired" in response.json()["error"]["message"]


def test_an_upload_with_an_altered_policy_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)
    _, bigger = stack.signed_post("scans/e/u.pdf", size=10**9)

    assert_refused(upload(url, {**fields, "policy": bigger["policy"]}, PDF), stack)


def test_an_upload_with_a_field_its_policy_does_not_cover_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    assert_refused(upload(url, {**fields, "success_action_redirect": "http://evil.example/"}, PDF), stack)


def test_an_upload_with_a_query_string_is_refused(stack: Stack):
    url, fields = stack.signed_post("scans/e/u.pdf", size=100)

    assert_refused(upload(url + "?uploads", fields, PDF), stack)


# --- every request -------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "10.0.0.5"])
def test_a_request_for_another_host_name_is_refused(stack: Stack, host: str):
    for path in ("/", "/api/health", "/storage/x"):
        response = get(stack.url + path, headers={"Host": host})
        assert response.status_code == 421, (host, path)
    assert stack.received == []


def test_loopback_host_names_are_served(stack: Stack):
    port = urlsplit(stack.url).port
    assert get(f"{stack.url}/", headers={"Host": f"localhost:{port}"}).status_code == 200
    assert get(f"{stack.url}/", headers={"Host": "127.0.0.1"}).status_code == 200
    assert allowed_host("localhost") and allowed_host("127.0.0.1:8000")
    assert not allowed_host("") and not allowed_host("localhost:abc") and not allowed_host("user@localhost")


@pytest.mark.parametrize("name", ["X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR", "x-Forwarded-for"])
def test_the_api_sees_the_socket_address_whatever_the_client_claims(stack: Stack, name: str):
    get(f"{stack.url}/api/health", headers={name: "203.0.113.9", "Forwarded": "for=203.0.113.9",
                                            "X-Real-IP": "203.0.113.9"})

    ((_, path, headers, _),) = stack.received
    assert path == "/api/health"
    forwarded = [value for key, value in headers.items() if key.lower() == "x-forwarded-for"]
    assert forwarded == ["127.0.0.1"]
    assert not {key.lower() for key in headers} & {"forwarded", "x-real-ip"}
