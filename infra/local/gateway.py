"""The local front door: the built SPA, ``/api`` → ``chalice local``, ``/storage`` → the emulator's S3.

One origin for everything the browser touches, as CloudFront gives in AWS (S3 for the SPA, API Gateway
for ``/api``); ``/storage`` stands in for the bucket's own endpoint, which pre-signed URLs name in AWS.
"""

from __future__ import annotations

import argparse
import http.client
import mimetypes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "server",
    "date",
}


STORAGE_PREFIX = "/storage"
# The query parameters of a pre-signed GET that S3 turns into response headers. moto's server ignores
# them, so the gateway applies them, as S3 (and LocalStack) would: the graded PDF is sent as an attachment.
S3_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def s3_response_overrides(path: str) -> dict[str, str]:
    """The response headers a pre-signed S3 GET asks for in its query string."""
    query = urlsplit(path).query
    return {
        S3_RESPONSE_OVERRIDES[name]: value
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name in S3_RESPONSE_OVERRIDES
    }


def make_handler(
    static_root: Path, api_port: int, storage_endpoint: str | None
) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to the SPA folder, the API upstream and the storage upstream."""
    root = static_root.resolve()
    storage = urlsplit(storage_endpoint) if storage_endpoint else None

    class GatewayHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "korrigo-local"

        def log_message(self, format: str, *args: object) -> None:
            return  # the API logs requests itself, in JSON

        def _proxy(self, host: str, port: int, path: str, overrides: dict[str, str] | None = None) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            upstream = http.client.HTTPConnection(host, port, timeout=300)
            try:
                upstream.request(self.command, path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
            except OSError:
                self._send(
                    502,
                    b'{"error":{"code":"bad_gateway","message":"The upstream is not answering."}}',
                    "application/json",
                )
                return
            finally:
                upstream.close()
            replaced = overrides if overrides and response.status in (200, 206) else {}
            replaced_names = {name.lower() for name in replaced}
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() not in replaced_names:
                    self.send_header(key, value)
            for key, value in replaced.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _send(self, status: int, payload: bytes, content_type: str, cache: str = "no-cache") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", cache)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _static(self) -> None:
            relative = self.path.split("?", 1)[0].lstrip("/")
            candidate = (root / relative).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                candidate = root / "index.html"  # client-side routes
            if not candidate.is_file():
                self._send(503, b"The SPA is not built: run make dev.", "text/plain")
                return
            content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            cache = "public, max-age=31536000, immutable" if "/assets/" in str(candidate) else "no-cache"
            self._send(200, candidate.read_bytes(), content_type, cache)

        def _dispatch(self) -> None:
            if self.path == "/api" or self.path.startswith("/api/"):
                self._proxy("127.0.0.1", api_port, self.path)
            elif storage and self.path.startswith(STORAGE_PREFIX + "/"):
                upstream_path = self.path[len(STORAGE_PREFIX) :]
                overrides = s3_response_overrides(upstream_path) if self.command in ("GET", "HEAD") else None
                self._proxy(storage.hostname or "127.0.0.1", storage.port or 80, upstream_path, overrides)
            elif self.command in ("GET", "HEAD"):
                self._static()
            else:
                self._send(405, b"", "text/plain")

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    return GatewayHandler


def serve(host: str, port: int, static_root: Path, api_port: int, storage_endpoint: str | None) -> None:
    """Serve until interrupted."""
    server = ThreadingHTTPServer((host, port), make_handler(static_root, api_port, storage_endpoint))
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-port", type=int, required=True)
    parser.add_argument("--static", type=Path, required=True)
    parser.add_argument("--storage-endpoint", help="the emulator's S3 endpoint served under /storage")
    args = parser.parse_args()
    serve(args.host, args.port, args.static, args.api_port, args.storage_endpoint)


if __name__ == "__main__":
    main()
