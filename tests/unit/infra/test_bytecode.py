"""The API's Lambda zip gets bytecode for every module, valid whatever the files' times."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

from infra.bytecode import add_bytecode


def test_every_module_of_the_zip_gets_unchecked_hash_bytecode(tmp_path: Path) -> None:
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("app.py", "VALUE = 42\n")
        zip_file.writestr("chalicelib/__init__.py", "")
        zip_file.writestr("chalicelib/__pycache__/stale.cpython-39.pyc", b"old")

    assert add_bytecode(archive) == 2

    with zipfile.ZipFile(archive) as zip_file:
        names = set(zip_file.namelist())
        tag = sys.implementation.cache_tag
        pyc = zip_file.read(f"__pycache__/app.{tag}.pyc")
    assert {"app.py", "chalicelib/__init__.py", f"chalicelib/__pycache__/__init__.{tag}.pyc"} <= names
    assert "chalicelib/__pycache__/stale.cpython-39.pyc" not in names
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, not checked against the source
