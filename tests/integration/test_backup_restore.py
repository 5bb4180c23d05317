"""``make backup`` / ``make restore`` (``python -m infra.backup``) against a running ``make dev``.

Issue 11's "done when": back up a used stack, stop it, ``rm -rf .korrigo``, start afresh, restore, and
every exam, copy, score and final PDF is back byte for byte. A damaged backup and a stack holding other
data are refused with a non-zero exit and nothing written. Starts the real runner twice; ~1 minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT
from tests.integration.dev_journey import run_journey, state
from tests.integration.test_dev_platform import DEMO_PASSWORD, KEEPER, kill_runner, login
from tests.integration.test_persistence import runners, start  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def korrigo_backup(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as ``make backup``/``make restore`` runs it: no endpoint given, the running make dev's."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("AWS_ENDPOINT_URL", "KORRIGO_RESOURCE_PREFIX") and not key.startswith("MOTO_")}
    env["KORRIGO_STATE_DIR"] = str(state_dir)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "infra.backup", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    print(f"infra.backup {args[0]}: exit {done.returncode} in {time.monotonic() - began:.1f} s")
    return done


def exams(port: int) -> list[dict]:
    return login(port, "admin", DEMO_PASSWORD).call("GET", "/api/exams").json()["exams"]


def test_backup_rm_rf_and_restore_give_everything_back(tmp_path: Path, runners):  # noqa: F811
    state_dir, saved = tmp_path / "korrigo", tmp_path / "backup-dir"
    first, _ = start(runners, state_dir)
    journey = run_journey(first.port)
    before = state(first.port, journey)

    made = korrigo_backup(state_dir, "backup", str(saved))
    assert made.returncode == 0, made.stderr
    assert "the running make dev" in made.stdout
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["tables"]["copies"]["count"] == 1
    assert any(entry["key"].startswith("final/") for entry in manifest["objects"])
    assert not (saved / "manifest.json").stat().st_mode & 0o077  # password hashes: the owner's only

    kill_runner(first)
    shutil.rmtree(state_dir)
    second, _ = start(runners, state_dir, first.ports)
    assert exams(second.port) == []

    tampered = tmp_path / "tampered"
    shutil.copytree(saved, tampered)
    blob = next(entry for entry in manifest["objects"] if entry["key"].startswith("final/"))["sha256"]
    (tampered / "objects" / blob).write_bytes(b"%PDF-1.7 not the graded copy")
    refused = korrigo_backup(state_dir, "restore", str(tampered))
    assert refused.returncode != 0
    assert "damaged" in refused.stderr and "final/" in refused.stderr
    assert exams(second.port) == []  # nothing written

    restored = korrigo_backup(state_dir, "restore", str(saved))  # the demo accounts do not count
    assert restored.returncode == 0, restored.stderr
    assert "restored and verified" in restored.stdout
    after = state(second.port, journey)
    assert after["exams"] == before["exams"]
    assert after["copies"] == before["copies"]
    assert after["scores"] == before["scores"]
    assert after["final_pdf"] == before["final_pdf"]

    admin = login(second.port, "admin", DEMO_PASSWORD)
    assert admin.call("POST", "/api/users", KEEPER).status == 201
    busy = korrigo_backup(state_dir, "restore", str(saved))
    assert busy.returncode != 0
    assert "not empty" in busy.stderr and "users" in busy.stderr
    teachers = {user["username"] for user in admin.call("GET", "/api/users?role=teacher").json()["users"]}
    assert KEEPER["username"] in teachers  # nothing deleted either

    forced = korrigo_backup(state_dir, "restore", str(saved), "--force")
    assert forced.returncode == 0, forced.stderr
    admin = login(second.port, "admin", DEMO_PASSWORD)  # the backup's sessions replaced the stack's
    teachers = {user["username"] for user in admin.call("GET", "/api/users?role=teacher").json()["users"]}
    assert teachers == {"teacher1", "teacher2"}
    assert state(second.port, journey)["copies"] == before["copies"]  # no pipeline re-run: still one copy
