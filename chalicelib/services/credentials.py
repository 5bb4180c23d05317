"""One-time credential sheets: the CSV of initial passwords, downloadable once, shortly.

A single student's sheet is encrypted (Fernet) with a key that is the link's token itself; only a hash
of the token is stored, so the stored data never reveals a password, and a download deletes it. A job's
sheet is stored in parts, one per chunk, encrypted with a key derived from the secret key and the job
id (the function writes them, the API reads them once). Sheets are French-Excel CSV: UTF-8 with BOM,
``;``, CRLF, every user-text cell through the formula-injection guard.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.domain import csv_format
from chalicelib.domain.csv_format import CsvDialect
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.pronote import safe_cell
from chalicelib.errors import NotFound
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import CredentialSheet
from chalicelib.services import audit
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

LIFETIME = timedelta(minutes=10)
HEADER = ("last_name", "first_name", "class", "sign_in", "initial_password")
#: last name, first name, class ("" when none), sign-in (e-mail or sign-in id), password
SheetRow = tuple[str, str, str, str, str]


def _full(row: tuple[str, ...]) -> SheetRow:
    """A sheet row; a 4-cell row (stored before the class column) gets an empty class."""
    if len(row) == 4:
        last_name, first_name, sign_in, password = row
        return (last_name, first_name, "", sign_in, password)
    last_name, first_name, class_name, sign_in, password = row
    return (last_name, first_name, class_name, sign_in, password)


def sheet_csv(rows: Iterable[SheetRow], dialect: CsvDialect = csv_format.DEFAULT) -> bytes:
    """The credentials sheet in ``dialect`` (default: French Excel), user text guarded against formulas.

    The SPA prints the login slips from these very bytes (the sheet is downloadable once).
    """
    return dialect.encode(
        [
            HEADER,
            *(
                (safe_cell(last), safe_cell(first), safe_cell(class_name), safe_cell(sign_in), password)
                for last, first, class_name, sign_in, password in map(_full, rows)
            ),
        ]
    )


def _fernet(key: bytes) -> Fernet:
    """A Fernet on ``key``; cryptography is loaded by the first sheet, not at the API's start."""
    from cryptography.fernet import Fernet

    return Fernet(key)


def _job_fernet(job_id: str) -> Fernet:
    """The Fernet key of a job's sheet parts: HKDF of the secret key, bound to the job id."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"korrigo-credentials:{job_id}".encode()
    ).derive(get_settings().secret_key.encode())
    return _fernet(base64.urlsafe_b64encode(key))


def encrypt_part(job_id: str, rows: list[SheetRow]) -> bytes:
    """One chunk's sheet rows, encrypted for storage."""
    return _job_fernet(job_id).encrypt(json.dumps(rows).encode())


def decrypt_part(job_id: str, ciphertext: bytes) -> list[SheetRow]:
    """The sheet rows of one stored part."""
    return [_full(tuple(row)) for row in json.loads(_job_fernet(job_id).decrypt(ciphertext))]


def _sheet_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_sheet(exam_id: str, owner: Principal, rows: list[SheetRow]) -> str:
    """Encrypt and store a sheet; returns the one-time token of its link."""
    from cryptography.fernet import Fernet

    token = Fernet.generate_key().decode()
    expires = utcnow() + LIFETIME
    CredentialSheet(
        _sheet_id(token),
        exam_id=exam_id,
        owner_id=owner.id,
        ciphertext=_fernet(token.encode()).encrypt(sheet_csv(rows)),
        expires_at=expires,
        ttl=expires,
    ).save()
    return token


def take_sheet(token: str, caller: Principal, origin: Origin) -> tuple[str, bytes]:
    """The sheet's CSV bytes, once, for the admin who imported it; 404 when used, expired or foreign."""
    try:
        sheet = CredentialSheet.get(_sheet_id(token), consistent_read=True)
    except DoesNotExist as error:
        raise NotFound("This link was already used or has expired.", reason="link_expired") from error
    if sheet.owner_id != caller.id or sheet.expires_at <= utcnow():
        raise NotFound("This link was already used or has expired.", reason="link_expired")
    try:
        sheet.delete(condition=CredentialSheet.id.exists())
    except DeleteError as error:
        if condition_failed(error):
            raise NotFound("This link was already used or has expired.", reason="link_expired") from error
        raise
    from cryptography.fernet import InvalidToken

    try:
        data = _fernet(token.encode()).decrypt(sheet.ciphertext)
    except (InvalidToken, ValueError) as error:
        raise NotFound("This link was already used or has expired.", reason="link_expired") from error
    audit.record(
        "roster.credentials_download",
        actor=caller,
        origin=origin,
        target_type="exam",
        target_id=sheet.exam_id or None,
        exam_id=sheet.exam_id or None,  # a student's own reset may not name an exam
    )
    return sheet.exam_id, data
