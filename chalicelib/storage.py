"""Object storage: keys of every kind of file, pre-signed URLs for the browser, small reads/writes."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.resources import FINAL_PREFIX, HEADERS_PREFIX, PAGES_PREFIX, SCANS_PREFIX
from chalicelib.settings import get_settings


def scan_key(exam_id: str, upload_id: str) -> str:
    """Where the browser uploads a scan (its creation feeds the ingest function)."""
    return f"{SCANS_PREFIX}{exam_id}/{upload_id}.pdf"


def page_key(exam_id: str, copy_id: str, index: int, masked: bool = False) -> str:
    """A copy's page image (the masked variant hides the identity zone)."""
    return f"{PAGES_PREFIX}{exam_id}/{copy_id}/{index:02d}{'-masked' if masked else ''}.jpg"


def header_key(exam_id: str, copy_id: str) -> str:
    """A copy's header crop (its creation feeds the OCR function)."""
    return f"{HEADERS_PREFIX}{exam_id}/{copy_id}.jpg"


def final_pdf_key(exam_id: str, copy_id: str, attempt: int) -> str:
    """A copy's final annotated PDF."""
    return f"{FINAL_PREFIX}{exam_id}/{copy_id}/{attempt}.pdf"


def parse_scan_key(key: str) -> tuple[str, str] | None:
    """(exam id, upload id) of a scan key, or None when the key is not a scan."""
    if not key.startswith(SCANS_PREFIX) or not key.endswith(".pdf"):
        return None
    parts = key[len(SCANS_PREFIX) : -len(".pdf")].split("/")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def parse_header_key(key: str) -> tuple[str, str] | None:
    """(exam id, copy id) of a header key, or None."""
    if not key.startswith(HEADERS_PREFIX) or not key.endswith(".jpg"):
        return None
    parts = key[len(HEADERS_PREFIX) : -len(".jpg")].split("/")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def _public(url: str) -> str:
    """Pre-signed URLs as the browser must use them (through the local gateway in local mode)."""
    settings = get_settings()
    if settings.public_storage_url and settings.aws_endpoint_url:
        endpoint = settings.aws_endpoint_url.rstrip("/")
        if url.startswith(endpoint):
            return settings.public_storage_url.rstrip("/") + url[len(endpoint) :]
    return url


def presigned_upload(key: str, size: int, content_type: str = "application/pdf") -> dict[str, Any]:
    """A pre-signed POST limited to ``key``, its content type and at most ``size`` bytes."""
    settings = get_settings()
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.files_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"key": key}, {"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=settings.upload_url_seconds,
    )
    return {"url": _public(post["url"]), "fields": post["fields"], "expires_in": settings.upload_url_seconds}


def presigned_get(key: str, *, seconds: int | None = None, download_name: str | None = None) -> str:
    """A short-lived GET URL; ``download_name`` makes the browser save it as an attachment.

    The answer is never cached (``Cache-Control: no-store``): a shared school computer keeps no copy.
    """
    settings = get_settings()
    params: dict[str, Any] = {"Bucket": settings.files_bucket, "Key": key, "ResponseCacheControl": "no-store"}
    if download_name:
        params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
    url = aws.client("s3").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=seconds or settings.download_url_seconds
    )
    return _public(url)


def put_bytes(key: str, data: bytes, content_type: str) -> None:
    """Store an object (server side, private)."""
    aws.client("s3").put_object(
        Bucket=get_settings().files_bucket, Key=key, Body=data, ContentType=content_type
    )


def get_bytes(key: str) -> bytes:
    """Read a whole object."""
    return aws.client("s3").get_object(Bucket=get_settings().files_bucket, Key=key)["Body"].read()


def exists(key: str) -> bool:
    """True when the object exists."""
    try:
        aws.client("s3").head_object(Bucket=get_settings().files_bucket, Key=key)
        return True
    except aws.client("s3").exceptions.ClientError:
        return False
