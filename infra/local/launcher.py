"""One launcher of the whole local platform (``python -m infra.local.dev``) for tests and benchmarks.

The e2e tests, the integration platform tests and ``bench.grading`` all start Korrigo the same way:
free loopback ports, a state directory of their own, an environment without the caller's endpoint,
prefix or emulator recording, a start bounded by a deadline (the runner's output and each component's
log tail in the error), and a stop that leaves nothing behind: SIGTERM to the runner (it stops what it
started), then SIGKILL to every process still carrying this launch's marker.

    with LocalPlatform(state_dir) as platform:      # started, and always stopped
        requests.get(platform.url + "/api/health")  # the gateway; platform.endpoint: the AWS emulator

Nothing here imports ``chalicelib``: a caller may point itself at ``platform.endpoint`` afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Korrigo is running at"
STOPPED_LINE = "korrigo: stopped."
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
#: Inherited by every process a launch starts: how the stop finds them, orphans included.
MARKER = "KORRIGO_LAUNCHER_ID"
#: The caller's settings that would point the platform elsewhere: the platform brings its own.
DROPPED = ("AWS_ENDPOINT_URL", "KORRIGO_RESOURCE_PREFIX", "AWS_PROFILE", "AWS_SESSION_TOKEN")


class LaunchError(RuntimeError):
    """The platform did not start (its output and log tails are in the message)."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 (held open together so none is handed out twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def aws_environment() -> dict[str, str]:
    """Dummy credentials and the region of a local stack; proxies never apply to the loopback."""
    return {
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-3"),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "KORRIGO_STAGE": "local",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def _proc_entries() -> Iterator[Path]:
    return (entry for entry in Path("/proc").iterdir() if entry.name.isdigit())


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class LocalPlatform:
    """``python -m infra.local.dev`` on 127.0.0.1, its output read continuously; a context manager.

    ``ports`` = (gateway, API, emulator); fresh free ones by default (give the same ones and the same
    ``state_dir`` to restart a stopped platform). ``env`` adds or overrides environment variables.
    """

    #: The runner's arguments after the interpreter (the launcher's own tests run a stand-in).
    command: tuple[str, ...] = ("-m", "infra.local.dev")

    def __init__(self, state_dir: Path, ports: tuple[int, int, int] | list[int] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port, self.api_port, self.emulator_port = ports or free_ports(3)
        self.state_dir = Path(state_dir)
        self.marker = uuid.uuid4().hex
        self.extra_env = dict(env or {})
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    # --- what a caller reads -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The gateway: the SPA, ``/api`` and ``/storage``, as a browser sees it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        """The AWS endpoint (moto's server) the platform's components use."""
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def ports(self) -> list[int]:
        return [self.port, self.api_port, self.emulator_port]

    @property
    def output(self) -> str:
        """Everything the runner printed so far."""
        return "".join(self.lines)

    def log(self, name: str) -> Path:
        """A component's log (``api``, ``pump``, ``gateway``, ``emulator``) in the state directory."""
        return self.state_dir / f"{name}.log"

    def environment(self) -> dict[str, str]:
        """The runner's environment: the caller's, minus its endpoint and prefix, plus the ports."""
        env = {key: value for key, value in os.environ.items()
               if key not in DROPPED and not key.startswith("MOTO_")}
        env.update(aws_environment())
        env.update(PORT=str(self.port), KORRIGO_API_PORT=str(self.api_port),
                   KORRIGO_EMULATOR_PORT=str(self.emulator_port), KORRIGO_STATE_DIR=str(self.state_dir))
        env.update(self.extra_env)
        env[MARKER] = self.marker
        return env

    def client_environment(self) -> dict[str, str]:
        """What a process talking straight to this platform's emulator sets (before importing chalicelib)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **aws_environment()}

    # --- start ---------------------------------------------------------------------------------------

    def spawn(self) -> LocalPlatform:
        """Start the runner (without waiting for it); its output is collected in ``lines``."""
        if self.process is not None:
            raise RuntimeError("this platform was already started; make a new LocalPlatform")
        self.process = subprocess.Popen(
            [sys.executable, *self.command], cwd=ROOT, env=self.environment(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        stdout = self.process.stdout
        threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True,
                         name=f"korrigo-launcher-{self.port}").start()
        return self

    def wait_started(self, timeout: float = START_TIMEOUT) -> None:
        """Wait for the runner's "Korrigo is running at" line; ``LaunchError`` (with the logs) otherwise."""
        process = self._process()
        limit = time.monotonic() + timeout
        while READY_LINE not in self.output:
            if process.poll() is not None:
                raise LaunchError(f"the platform's runner exited with {process.returncode}\n{self.tail()}")
            if time.monotonic() > limit:
                raise LaunchError(f"the platform did not start within {timeout:g} s\n{self.tail()}")
            time.sleep(0.1)

    def start(self, timeout: float = START_TIMEOUT) -> LocalPlatform:
        """Spawn and wait; a failed start is stopped before ``LaunchError`` is raised."""
        self.spawn()
        try:
            self.wait_started(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def tail(self) -> str:
        """The runner's output and the end of each component's log (the emulator's last and shortest)."""
        logs = []
        paths = sorted(self.state_dir.glob("*.log"), key=lambda p: (p.name == "emulator.log", p.name))
        for path in paths:
            keep = 1000 if path.name == "emulator.log" else 3000
            logs.append(f"\n--- {path.name}\n{path.read_text(errors='replace')[-keep:]}")
        return self.output + "".join(logs)

    # --- stop ----------------------------------------------------------------------------------------

    def started_processes(self) -> set[int]:
        """Live processes carrying this launch's marker: the runner and all it started, orphans included."""
        needle = f"{MARKER}={self.marker}".encode()
        found = set()
        for entry in _proc_entries():
            if int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
        return {pid for pid in found if alive(pid)}

    def stop(self, timeout: float = STOP_TIMEOUT) -> set[int]:
        """SIGTERM the runner (it stops its components and snapshots), then SIGKILL whatever is left.

        Returns the pids that had to be killed (empty after a clean stop). Safe to call twice.
        """
        process = self.process
        if process is None:
            return set()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        leftovers = self.started_processes() if Path("/proc").is_dir() else set()
        if process.poll() is None:  # not reaped yet, so its pid cannot have been reused
            leftovers.add(process.pid)
        for pid in sorted(leftovers):
            try:
                if os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGKILL)  # each component leads its own session
                else:
                    os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if process.poll() is None:
            process.wait(timeout=5)
        limit = time.monotonic() + 5
        while any(alive(pid) for pid in leftovers) and time.monotonic() < limit:
            time.sleep(0.05)  # SIGKILL is delivered asynchronously
        return leftovers

    def _process(self) -> subprocess.Popen[str]:
        if self.process is None:
            raise RuntimeError("the platform was not started")
        return self.process

    def __enter__(self) -> LocalPlatform:
        return self.start() if self.process is None else self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
