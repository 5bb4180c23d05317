"""``make dev`` keeps its data: a whole journey survives a SIGKILL of every process, and the restart is quick.

Starts the real ``python -m infra.local.dev`` on free ports (like ``test_dev_platform``); ~1 minute.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from infra.backup import Snapshots
from infra.local.launcher import free_ports
from tests.integration.conftest import port_open, wait_until
from tests.integration.dev_journey import run_journey, state
from tests.integration.test_dev_platform import Runner, kill_runner, spawn, started_by

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    """Runners started by a test, all stopped at the end whatever happens."""
    started: list[Runner] = []
    yield started
    for runner in started:
        kill_runner(runner)


def start(runners: list[Runner], state_dir: Path, ports: list[int] | None = None) -> tuple[Runner, float]:
    """A runner on ``ports`` (fresh ones by default), once it says it runs; and how long that took."""
    began = time.monotonic()
    runner = spawn(*(ports or free_ports(3)), state_dir)
    runners.append(runner)
    runner.wait_started()
    return runner, time.monotonic() - began


def latest_manifest(state_dir: Path) -> dict | None:
    latest = Snapshots(state_dir / "state").latest()
    return json.loads((latest / "manifest.json").read_text()) if latest else None


def covered_after(state_dir: Path, moment: datetime) -> bool:
    """Whether the latest snapshot holds the stack as it was after ``moment`` (taken, or found unchanged)."""
    covered = Snapshots(state_dir / "state").covers_since()
    return covered is not None and covered > moment


def sigkill_everything(runner: Runner) -> None:
    """A crash: SIGKILL the runner and every process it started, at once, no chance to clean up."""
    for pid in started_by(runner) | {runner.process.pid}:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    runner.process.wait(timeout=10)
    wait_until(lambda: not any(port_open(port) for port in runner.ports), 10, "the ports to close")


def test_a_journey_survives_a_sigkill_and_the_restart_takes_seconds(tmp_path: Path, runners):
    state_dir = tmp_path / "korrigo"
    first, first_start = start(runners, state_dir)
    journey = run_journey(first.port)
    before = state(first.port, journey)
    assert ("GRADED",) == tuple({status for _, status, _ in before["copies"]})
    assert before["final_pdf"].startswith(b"%PDF")
    done = datetime.now().astimezone()

    began = time.monotonic()
    try:
        wait_until(lambda: covered_after(state_dir, done), 120, "a snapshot after the journey")
    except AssertionError as error:
        snapshots = sorted(path.name for path in (state_dir / "state").glob("*"))
        printed = first.output[-4000:]
        raise AssertionError(f"{error}; snapshots {snapshots}; the runner printed:\n{printed}") from None
    print(f"\nsnapshot covering the journey taken {time.monotonic() - began:.1f} s after it ended")
    sigkill_everything(first)

    second, restart = start(runners, state_dir, first.ports)
    print(f"first start {first_start:.1f} s; restart after SIGKILL {restart:.1f} s")

    assert "restoring the previous local state" in second.output
    after = state(second.port, journey)
    assert after["exams"] == before["exams"]
    assert after["copies"] == before["copies"]
    assert after["scores"] == before["scores"]
    assert after["final_pdf"] == before["final_pdf"]
    assert before["history"] and after["history"][: len(before["history"])] == before["history"]


def test_korrigo_dir_is_private_to_its_owner_even_when_it_was_not(tmp_path: Path, runners):
    state_dir = tmp_path / "korrigo"
    state_dir.mkdir(mode=0o755)
    (state_dir / "api.log").write_text("an old world-readable log\n")
    os.chmod(state_dir, 0o755)  # noqa: S103 - the loose state of an older make dev, to be fixed
    os.chmod(state_dir / "api.log", 0o644)
    runner, _ = start(runners, state_dir)
    wait_until(lambda: latest_manifest(state_dir), 30, "the first snapshot")

    kill_runner(runner)  # SIGTERM: the stop snapshot is written too

    paths = [state_dir, *state_dir.rglob("*")]
    assert any(path.name == "manifest.json" for path in paths)
    loose = [f"{path} {stat.filemode(path.stat().st_mode)}" for path in paths
             if path.stat().st_mode & 0o077 or (path.is_dir() and path.stat().st_mode & 0o700 != 0o700)]
    assert loose == []
