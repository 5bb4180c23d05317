"""The local front door: the built SPA, ``/api`` → ``chalice local``, ``/storage`` → the emulator's S3.

One origin for everything the browser touches, as CloudFront gives in AWS (S3 for the SPA, API Gateway
for ``/api``); ``/storage`` stands in for the bucket's own endpoint, which pre-signed URLs name in AWS.
The emulator itself checks nothing, so the gateway does what S3 would: ``/storage`` forwards only
pre-signed object reads and uploads whose signature holds (``storage_guard``). Every request must name
127.0.0.1 or localhost as its Host (no DNS rebinding), and the API sees the socket's address as the
client's, never one the client claims.
"""

from __future__ import annotations

import argparse
import http.client
import json
import mimetypes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from infra.local.storage_guard import Denied, StorageGuard

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
ALLOWED_HOSTS = {"127.0.0.1", "localhost"}  # any other Host is a DNS-rebinding page talking to us
# A client's own claims about its address: the API gets the socket's address instead.
CLIENT_FORWARDING = {"x-forwarded-for", "forwarded", "x-real-ip"}
# The only request headers a pre-signed read or upload needs; no Authorization, X-Amz-*, Cookie...
STORAGE_REQUEST_HEADERS = {
    "accept",
    "accept-language",
    "content-type",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "range",
    "user-agent",
}
# A shared school computer keeps no pupil's copy, and no stored file is ever sniffed into HTML.
STORAGE_RESPONSE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
UPLOAD_FORM_OVERHEAD = 64 * 1024  # the form fields around the file of an upload POST
# Connections the kernel holds while every thread is busy accepting: socketserver's default of 5 made
# the kernel reset most of 50 sign-ins arriving together (issue 12). One thread per connection is kept.
LISTEN_BACKLOG = 1024


