"""Pre-signed URLs of ``chalicelib.storage``: what S3 is asked to send back with the object."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib import storage


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_a_presigned_get_asks_s3_never_to_let_the_answer_be_cached():
    assert query(storage.presigned_get("pages/e/c/01-masked.jpg"))["response-cache-control"] == ["no-store"]


def test_a_download_keeps_its_attachment_name_and_is_not_cached_either():
    params = query(storage.presigned_get("final/e/c/1.pdf", download_name="copy.pdf"))

    assert params["response-content-disposition"] == ['attachment; filename="copy.pdf"']
    assert params["response-cache-control"] == ["no-store"]
