"""Run one function in a fresh, empty-handed interpreter with memory, time, file-size and process limits.

A hostile PDF can ask MuPDF for gigabytes or for minutes, or exploit a parser bug: running the work in a
child means the worst it can do is get that child killed, never the Lambda (or test) process that called
us, and the child holds nothing worth stealing.

The child is ``python -I`` running this file, not a fork of the caller: it inherits none of the caller's
memory (no boto3 client, no credentials, no session), and its environment is empty but for
``LD_LIBRARY_PATH`` (the interpreter's own libraries on Lambda): no ``AWS_*`` variable, no ``PATH``. The
protocol is explicit: the caller writes one pickle on the child's stdin (the caller's ``sys.path``, then
the target and its arguments, pickled apart so that the child sets its path before loading them) and
reads one answer from a dedicated pipe. Before calling the target the child sets, hard limits included:

* RLIMIT_AS: its address space after imports plus ``memory_mb`` (headroom for the work);
* RLIMIT_FSIZE: no file it writes may grow past ``file_mb`` (else SIGXFSZ kills it);
* RLIMIT_NPROC = 0 and, on Linux x86-64/arm64, a seccomp filter: it cannot start a process (fork, vfork,
  clone without CLONE_THREAD, execve: EPERM). RLIMIT_NPROC does not bind root, the filter does;
* RLIMIT_CORE = 0.

stdout goes to /dev/null, stderr to a fresh temporary file (an inherited log file could already be past
the file-size limit), logged when the child dies without an answer. Only a process and pipes are used:
AWS Lambda has no ``/dev/shm``. A fresh interpreter costs more than a fork (~0.1-0.3 s a scan with MuPDF
imported, see ``tests/unit/functions/test_pdf_sandbox.py``), little against a scan's rendering.
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import pickle
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

PASSED_ENVIRONMENT = ("LD_LIBRARY_PATH",)  # what the interpreter may need to start; nothing else
DEFAULT_FILE_MB = 64
_EXIT_GRACE_SECONDS = 10
_STDERR_TAIL = 4000
log = logging.getLogger(__name__)


class LimitExceeded(Exception):
    """The child ran out of memory, time or file size, or died; ``detail`` says which, in a few words."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChildFailed(RuntimeError):
    """The work raised an exception that could not be sent back as itself; carries its traceback text."""


def child_environment() -> dict[str, str]:
    """The child's whole environment."""
    return {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}