class GatewayServer(ThreadingHTTPServer):
    """One thread per connection (daemon threads), with a listen backlog sized for bursts."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG


def allowed_host(host: str | None) -> bool:
    """True for ``127.0.0.1`` or ``localhost``, with or without a port."""
    if not host:
        return False
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.hostname in ALLOWED_HOSTS and not parts.username and not parts.path


def error_body(code: str, message: str) -> bytes:
    """The API's JSON error shape."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def make_handler(
    static_root: Path,
    api_port: int,
    storage_endpoint: str | None,
    guard: StorageGuard | None = None,
    max_upload_bytes: int = 1024 * 1024 * 1024,
) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to the SPA folder, the API upstream and the guarded storage upstream.

    Without a ``guard``, ``/storage`` refuses everything.
    """
    root = static_root.resolve()
    storage = urlsplit(storage_endpoint) if storage_endpoint else None

    class GatewayHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "korrigo-local"

        def log_message(self, format: str, *args: object) -> None:
            return  # the API logs requests itself, in JSON

        def _body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else None

        def _proxy(
            self,
            host: str,
            port: int,
            path: str,
            headers: dict[str, str],
            body: bytes | None,
            overrides: dict[str, str] | None = None,
            forced: dict[str, str] | None = None,
        ) -> None:
            """Send the request upstream; ``forced`` headers (``overrides`` on success) replace its own."""
            upstream = http.client.HTTPConnection(host, port, timeout=300)
            try:
                upstream.request(self.command, path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
            except OSError:
                message = error_body("bad_gateway", "The upstream is not answering.")
                self._send(502, message, "application/json")
                return
            finally:
                upstream.close()
            succeeded = response.status in (200, 206)
            replaced = {**((overrides or {}) if succeeded else {}), **(forced or {})}
            replaced_names = {name.lower() for name in replaced}
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() not in replaced_names:
                    self.send_header(key, value)
            for key, value in replaced.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _send(
            self, status: int, payload: bytes, content_type: str, cache: str = "no-cache", close: bool = False
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", cache)
            self.send_header("X-Content-Type-Options", "nosniff")
            if close:  # the request's body was not read: the connection cannot carry another request
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _refuse(self, status: int, code: str, message: str) -> None:
            self._send(status, error_body(code, message), "application/json", cache="no-store", close=True)

        def _api(self) -> None:
            headers = {
                key: value
                for key, value in self.headers.items()
                if key.lower() not in HOP_BY_HOP and key.lower() not in CLIENT_FORWARDING
            }
            headers["X-Forwarded-For"] = self.client_address[0]
            self._proxy("127.0.0.1", api_port, self.path, headers, self._body())

        def _storage(self) -> None:
            if guard is None or storage is None:
                self._refuse(403, "forbidden", "Storage is not served here.")
                return
            target = self.path[len(STORAGE_PREFIX) :]
            headers = {k: v for k, v in self.headers.items() if k.lower() in STORAGE_REQUEST_HEADERS}
            try:
                if self.command in ("GET", "HEAD"):
                    if self.headers.get("Content-Length", "0") not in ("", "0"):
                        raise Denied("A storage read has no body.")
                    grant, body = guard.check_read(self.command, target), None
                elif self.command == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    if not 0 < length <= max_upload_bytes + UPLOAD_FORM_OVERHEAD:
                        raise Denied("An upload carries one file within the size limit.")
                    body = self.rfile.read(length)
                    grant = guard.check_upload(target, self.headers.get("Content-Type", ""), body)
                else:
                    raise Denied("Storage serves pre-signed reads and uploads only.")
            except (Denied, ValueError) as denial:
                self._refuse(403, "forbidden", str(denial) if isinstance(denial, Denied) else "Bad request.")
                return
            host, port = storage.hostname or "127.0.0.1", storage.port or 80
            forced = STORAGE_RESPONSE_HEADERS
            self._proxy(host, port, grant.upstream_path, headers, body, grant.overrides, forced)

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
            hosts = self.headers.get_all("Host") or []
            if len(hosts) != 1 or not allowed_host(hosts[0]):
                self._refuse(421, "misdirected_request", "This server answers to 127.0.0.1 and localhost.")
            elif self.path == "/api" or self.path.startswith("/api/"):
                self._api()
            elif self.path.split("?", 1)[0] == STORAGE_PREFIX or self.path.startswith(STORAGE_PREFIX + "/"):
                self._storage()
            elif self.command in ("GET", "HEAD"):
                self._static()
            else:
                self._send(405, b"", "text/plain", close=True)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    return GatewayHandler


def local_guard(storage_endpoint: str, bucket: str | None = None, region: str | None = None) -> StorageGuard:
    """The guard for the local platform: its files bucket, region and credentials, as the API signs with."""
    import botocore.session

    from chalicelib.settings import get_settings

    settings = get_settings()
    credentials = botocore.session.get_session().get_credentials()
    return StorageGuard(
        endpoint=storage_endpoint,
        bucket=bucket or settings.files_bucket,
        region=region or settings.aws_region,
        credentials=credentials.get_frozen_credentials() if credentials else None,
    )


def serve(
    host: str,
    port: int,
    static_root: Path,
    api_port: int,
    storage_endpoint: str | None,
    guard: StorageGuard | None = None,
) -> None:
    """Serve until interrupted."""
    if storage_endpoint and guard is None:
        guard = local_guard(storage_endpoint)
    from chalicelib.settings import get_settings

    handler = make_handler(static_root, api_port, storage_endpoint, guard, get_settings().max_upload_bytes)
    server = GatewayServer((host, port), handler)
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
    parser.add_argument("--bucket", help="the only bucket served (default: the settings' files bucket)")
    parser.add_argument("--region", help="the region URLs are signed for (default: the settings' region)")
    args = parser.parse_args()
    guard = local_guard(args.storage_endpoint, args.bucket, args.region) if args.storage_endpoint else None
    serve(args.host, args.port, args.static, args.api_port, args.storage_endpoint, guard)


if __name__ == "__main__":
    main()
