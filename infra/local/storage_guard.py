"""What the local gateway lets through to the emulator's S3: pre-signed object reads and uploads only.

moto's server accepts any request, signed or not, for any bucket and any service (``/moto-api`` even
dumps the whole state). S3 would check each pre-signed request; so does this guard, before the gateway
forwards anything: the SigV4 query signature of a GET/HEAD and the policy signature and conditions of
a browser upload POST, both recomputed with botocore's own signers for the local credentials, against
the emulator URL the API signed (the API's ``storage._public`` then rewrote its prefix to ``/storage``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4PostAuth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

ALGORITHM = "AWS4-HMAC-SHA256"
# The query of a pre-signed GET: its signature parameters, and the response headers S3 may override.
QUERY_AUTH = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
              "X-Amz-Signature"}
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
MAX_EXPIRES = 7 * 24 * 3600  # S3's own ceiling for a pre-signed URL
CLOCK_SKEW = 15 * 60  # S3 refuses a request dated more than 15 minutes ahead
UNSIGNED_FORM_FIELDS = {"policy", "x-amz-signature", "file"}  # every other field needs a condition


class Denied(Exception):
    """The request is not a valid pre-signed object read or upload (answered 403)."""


@dataclass(frozen=True)
class Grant:
    """An allowed request: the emulator path to forward it to and, for a GET, the headers S3 would set."""

    upstream_path: str
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StorageGuard:
    """Checks requests under ``/storage`` as S3 checks pre-signed ones, for the one files bucket."""

    endpoint: str  # the emulator endpoint the API signs for (``AWS_ENDPOINT_URL``)
    bucket: str
    region: str
    credentials: ReadOnlyCredentials | None
    clock: Callable[[], float] = time.time

    @property
    def _base_path(self) -> str:
        return urlsplit(self.endpoint).path.rstrip("/")

    def check_read(self, method: str, target: str) -> Grant:
        """A GET/HEAD of one object of the bucket, with a valid, unexpired SigV4 query signature."""
        path, _, query = target.partition("?")
        self._object_key(path)
        params = _query_params(query)
        unknown = set(params) - QUERY_AUTH - set(RESPONSE_OVERRIDES) - {"X-Amz-Security-Token"}
        if unknown:
            raise Denied(f"Query parameter not allowed: {sorted(unknown)[0]}.")
        missing = QUERY_AUTH - set(params)
        if missing:
            raise Denied("This storage link is not signed.")
        if params["X-Amz-Algorithm"] != ALGORITHM or params["X-Amz-SignedHeaders"] != "host":
            raise Denied("This storage link is not signed as expected.")
        signed_at = self._check_scope(params["X-Amz-Credential"], params["X-Amz-Date"])
        self._check_token(params.get("X-Amz-Security-Token"))
        try:
            expires = int(params["X-Amz-Expires"])
        except ValueError as error:
            raise Denied("This storage link is not signed as expected.") from error
        if not 0 < expires <= MAX_EXPIRES:
            raise Denied("This storage link is not signed as expected.")
        if self.clock() > signed_at + expires:
            raise Denied("This storage link has expired.")
        signer = S3SigV4QueryAuth(self.credentials, "s3", self.region, expires=expires)
        request = AWSRequest(
            method=method,
            url=self.endpoint.rstrip("/") + path,
            headers={"host": urlsplit(self.endpoint).netloc},
            params=[(name, value) for name, value in params.items() if name != "X-Amz-Signature"],
        )
        request.context["timestamp"] = params["X-Amz-Date"]
        string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
        expected = signer.signature(string_to_sign, request)
        if not _same(expected, params["X-Amz-Signature"]):
            raise Denied("This storage link's signature does not match.")
        overrides = {RESPONSE_OVERRIDES[name]: params[name] for name in RESPONSE_OVERRIDES if name in params}
        return Grant(self._base_path + path + (f"?{query}" if query else ""), overrides)

    def check_upload(self, target: str, content_type: str, body: bytes) -> Grant:
        """A browser upload POST to the bucket: a signed, unexpired policy whose conditions all hold."""
        path, _, query = target.partition("?")
        if query or path.rstrip("/") != f"/{self.bucket}":
            raise Denied("Uploads go to the files bucket, without query parameters.")
        fields, file = _form_fields(content_type, body)
        required = {"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "key"}
        if not required <= set(fields) or file is None:
            raise Denied("This upload is not signed.")
        if fields["x-amz-algorithm"] != ALGORITHM:
            raise Denied("This upload is not signed as expected.")
        self._check_scope(fields["x-amz-credential"], fields["x-amz-date"])
        self._check_token(fields.get("x-amz-security-token"))
        request = AWSRequest()
        request.context["timestamp"] = fields["x-amz-date"]
        expected = S3SigV4PostAuth(self.credentials, "s3", self.region).signature(fields["policy"], request)
        if not _same(expected, fields["x-amz-signature"]):
            raise Denied("This upload's signature does not match.")
        self._check_policy(fields, len(file))
        return Grant(self._base_path + path)

    def _object_key(self, path: str) -> str:
        """The object key of ``/{bucket}/{key}``: one object of the files bucket, no dot segments."""
        bucket, _, key = path[1:].partition("/")
        segments = key.split("/")
        if not path.startswith("/") or bucket != self.bucket or any(
            unquote(segment) in ("", ".", "..") for segment in segments
        ):
            raise Denied("Only objects of the files bucket are served here.")
        return key

    def _check_scope(self, credential: str, amz_date: str) -> float:
        """The signing time, once the credential names the local key, that day, region and S3."""
        if self.credentials is None:
            raise Denied("Storage links cannot be checked: no local credentials.")
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC).timestamp()
        except ValueError as error:
            raise Denied("This storage link is not signed as expected.") from error
        scope = f"{self.credentials.access_key}/{amz_date[:8]}/{self.region}/s3/aws4_request"
        if not _same(credential, scope):
            raise Denied("This storage link is not signed with the local credentials.")
        if signed_at > self.clock() + CLOCK_SKEW:
            raise Denied("This storage link is dated in the future.")
        return signed_at

    def _check_token(self, token: str | None) -> None:
        """The session token of the local credentials, when they have one, and only then."""
        expected = (self.credentials.token if self.credentials else None) or ""
        if not _same(token or "", expected):
            raise Denied("This storage link is not signed with the local credentials.")

    def _check_policy(self, fields: dict[str, str], size: int) -> None:
        """The policy's expiration and every condition, against the form's fields and the file's size."""
        try:
            policy = json.loads(base64.b64decode(fields["policy"], validate=True))
            expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
            conditions = list(policy["conditions"])
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise Denied("This upload's policy cannot be read.") from error
        if self.clock() >= expiration:
            raise Denied("This upload's policy has expired.")
        covered = {"bucket"}
        for condition in conditions:
            covered.add(self._check_condition(condition, fields, size))
        signed_fields = {name for name in fields if not name.startswith("x-ignore-")} - UNSIGNED_FORM_FIELDS
        uncovered = signed_fields - covered
        if uncovered:
            raise Denied(f"The upload's policy does not cover the field {sorted(uncovered)[0]}.")

    def _check_condition(self, condition: object, fields: dict[str, str], size: int) -> str:
        """Enforce one policy condition; returns the (lower-case) field it covers."""
        values = dict(fields, bucket=self.bucket)
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, value),) = condition.items()
            condition = ["eq", f"${name}", value]
        if not isinstance(condition, list) or len(condition) != 3:
            raise Denied("This upload's policy has a condition the gateway does not know.")
        operator, subject, value = condition
        if operator == "content-length-range":
            if not (isinstance(subject, int) and isinstance(value, int) and subject <= size <= value):
                raise Denied("The file's size is outside the upload's allowed range.")
            return "content-length-range"
        if operator not in ("eq", "starts-with") or not str(subject).startswith("$"):
            raise Denied("This upload's policy has a condition the gateway does not know.")
        name = subject[1:].lower()
        actual = values.get(name)
        if actual is None or not (actual == value if operator == "eq" else actual.startswith(str(value))):
            raise Denied(f"The upload's {subject[1:]} is not the one its policy allows.")
        return name