def run_limited(target: str, args: tuple[Any, ...], *, memory_mb: int, timeout_seconds: float,
                file_mb: int = DEFAULT_FILE_MB) -> Any:
    """Call ``target`` ("package.module:function") with ``args`` in a fresh child process; its result.

    The child may map ``memory_mb`` more than it has after importing the target's module (RLIMIT_AS),
    write no file larger than ``file_mb`` and start no process, and the whole call may take
    ``timeout_seconds`` of wall-clock time. Raises LimitExceeded when a limit is hit or the child dies
    without an answer; an exception raised by the target is raised again here as itself when it pickles
    (else ChildFailed). Arguments and result must pickle; the target's module is imported in the child only.
    """
    request = pickle.dumps({
        "path": [os.path.abspath(entry or os.curdir) for entry in sys.path],
        "call": pickle.dumps((target, args)),
        "memory_mb": memory_mb,
        "file_mb": file_mb,
    })
    deadline = time.monotonic() + timeout_seconds
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile(prefix="korrigo-sandbox-") as stderr:
        try:
            process = subprocess.Popen(  # noqa: S603 - our interpreter and this file, no shell
                [sys.executable, "-I", os.path.abspath(__file__), str(write_fd)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, env=child_environment(),
                pass_fds=(write_fd,), cwd=tempfile.gettempdir(),
            )
        finally:
            os.close(write_fd)  # the child holds the only write end now: EOF as soon as it dies
        receiver = Connection(read_fd, writable=False)
        try:
            try:
                assert process.stdin is not None
                process.stdin.write(request)
                process.stdin.close()
            except BrokenPipeError:
                pass  # it died at start: no answer below
            if not receiver.poll(max(0.0, deadline - time.monotonic())):
                raise LimitExceeded(f"it took longer than {timeout_seconds:g} s")
            try:
                kind, payload = receiver.recv()
            except (EOFError, OSError):
                exitcode = _wait(process, _EXIT_GRACE_SECONDS)
                _log_death(exitcode, stderr)
                raise LimitExceeded(_death(exitcode)) from None
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


def _wait(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Make sure the child is gone: it exits by itself after answering; a timed-out one is killed."""
    if _wait(process, 0.05) is None:
        process.kill()
        process.wait()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGXFSZ":
            return "the process was killed by SIGXFSZ: it wrote a file larger than the limit"
        return f"the process was killed by {name}, usually for lack of memory"
    return f"the process ended without an answer (exit code {exitcode}), usually for lack of memory"


def _log_death(exitcode: int | None, stderr: Any) -> None:
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - _STDERR_TAIL))
    tail = stderr.read().decode("utf-8", "replace").strip()
    log.warning("sandboxed child died without an answer (exit code %s)%s", exitcode,
                f": {tail}" if tail else "")


# ------------------------------------------------------------------------------------------- the child


def _child(result_fd: int) -> None:
    """Entry point of the child: path, limits, work, one message back."""
    sender = Connection(result_fd, readable=False)
    try:
        request = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - our own caller's bytes
        sys.path[:] = request["path"]
        target, args = pickle.loads(request["call"])  # noqa: S301 - idem, now that the path is set
        module_name, _, function_name = target.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        _limit(request["memory_mb"], request["file_mb"])
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


def _limit(memory_mb: int, file_mb: int) -> None:
    """Every limit, soft and hard (the work cannot raise them back)."""
    memory = _address_space() + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 1024 * 1024, file_mb * 1024 * 1024))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it: die (a limit) rather than OSError
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    forbid_new_processes()


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


# The seccomp filter: (audit arch, syscalls refused, clone, clone3) per architecture.
_ARCHITECTURES = {
    "x86_64": (0xC000003E, (59, 322, 57, 58), 56, 435),  # execve, execveat, fork, vfork
    "aarch64": (0xC00000B7, (221, 281), 220, 435),  # execve, execveat (no fork/vfork syscalls)
}
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000


def forbid_new_processes() -> bool:
    """Install a seccomp filter refusing every new process (threads stay allowed); False where unsupported.

    clone3 answers ENOSYS (its flags are out of a filter's reach), so libc falls back to clone, whose
    flags are checked: a thread (CLONE_THREAD) passes, a process gets EPERM. Needs no privilege
    (PR_SET_NO_NEW_PRIVS first) and is inherited by nothing, since nothing can be started.
    """
    machine = os.uname().machine
    if sys.platform != "linux" or machine not in _ARCHITECTURES:
        return False
    arch, refused, clone, clone3 = _ARCHITECTURES[machine]
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    load, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    # another arch (i386 calls through int 0x80 on x86-64) gets EPERM for everything
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, eperm), (load, 0, 0, 0)]
    if machine == "x86_64":  # the x32 ABI: same arch, other numbers
        program.append((jset, 0, 1, _X32_BIT))
        program.append((ret, 0, 0, eperm))
    for number in refused:
        program.append((jeq, 0, 1, number))
        program.append((ret, 0, 0, eperm))
    program += [
        (jeq, 0, 1, clone3), (ret, 0, 0, enosys),
        (jeq, 1, 0, clone), (ret, 0, 0, allow),
        (load, 0, 0, 16),  # clone's flags: args[0], low 32 bits
        (jset, 0, 1, _CLONE_THREAD), (ret, 0, 0, allow),
        (ret, 0, 0, eperm),
    ]
    code = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(code)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program), ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def _exception_message(exc: BaseException) -> tuple[str, Any]:
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"Raised in the sandboxed child process:\n{text}")
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, checking they round-trip
    except Exception:  # noqa: BLE001 - not picklable: send the text instead
        return "failed", text
    return "raised", exc


if __name__ == "__main__":
    _child(int(sys.argv[1]))
