"""``make dev``: the whole platform on 127.0.0.1 — emulator, tables, API, event pump, SPA, demo data.

Starts moto's server as the LocalStack-compatible endpoint (unless ``AWS_ENDPOINT_URL`` points at a
running LocalStack), provisions every resource, restores the last snapshot of ``.korrigo/state/``,
seeds the demo accounts, runs ``chalice local``, the event pump and the one-origin gateway, prints the
URL and the logins, and stops everything it started on Ctrl-C or SIGTERM. A second instance says so
and exits.

Data survives restarts through ``infra.backup.Snapshots``: a snapshot every few seconds while the
stack changes (``KORRIGO_SNAPSHOT_SECONDS``, default 3, or ten times as long as the last one took when
that is longer; only new or changed objects are copied) and
one at stop, each complete or absent (a SIGKILL leaves the previous one). ``.korrigo/`` is private to
its owner: umask 077, directories 0700, files 0600.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = ROOT / ".korrigo"
SNAPSHOT_SECONDS = float(os.environ.get("KORRIGO_SNAPSHOT_SECONDS", "3"))
# A snapshot reads every table and lists every object: the next one waits at least this many times as
# long as the last one took, so snapshots never take more than ~1/10 of the emulator's time.
SNAPSHOT_COST_FACTOR = 10
#: What ``python -m infra.backup`` needs to reach this stack (written to ``.korrigo/dev.json``).
SHARED_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                    "KORRIGO_RESOURCE_PREFIX", "KORRIGO_BUCKET_NAME", "KORRIGO_STAGE")


def make_private(state_dir: Path) -> None:
    """``state_dir`` and everything in it readable by its owner only (0700 dirs, 0600 files)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for directory, subdirectories, files in os.walk(state_dir):
        os.chmod(directory, 0o700)
        for name in files:
            path = Path(directory) / name
            if not path.is_symlink():
                os.chmod(path, 0o600)
        subdirectories[:] = [name for name in subdirectories if not (Path(directory) / name).is_symlink()]


def port_open(host: str, port: int) -> bool:
    """True when something accepts connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until true or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"korrigo: {what} did not come up within {timeout:.0f} s")


def http_ok(url: str) -> bool:
    """True when GET url answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


