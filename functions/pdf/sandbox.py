"""Run one function in a child process with an address-space limit and a wall-clock timeout.

A hostile PDF can ask MuPDF for gigabytes or for minutes: running the work in a child means the worst it
can do is get that child killed, never the Lambda (or test) process that called us.

Only ``multiprocessing.Process`` and ``Pipe`` are used: AWS Lambda has no ``/dev/shm``, so Queue, Pool,
Lock and the other semaphore-based primitives fail there, while a process and a pipe (a socket pair) work.

The start method is ``fork``. ``spawn`` was tried and rejected: it re-executes the caller's ``__main__``
module in the child (Lambda's runtime bootstrap, a dev-server script, a benchmark without a main guard),
starts a resource-tracker process, and costs ~0.2 s a call. A forked child starts in milliseconds, runs
only the target (``multiprocessing`` ends it with ``os._exit``, so none of the caller's atexit hooks or
buffers run twice) and touches nothing of the caller's but memory it copies on write. Because the child
starts with the caller's mappings, the memory cap is *headroom*: RLIMIT_AS is set to the child's address
space at start plus ``memory_mb``. (Free heap the caller had already mapped is reusable on top of that,
so the cap is approximate by a few MB, exact enough against files that ask for hundreds.)
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import resource
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

START_METHOD = "fork"
_EXIT_GRACE_SECONDS = 10


class LimitExceeded(Exception):
    """The child ran out of memory or time, or died; ``detail`` says which, in a few words."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChildFailed(RuntimeError):
    """The work raised an exception that could not be sent back as itself; carries its traceback text."""


def run_limited(target: str, args: tuple[Any, ...], *, memory_mb: int, timeout_seconds: float) -> Any:
    """Call ``target`` ("package.module:function") with ``args`` in a child process and return its result.

    The child may map ``memory_mb`` more than it inherited (RLIMIT_AS) and the whole call may take
    ``timeout_seconds`` of wall-clock time. Raises LimitExceeded when either is hit or the child dies
    without an answer; an exception raised by the target is raised again here as itself when it pickles
    (else ChildFailed). The result must pickle. The target's module is imported in the child only.
    """
    context = multiprocessing.get_context(START_METHOD)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, receiver, target, args, memory_mb),
                              name="korrigo-sandbox", daemon=True)
    deadline = time.monotonic() + timeout_seconds
    process.start()
    sender.close()  # the child holds the only write end now: EOF as soon as it dies
    try:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise LimitExceeded(f"it took longer than {timeout_seconds:g} s")
        try:
            kind, payload = receiver.recv()
        except (EOFError, OSError):
            process.join(_EXIT_GRACE_SECONDS)
            raise LimitExceeded(_death(process.exitcode)) from None
    finally:
        receiver.close()
        _reap(process)
    if kind == "ok":
        return payload
    if kind == "memory":
        raise LimitExceeded(f"it ran out of memory ({payload})")
    if kind == "raised":
        raise payload
    raise ChildFailed(payload)


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    """Make sure the child is gone: it exits by itself after answering; a timed-out one is killed."""
    if process.is_alive() and process.exitcode is None:
        process.join(0.05)
    if process.is_alive():
        process.kill()
    process.join()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the process was killed by {name}, usually for lack of memory"
    return f"the process ended without an answer (exit code {exitcode}), usually for lack of memory"


def _child(sender: Connection, receiver: Connection, target: str, args: tuple[Any, ...],
           memory_mb: int) -> None:
    """Entry point of the child: limits, work, one message back."""
    receiver.close()  # the parent's read end, inherited through fork
    try:
        module_name, _, function_name = target.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        _limit_memory(memory_mb)
        message: tuple[str, Any] = ("ok", function(*args))
    except MemoryError as exc:
        message = ("memory", str(exc) or "MemoryError")
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        message = _exception_message(exc)
    try:
        sender.send(message)
    except MemoryError:
        os._exit(3)  # no memory left even to answer: the parent sees a death without answer
    except Exception:  # noqa: BLE001 - an unpicklable result
        sender.send(("failed", traceback.format_exc()))
    finally:
        sender.close()


def _limit_memory(memory_mb: int) -> None:
    """RLIMIT_AS = address space now + memory_mb (hard limit too: the work cannot raise it back)."""
    limit = _address_space() + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _address_space() -> int:
    """This process's mapped address space in bytes (Linux), 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _exception_message(exc: BaseException) -> tuple[str, Any]:
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"Raised in the sandboxed child process:\n{text}")
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, checking they round-trip
    except Exception:  # noqa: BLE001 - not picklable: send the text instead
        return "failed", text
    return "raised", exc