def _same(actual: str, expected: str) -> bool:
    """Constant-time equality of two strings, whatever characters a client sent."""
    return hmac.compare_digest(actual.encode(), expected.encode())


def _query_params(query: str) -> dict[str, str]:
    """The query's parameters; a repeated or malformed one is refused."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as error:
        raise Denied("Malformed query string.") from error
    params = dict(pairs)
    if len(params) != len(pairs):
        raise Denied("A query parameter is repeated.")
    return params


def _form_fields(content_type: str, body: bytes) -> tuple[dict[str, str], bytes | None]:
    """The text fields (lower-case names) and the file of a ``multipart/form-data`` body.

    As S3 does, the form ends at the ``file`` field: anything after it is ignored.
    """
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise Denied("An upload is a multipart form.")
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    if len(chunks) < 3 or chunks[0].strip() or not chunks[-1].startswith(b"--"):
        raise Denied("Malformed upload form.")
    fields: dict[str, str] = {}
    for chunk in chunks[1:-1]:
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator or not head.startswith(b"\r\n"):
            raise Denied("Malformed upload form.")
        part = Message()
        for line in head[2:].decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                part[name.strip()] = value.strip()
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise Denied("Malformed upload form.")
        name = name.lower()
        if name == "file":
            return fields, content
        if name in fields:
            raise Denied(f"The upload field {name} is repeated.")
        try:
            fields[name] = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Denied("Malformed upload form.") from error
    return fields, None
