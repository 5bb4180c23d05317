"""The child-process runner behind process_scan: results, errors, deaths, limits."""

from __future__ import annotations

import os
import resource
import signal

import pytest

from functions.pdf.sandbox import ChildFailed, LimitExceeded, run_limited

LIMITS = {"memory_mb": 512, "timeout_seconds": 30}
HERE = __name__  # the child is forked from this process, so this module's functions are targets too


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
