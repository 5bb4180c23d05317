"""The child-process runner behind process_scan: results, errors, deaths, limits, an empty-handed child."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from functions.pdf import Layout, Limits, ScanRejected, process_scan
from functions.pdf.sandbox import ChildFailed, LimitExceeded, run_limited
from tests.support import scans

LIMITS = {"memory_mb": 512, "timeout_seconds": 30}
HERE = __name__  # the child gets this process's sys.path, so this module's functions are targets too


class NeedsTwoArguments(Exception):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def raise_unpicklable() -> None:
    raise NeedsTwoArguments("cannot", "unpickle")


def die_by_sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_returns_the_result_of_the_target() -> None:
    assert run_limited("math:sqrt", (16,), **LIMITS) == 4.0


def test_an_exception_of_the_target_is_raised_again_as_itself() -> None:
    with pytest.raises(ValueError, match="invalid literal") as raised:
        run_limited("builtins:int", ("forty-two",), **LIMITS)

    assert any("sandboxed child" in note for note in raised.value.__notes__)


def test_an_exception_that_cannot_travel_comes_back_as_child_failed_with_its_traceback() -> None:
    with pytest.raises(ChildFailed, match="NeedsTwoArguments: cannot unpickle"):
        run_limited(f"{HERE}:raise_unpicklable", (), **LIMITS)


def test_a_child_killed_by_a_signal_is_a_limit_exceeded_naming_the_signal() -> None:
    with pytest.raises(LimitExceeded, match="SIGKILL"):
        run_limited(f"{HERE}:die_by_sigkill", (), **LIMITS)


def test_a_child_exiting_without_answer_is_a_limit_exceeded() -> None:
    with pytest.raises(LimitExceeded, match="exit code 7"):
        run_limited("os:_exit", (7,), **LIMITS)


def test_a_child_over_time_is_killed() -> None:
    with pytest.raises(LimitExceeded, match=r"longer than 0\.3 s"):
        run_limited("time:sleep", (30,), memory_mb=512, timeout_seconds=0.3)


def test_a_child_over_memory_gets_a_memory_error_reported() -> None:
    with pytest.raises(LimitExceeded, match="memory"):
        run_limited("builtins:bytearray", (400 * 1024 * 1024,), memory_mb=64, timeout_seconds=30)


def test_the_limits_apply_to_the_child_only() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)

    run_limited("math:sqrt", (4,), memory_mb=64, timeout_seconds=30)

    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert bytearray(128 * 1024 * 1024)  # the caller still allocates freely


def environment() -> dict[str, str]:
    return dict(os.environ)


def loaded_modules() -> list[str]:
    return sorted(sys.modules)


def write_file(path: str, megabytes: int) -> int:
    with open(path, "wb") as stream:
        for _ in range(megabytes):
            stream.write(b"\0" * 1024 * 1024)
    return os.path.getsize(path)


def try_to_spawn() -> dict[str, str]:
    """What each way of starting a process gives in the child."""
    outcomes = {}
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        outcomes["fork"] = "started"
    except OSError as error:
        outcomes["fork"] = type(error).__name__
    try:
        subprocess.run(["/bin/true"], check=False)
        outcomes["subprocess"] = "started"
    except OSError as error:
        outcomes["subprocess"] = type(error).__name__
    try:
        os.execv("/bin/true", ["/bin/true"])  # noqa: S606 - the point: it must fail
    except OSError as error:
        outcomes["exec"] = type(error).__name__
    return outcomes


def start_a_thread() -> bool:
    done = threading.Event()
    worker = threading.Thread(target=done.set)
    worker.start()
    worker.join()
    return done.is_set()


def test_the_child_sees_no_aws_variable_nor_any_of_the_callers_environment(monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "caller-token")
    monkeypatch.setenv("KORRIGO_SECRET_KEY", "caller-app-secret")

    seen = run_limited(f"{HERE}:environment", (), **LIMITS)

    assert not any(name.startswith("AWS_") for name in seen), seen
    assert set(seen) <= {"LD_LIBRARY_PATH", "LC_CTYPE"}, seen  # LC_CTYPE: Python's own C-locale coercion


def test_the_child_is_a_fresh_interpreter_without_the_callers_modules() -> None:
    import boto3  # noqa: F401 - loaded here, with its clients' credentials, never in the child

    assert "boto3" not in run_limited(f"{HERE}:loaded_modules", (), **LIMITS)


def test_the_child_cannot_write_a_file_larger_than_the_limit(tmp_path: Path) -> None:
    assert run_limited(f"{HERE}:write_file", (str(tmp_path / "small"), 2), **LIMITS, file_mb=4) == 2 * 2**20

    with pytest.raises(LimitExceeded, match="larger than the limit"):
        run_limited(f"{HERE}:write_file", (str(tmp_path / "large"), 8), **LIMITS, file_mb=4)
    assert (tmp_path / "large").stat().st_size <= 4 * 2**20


def test_the_child_cannot_start_a_process_even_as_root() -> None:
    outcomes = run_limited(f"{HERE}:try_to_spawn", (), **LIMITS)

    assert outcomes == {"fork": "PermissionError", "subprocess": "PermissionError", "exec": "PermissionError"}
    assert run_limited(f"{HERE}:start_a_thread", (), **LIMITS) is True  # threads still work


def test_a_good_scan_still_processes_and_a_bomb_is_still_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(scans.make_scan([("MARTIN", "Lucas"), ("PETIT", "Zoé")], pages_per_copy=2))
    result = process_scan(good, tmp_path / "out", Layout("BATCH", 2))
    assert [len(copy.pages) for copy in result.copies] == [2, 2]

    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(scans.xobject_bomb_pdf())
    with pytest.raises(ScanRejected, match="within the limits"):
        process_scan(bomb, tmp_path / "bomb", Layout("BATCH", 1), Limits(timeout_seconds=1.5))


def test_cost_of_a_fresh_interpreter_per_scan() -> None:
    """Printed, never asserted: the price of the fresh interpreter against a fork."""
    runs = 5
    started = time.perf_counter()
    for _ in range(runs):
        run_limited("math:sqrt", (4,), **LIMITS)
    bare = (time.perf_counter() - started) / runs
    started = time.perf_counter()
    for _ in range(runs):
        run_limited("functions.pdf.worker:Limits", (), **LIMITS)  # imports MuPDF and Pillow, as a scan does
    with_mupdf = (time.perf_counter() - started) / runs
    print(f"\nsandbox start: {bare * 1000:.0f} ms bare, {with_mupdf * 1000:.0f} ms with the worker's imports")
