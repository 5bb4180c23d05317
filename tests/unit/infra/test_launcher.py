"""The local-platform launcher (``infra.local.launcher``) and ``bench.grading``'s pure parts.

The launcher runs a stand-in runner here (a few lines of Python that behave like ``infra.local.dev``):
its start, its failures and its stop are proven without starting the platform. The real platform is
started through the launcher by ``tests/integration/test_dev_platform.py`` and the e2e tests.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pytest

from bench import grading
from infra.local.launcher import MARKER, READY_LINE, LaunchError, LocalPlatform

# Prints the ready line, then starts a component in its own session that ignores SIGTERM (an orphan
# the runner's own stop would miss), and waits for SIGTERM.
STAND_IN = f"""
import os, signal, subprocess, sys, time
deaf = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
        "time.sleep(600)")
child = subprocess.Popen([sys.executable, "-c", deaf], stdout=subprocess.PIPE, start_new_session=True)
child.stdout.readline()
print("{READY_LINE} http://127.0.0.1:" + os.environ["PORT"], flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
time.sleep(600)
"""


class StandIn(LocalPlatform):
    command = ("-c", STAND_IN)


def test_the_environment_is_the_callers_minus_its_endpoint_plus_the_platforms_ports(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("KORRIGO_RESOURCE_PREFIX", "suite")
    monkeypatch.setenv("MOTO_ENABLE_RECORDING", "1")
    monkeypatch.setenv("KORRIGO_KEPT", "yes")
    platform = LocalPlatform(tmp_path, ports=(8100, 8101, 8102), env={"KORRIGO_DEMO_PASSWORD": "x" * 14})

    env = platform.environment()

    assert not {"AWS_ENDPOINT_URL", "KORRIGO_RESOURCE_PREFIX", "MOTO_ENABLE_RECORDING"} & set(env)
    assert env["KORRIGO_KEPT"] == "yes"
    assert (env["PORT"], env["KORRIGO_API_PORT"], env["KORRIGO_EMULATOR_PORT"]) == ("8100", "8101", "8102")
    assert env["KORRIGO_STATE_DIR"] == str(tmp_path)
    assert env["KORRIGO_DEMO_PASSWORD"] == "x" * 14
    assert env[MARKER] == platform.marker
    assert (platform.url, platform.endpoint) == ("http://127.0.0.1:8100", "http://127.0.0.1:8102")
    assert platform.client_environment()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:8102"


def test_fresh_ports_are_distinct(tmp_path):
    assert len(set(LocalPlatform(tmp_path).ports)) == 3


def test_a_started_platform_is_stopped_with_every_process_it_started(tmp_path):
    with StandIn(tmp_path) as platform:
        assert f"{READY_LINE} {platform.url}" in platform.output
        started = platform.started_processes()
        assert platform.process.pid in started and len(started) == 2  # the runner and its component

    assert platform.process.poll() == 0
    assert platform.started_processes() == set()  # the orphan that ignored SIGTERM was killed too
    for pid in started:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_a_runner_that_exits_at_start_raises_with_its_output_and_logs(tmp_path):
    class Failing(LocalPlatform):
        command = ("-c", "print('korrigo: port 8000 is already in use'); raise SystemExit(1)")

    (tmp_path / "api.log").write_text("Traceback: the API's last words\n")

    with pytest.raises(LaunchError) as raised:
        Failing(tmp_path).start()

    message = str(raised.value)
    assert "exited with 1" in message
    assert "port 8000 is already in use" in message
    assert "--- api.log" in message and "the API's last words" in message


def test_a_runner_that_never_gets_ready_is_stopped_at_the_deadline(tmp_path):
    class Silent(LocalPlatform):
        command = ("-c", "import time; time.sleep(600)")

    platform = Silent(tmp_path)
    began = time.monotonic()
    with pytest.raises(LaunchError, match="did not start within 1 s"):
        platform.start(timeout=1)

    assert time.monotonic() - began < 20
    assert platform.process.poll() is not None
    assert platform.started_processes() == set()


def test_stop_is_safe_before_start_and_twice(tmp_path):
    platform = StandIn(tmp_path)
    assert platform.stop() == set()
    platform.start()
    platform.stop()
    assert platform.stop() == set()


# --- bench.grading ----------------------------------------------------------------------------------

def test_the_open_loop_schedule_keeps_each_teachers_pace_at_a_seeded_random_phase():
    sends = grading.schedule(teachers=50, duration=60, seed=3)

    assert sends == grading.schedule(teachers=50, duration=60, seed=3)
    assert sends != grading.schedule(teachers=50, duration=60, seed=4)
    assert [send.at for send in sends] == sorted(send.at for send in sends)
    assert len(sends) == 50 * (30 + 6 + 2)
    for operation, period in grading.PERIODS.items():
        times = [send.at for send in sends if send.teacher == 7 and send.operation == operation]
        assert 0 <= times[0] < period
        assert all(abs(later - earlier - period) < 1e-9 for earlier, later in itertools.pairwise(times))
        phases = {round(send.at % period, 6) for send in sends if send.operation == operation}
        assert len(phases) > 40  # teachers are not in lockstep


def test_round_trips_are_read_per_operation_from_the_api_log_window(tmp_path):
    def line(method: str | None, path: str | None, trips: int) -> str:
        entry = {"level": "INFO", "message": "request", "status": 200, "round_trips": trips}
        if method:
            entry.update(method=method, path=path)
        return json.dumps(entry) + "\n"

    log_path = tmp_path / "api.log"
    log_path.write_text(line("PUT", "/api/copies/{copy_id}/draft", 9))
    log = grading.RequestLog(log_path)
    start = log.mark()
    with log_path.open("a") as log_file:
        log_file.write(line("PUT", "/api/copies/{copy_id}/draft", 2))
        log_file.write('127.0.0.1 - - [29/Nov/2026 10:00:00] "PUT /api/copies/x/draft HTTP/1.1" 200 -\n')
        log_file.write(json.dumps({"message": "audit", "round_trips": 5, "method": "PUT"}) + "\n")
        log_file.write(line("GET", "/api/copies/{copy_id}/status", 1))
        log_file.write(line("GET", "/api/exams", 3))
        log_file.write(line(None, None, 4))
    end = log.mark()
    with log_path.open("a") as log_file:
        log_file.write(line("PUT", "/api/copies/{copy_id}/draft", 7))

    assert log.since(start, end) == {"draft save": [2], "status": [1], "GET /api/exams": [3],
                                     grading.UNLABELED: [4]}
    assert log.since(end) == {"draft save": [7]}
    assert grading.RequestLog(None).since(0) == {}


def test_the_benchmark_refuses_anything_but_the_loopback():
    with pytest.raises(SystemExit):
        grading.main(["--url", "http://example.org:8000", "--endpoint", "http://127.0.0.1:4566"])
    assert os.environ.get("AWS_ENDPOINT_URL", "") != "http://example.org:8000"
