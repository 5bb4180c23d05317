"""One-time credential sheets: the CSV of initial passwords, downloadable once, shortly.

The sheet is encrypted (Fernet) with a key that is the link's token itself; only a hash of the token
is stored, so the stored data never reveals a password, and a download deletes it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.domain.principal import Origin, Principal
from chalicelib.errors import NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import CredentialSheet
from chalicelib.services import audit

LIFETIME = timedelta(minutes=10)
HEADER = ("last_name", "first_name", "email", "initial_password")


def _sheet_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_sheet(exam_id: str, owner: Principal, rows: list[tuple[str, str, str, str]]) -> str:
    """Encrypt and store a sheet; returns the one-time token of its link."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    token = Fernet.generate_key().decode()
    expires = utcnow() + LIFETIME
    CredentialSheet(
        _sheet_id(token),
        exam_id=exam_id,
        owner_id=owner.id,
        ciphertext=Fernet(token.encode()).encrypt(("\ufeff" + buffer.getvalue()).encode()),
        expires_at=expires,
        ttl=expires,
    ).save()
    return token


def take_sheet(token: str, caller: Principal, origin: Origin) -> tuple[str, bytes]:
    """The sheet's CSV bytes, once, for the admin who imported it; 404 when used, expired or foreign."""
    try:
        sheet = CredentialSheet.get(_sheet_id(token), consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("This link was already used or has expired.") from error
    if sheet.owner_id != caller.id or sheet.expires_at <= utcnow():
        raise NotFound("This link was already used or has expired.")
    try:
        sheet.delete(condition=CredentialSheet.id.exists())
    except DeleteError as error:
        if condition_failed(error):
            raise NotFound("This link was already used or has expired.") from error
        raise
    try:
        data = Fernet(token.encode()).decrypt(sheet.ciphertext)
    except (InvalidToken, ValueError) as error:
        raise NotFound("This link was already used or has expired.") from error
    audit.record(
        "roster.credentials_download",
        actor=caller,
        origin=origin,
        target_type="exam",
        target_id=sheet.exam_id,
        exam_id=sheet.exam_id,
    )
    return sheet.exam_id, data