class Platform:
    """The processes of a local Korrigo, started in order and stopped in reverse."""

    def __init__(self, port: int, state_dir: Path) -> None:
        self.port, self.api_port = port, int(os.environ.get("KORRIGO_API_PORT", port + 1))
        self.emulator_port = int(os.environ.get("KORRIGO_EMULATOR_PORT", 4566))
        self.state_dir = state_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.env = dict(os.environ)
        self.url = f"http://127.0.0.1:{port}"
        self.own_emulator = False
        self.snapshots_on = False  # only once the previous state is restored: never snapshot an empty start
        self.last_snapshot = 0.0
        self.snapshot_cost = 0.0  # seconds the last snapshot took

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.state_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def start_emulator(self) -> str:
        """The AWS endpoint: the configured one (LocalStack), or moto's server (state kept in memory)."""
        configured = os.environ.get("AWS_ENDPOINT_URL")
        if configured:
            print(f"korrigo: using the AWS endpoint {configured}")
            return configured
        endpoint = f"http://127.0.0.1:{self.emulator_port}"
        if port_open("127.0.0.1", self.emulator_port):
            raise SystemExit(
                f"korrigo: port {self.emulator_port} is taken; stop what runs there "
                "or set KORRIGO_EMULATOR_PORT"
            )
        for name in list(self.env):
            if name.startswith("MOTO_ENABLE_RECORDING") or name.startswith("MOTO_RECORDER"):
                del self.env[name]  # the request log replaced by snapshots (issue 11)
        if (self.state_dir / "moto-recording.jsonl").exists():
            print(f"korrigo: {self.state_dir}/moto-recording.jsonl is no longer used (data now lives in "
                  f"{self.state_dir}/state); delete it")
        self._start(
            "emulator",
            [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1",
             "-p", str(self.emulator_port)],
        )
        self.wait_for(lambda: port_open("127.0.0.1", self.emulator_port), 30, "the AWS emulator")
        self.own_emulator = True
        return endpoint

    def configure(self, endpoint: str) -> None:
        """The environment every component shares (read before chalicelib is imported)."""
        self.env.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": self.env.get("AWS_DEFAULT_REGION", "eu-west-3"),
                "AWS_ACCESS_KEY_ID": self.env.get("AWS_ACCESS_KEY_ID", "test"),
                "AWS_SECRET_ACCESS_KEY": self.env.get("AWS_SECRET_ACCESS_KEY", "test"),
                "KORRIGO_STAGE": "local",
                "KORRIGO_TRUST_FORWARDED_FOR": "true",
                "KORRIGO_ALLOWED_ORIGINS": f'["{self.url}", "http://localhost:{self.port}"]',
                "KORRIGO_PUBLIC_STORAGE_URL": f"{self.url}/storage",
            }
        )
        os.environ.update(self.env)

    def provision_and_seed(self) -> list[str]:
        """Tables, bucket, queues, notifications, the last snapshot, demo accounts; the demo usernames."""
        from chalicelib.observability import logger
        from chalicelib.services.demo import DEMO_ACCOUNTS, seed_demo_accounts
        from infra.local.provision import provision

        logger.setLevel("WARNING")  # the audit lines of seeding are not news on the console

        provision()
        self.restore_snapshot()
        seed_demo_accounts()
        return [username for username, _, _ in DEMO_ACCOUNTS]

    @property
    def snapshots(self):  # -> infra.backup.Snapshots (imported once the environment is configured)
        from infra.backup import Snapshots

        return Snapshots(self.state_dir / "state")

    def restore_snapshot(self) -> None:
        """Put the last snapshot back (before the API and the pump start); then snapshots may be taken."""
        from infra.backup import BackupError, NotEmpty, restore, summary

        latest = self.snapshots.latest()
        if latest is not None:
            print("korrigo: restoring the previous local state…", flush=True)
            started = time.monotonic()
            try:
                manifest = restore(latest)
            except NotEmpty:
                if self.own_emulator:
                    raise
                print(f"korrigo: {self.env['AWS_ENDPOINT_URL']} already holds data: keeping it, "
                      f"{latest} is not restored")
            except BackupError as error:
                raise SystemExit(f"korrigo: the local state {latest} could not be restored: {error}\n"
                                 f"Move {latest} aside to start without it.") from None
            else:
                print(f"korrigo: restored {summary(manifest)} in {time.monotonic() - started:.1f} s")
        self.snapshots.prune(keep=latest)
        self.snapshots_on = True

    def snapshot(self, force: bool = False) -> None:
        """Snapshot the stack if due or ``force``; a failure is reported.

        Due every ``SNAPSHOT_SECONDS``, or ``SNAPSHOT_COST_FACTOR`` times the last snapshot's duration
        when that is longer (a large state is captured less often, so requests keep the emulator).
        """
        interval = max(SNAPSHOT_SECONDS, SNAPSHOT_COST_FACTOR * self.snapshot_cost)
        if not self.snapshots_on or (not force and time.monotonic() - self.last_snapshot < interval):
            return
        started = time.monotonic()
        try:
            self.snapshots.take()
        except Exception as error:  # noqa: BLE001 - reported, retried at the next tick
            print(f"korrigo: snapshot failed ({error}); the previous one is kept",
                  file=sys.stderr, flush=True)
        self.last_snapshot = time.monotonic()
        self.snapshot_cost = self.last_snapshot - started

    def record(self) -> None:
        """``.korrigo/dev.json``: this process and its stack, for ``make backup`` / ``make restore``."""
        info = {"pid": os.getpid(), "url": self.url,
                "environment": {name: self.env[name] for name in SHARED_VARIABLES if name in self.env}}
        path = self.state_dir / "dev.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(info), encoding="utf-8")
        os.replace(temporary, path)

    def forget(self) -> None:
        """Remove ``dev.json`` (the stack is gone)."""
        (self.state_dir / "dev.json").unlink(missing_ok=True)

    def start_services(self) -> None:
        """chalice local, the event pump and the gateway; waits until the health route answers."""
        chalice = [sys.executable, "-m", "infra.local.chalice_local"]  # chalice's CLI, backlog for bursts
        self._start(
            "api",
            [
                *chalice,
                "local",
                "--no-autoreload",
                "--stage",
                "dev",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
            ],
        )
        self._start("pump", [sys.executable, "-m", "infra.local.pump"])
        self._start(
            "gateway",
            [
                sys.executable,
                "-m",
                "infra.local.gateway",
                "--port",
                str(self.port),
                "--api-port",
                str(self.api_port),
                "--static",
                str(ROOT / "frontend" / "dist"),
                "--storage-endpoint",
                self.env["AWS_ENDPOINT_URL"],
            ],
        )
        self.wait_for(lambda: http_ok(f"{self.url}/api/health/live"), 60, "the API")

    def wait_for(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        """``wait_until``, failing at once (with the log to read) if a child process dies meanwhile."""

        def ready() -> bool:
            dead = self.dead_child()
            if dead:
                raise SystemExit(f"korrigo: the {dead} process stopped; see {self.state_dir}/{dead}.log")
            return check()

        wait_until(ready, timeout, what)

    def dead_child(self) -> str | None:
        """The name of a child that exited, if any."""
        return next((name for name, process in self.children if process.poll() is not None), None)

    def stop(self) -> None:
        """Stop the services, take the last snapshot, then stop the emulator (SIGTERM, SIGKILL after 5 s)."""
        emulator = [(name, process) for name, process in self.children if name == "emulator"]
        self._stop([(name, process) for name, process in self.children if name != "emulator"])
        if all(process.poll() is None for _, process in emulator):
            self.snapshot(force=True)
        self._stop(emulator)
        self.children.clear()

    @staticmethod
    def _stop(children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
        for _, process in reversed(children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(children):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def acquire_single_instance(state_dir: Path, port: int):
    """Hold the dev lock, or exit with a clear message when another ``make dev`` holds it."""
    lock = open(state_dir / "dev.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        raise SystemExit(
            f"korrigo: already running ({lock.read().strip()}); stop it with Ctrl-C in its terminal first"
        ) from None
    if port_open("127.0.0.1", port):
        raise SystemExit(f"korrigo: port {port} is already in use; set PORT to use another one")
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}, http://127.0.0.1:{port}")
    lock.flush()
    return lock


def main() -> int:
    """Run the platform until interrupted; non-zero if a component dies."""
    port = int(os.environ.get("PORT", "8000"))
    state_dir = Path(os.environ.get("KORRIGO_STATE_DIR", DEFAULT_STATE_DIR))
    os.umask(0o077)  # logs, snapshots (password hashes, sessions): the owner's only, children included
    make_private(state_dir)
    lock = acquire_single_instance(state_dir, port)
    platform = Platform(port, state_dir)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        platform.configure(platform.start_emulator())
        usernames = platform.provision_and_seed()
        platform.start_services()
        platform.record()
        from chalicelib.settings import get_settings

        password = get_settings().effective_demo_password()
        print(f"\nKorrigo is running at {platform.url}\n")
        print("Demo logins (staff sign-in):")
        for username in usernames:
            print(f"  {username:<10} {password}")
        print(f"\nLogs: {state_dir}/*.log — press Ctrl-C to stop.", flush=True)
        while not stopping:
            dead = platform.dead_child()
            if dead:
                print(f"korrigo: the {dead} process stopped; see {state_dir}/{dead}.log", file=sys.stderr)
                return 1
            platform.snapshot()
            time.sleep(0.5)
        return 0
    finally:
        platform.forget()
        platform.stop()
        lock.close()
        print("korrigo: stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
