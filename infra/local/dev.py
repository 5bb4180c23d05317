"""``make dev``: the whole platform on 127.0.0.1 — emulator, tables, API, event pump, SPA, demo data.

Starts moto's server as the LocalStack-compatible endpoint (unless ``AWS_ENDPOINT_URL`` points at a
running LocalStack), provisions every resource, seeds the demo accounts, runs ``chalice local``, the
event pump and the one-origin gateway, prints the URL and the logins, and stops everything it started
on Ctrl-C or SIGTERM. A second instance says so and exits.
"""

from __future__ import annotations

import fcntl
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

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.state_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def start_emulator(self) -> str:
        """The AWS endpoint: the configured one (LocalStack), or moto's server with recorded state."""
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
        recording = self.state_dir / "moto-recording.jsonl"
        restore = recording.exists() and recording.stat().st_size > 0
        self.env.update(MOTO_ENABLE_RECORDING="1", MOTO_RECORDER_FILEPATH=str(recording))
        self._start(
            "emulator",
            [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1",
             "-p", str(self.emulator_port)],
        )
        self.wait_for(lambda: port_open("127.0.0.1", self.emulator_port), 30, "the AWS emulator")
        if restore:
            print("korrigo: restoring the previous local state…")
            request = urllib.request.Request(  # noqa: S310 - loopback only
                f"{endpoint}/moto-api/recorder/replay-recording", method="POST"
            )
            urllib.request.urlopen(request, timeout=600).close()  # noqa: S310 - loopback only
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
        """Tables, bucket, queues, notifications, demo accounts; returns the demo usernames."""
        from chalicelib.observability import logger
        from chalicelib.services.demo import DEMO_ACCOUNTS, seed_demo_accounts
        from infra.local.provision import provision

        logger.setLevel("WARNING")  # the audit lines of seeding are not news on the console

        provision()
        seed_demo_accounts()
        return [username for username, _, _ in DEMO_ACCOUNTS]

    def start_services(self) -> None:
        """chalice local, the event pump and the gateway; waits until the health route answers."""
        chalice = str(Path(sys.executable).parent / "chalice")
        self._start(
            "api",
            [
                chalice,
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
        """Stop every child, newest first (SIGTERM, then SIGKILL after 5 s)."""
        for _, process in reversed(self.children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(self.children):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.children.clear()


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
    state_dir.mkdir(parents=True, exist_ok=True)
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
            time.sleep(0.5)
        return 0
    finally:
        platform.stop()
        lock.close()
        print("korrigo: stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
