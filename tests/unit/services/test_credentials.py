"""Credentials sheets: the class column (printed on the login slips), older parts without it."""

from __future__ import annotations

from chalicelib.services import credentials


def test_the_sheet_names_the_class_of_each_student():
    data = credentials.sheet_csv([("DUPONT", "Élodie", "3B", "elodie@lycee.example.org", "Lamp-72")])
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[:2] == [
        "last_name;first_name;class;sign_in;initial_password",
        "DUPONT;Élodie;3B;elodie@lycee.example.org;Lamp-72",
    ]


def test_a_part_stored_before_the_class_column_reads_with_an_empty_class(monkeypatch):
    monkeypatch.setattr(credentials, "_job_fernet", lambda job_id: _Plain())
    old = credentials.encrypt_part("job", [("MARTIN", "Léa", "lea.martin.482", "pw")])  # type: ignore[list-item]
    assert credentials.decrypt_part("job", old) == [("MARTIN", "Léa", "", "lea.martin.482", "pw")]


class _Plain:
    """A Fernet stand-in (the key derivation is not what is tested here)."""

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, data: bytes) -> bytes:
        return data
