"""The local gateway: pre-signed GETs through ``/storage`` get the response headers S3 would send."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from infra.local.gateway import make_handler, s3_response_overrides


class FakeStorage(BaseHTTPRequestHandler):
    """Answers every GET as moto's server does: the object, inline, whatever the query asks."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        status = 404 if self.path.startswith("/bucket/missing") else 200
        body = b"%PDF-1.7 graded" if status == 200 else b"<Error/>"
        self.send_response(status)
        self.send_header("Content-Type", "application/pdf" if status == 200 else "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    storage = ThreadingHTTPServer(("127.0.0.1", 0), FakeStorage)
    storage_url = serve(storage)
    front = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(tmp_path, 1, storage_url))
    yield serve(front)
    front.shutdown()
    storage.shutdown()


def test_the_disposition_a_presigned_get_asks_for_is_read_from_its_query():
    path = "/bucket/final/e/c/1.pdf?response-content-disposition=attachment%3B%20filename%3D%22a.pdf%22&X=1"
    assert s3_response_overrides(path) == {"Content-Disposition": 'attachment; filename="a.pdf"'}
    assert s3_response_overrides("/bucket/pages/p.jpg?X-Amz-Signature=abc") == {}


def test_a_download_through_the_gateway_is_an_attachment(gateway: str):
    query = "response-content-disposition=attachment%3B%20filename%3D%22copy.pdf%22"
    response = requests.get(f"{gateway}/storage/bucket/final/1.pdf?{query}", timeout=10)
    assert response.headers["Content-Disposition"] == 'attachment; filename="copy.pdf"'
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 graded"


def test_an_error_from_storage_keeps_its_own_headers(gateway: str):
    query = "response-content-disposition=attachment%3B%20filename%3D%22copy.pdf%22"
    response = requests.get(f"{gateway}/storage/bucket/missing.pdf?{query}", timeout=10)
    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
