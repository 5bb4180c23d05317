"""``make dev``'s runner (``python -m infra.local.dev``) as a user runs it: its own emulator, on loopback.

Slow-ish (two start-ups of the whole platform, ~20 s in all) but part of the integration suite.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from infra.local.launcher import LocalPlatform, alive
from tests.integration.conftest import ROOT, port_open, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO_PASSWORD = "Korrigo-demo-2026"
SPA_INDEX = ROOT / "frontend" / "dist" / "index.html"
# Not @school.test: the API rejects special-use domains (.test, .local) as e-mail addresses;
# and a password containing the username is refused as too similar.
KEEPER = {"username": "keeper", "email": "keeper@school.example.org", "password": "Amber-Lantern-Harbor-4",
          "role": "teacher"}


# --- HTTP --------------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(port: int, method: str, path: str, body: dict | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    """One request to 127.0.0.1:port (JSON body if given)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if payload is not None else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


@dataclass
class Staff:
    """A signed-in staff session: the cookie and the CSRF token to send back."""

    port: int
    cookie: str
    csrf: str
    user: dict

    def call(self, method: str, path: str, body: dict | None = None) -> Reply:
        return call(self.port, method, path, body,
                    {"Cookie": self.cookie, "X-CSRF-Token": self.csrf})


def session_cookie(reply: Reply) -> str | None:
    """``korrigo_session=…`` from the Set-Cookie headers, if set."""
    for header in reply.headers.get_all("Set-Cookie") or []:
        pair = header.split(";", 1)[0].strip()
        if pair.startswith("korrigo_session=") and len(pair) > len("korrigo_session="):
            return pair
    return None


def login(port: int, username: str, password: str) -> Staff:
    reply = call(port, "POST", "/api/login", {"username": username, "password": password})
    assert reply.status == 200, reply.body
    cookie = session_cookie(reply)
    assert cookie, reply.headers.get_all("Set-Cookie")
    data = reply.json()
    return Staff(port, cookie, data["csrf_token"], data["user"])


# --- the runner (infra.local.launcher, shared with the e2e tests and bench.grading) -------------------

Runner = LocalPlatform


def spawn(port: int, api_port: int, emulator_port: int, state_dir: Path) -> Runner:
    """A runner started on these ports and state directory (not waited for: ``runner.wait_started()``)."""
    return LocalPlatform(state_dir, (port, api_port, emulator_port)).spawn()


def kill_runner(runner: Runner) -> None:
    """Teardown: SIGTERM the runner (it stops its children), then SIGKILL whatever is left of them."""
    runner.stop()


def started_by(runner: Runner) -> set[int]:
    """Live processes carrying the runner's marker: the runner and all it started, orphans included."""
    return runner.started_processes()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# --- listeners ---------------------------------------------------------------------------------------

def listening_addresses(pids: set[int]) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket held by ``pids``, from /proc."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
        except OSError:
            continue
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            rows = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address_hex, port_hex = local.split(":")
            raw = bytes.fromhex(address_hex)
            # /proc prints the address as host-order 32-bit words
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add((socket.inet_ntop(family, raw), int(port_hex, 16)))
    return found


def non_loopback_addresses() -> set[str]:
    """This machine's IPv4 addresses other than loopback (may be empty)."""
    addresses = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.add(info[4][0])
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent; picks the outgoing interface
            addresses.add(probe.getsockname()[0])
        except OSError:
            pass
    return {address for address in addresses
            if not address.startswith("127.") and address != "0.0.0.0"}  # noqa: S104 - filtered out


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("korrigo-state")


@pytest.fixture(scope="module")
def platform(state_dir: Path) -> Iterator[Runner]:
    """The first run of the platform (the restart test stops it and starts a second one)."""
    with LocalPlatform(state_dir) as runner:
        yield runner


@pytest.fixture
def spawned() -> Iterator[list[Runner]]:
    """Runners started inside a test, all killed at the end whatever happens."""
    runners: list[Runner] = []
    yield runners
    for runner in runners:
        kill_runner(runner)


# --- tests -------------------------------------------------------------------------------------------

def test_health_reports_database_and_storage_ok(platform):
    reply = call(platform.port, "GET", "/api/health")

    assert reply.status == 200
    assert reply.headers.get_content_type() == "application/json"
    data = reply.json()
    assert set(data) == {"status", "database", "storage", "timestamp"}
    assert (data["status"], data["database"], data["storage"]) == ("healthy", "ok", "ok")
    assert datetime.fromisoformat(data["timestamp"]).tzinfo is not None


def test_liveness_and_readiness_answer(platform):
    live = call(platform.port, "GET", "/api/health/live")
    ready = call(platform.port, "GET", "/api/health/ready")

    assert (live.status, live.json()) == (200, {"status": "alive"})
    assert (ready.status, ready.json()) == (200, {"status": "ready", "database": "ok"})


def test_demo_admin_signs_in_with_the_documented_password(platform):
    reply = call(platform.port, "POST", "/api/login", {"username": "admin", "password": DEMO_PASSWORD})

    assert reply.status == 200, reply.body
    assert session_cookie(reply) is not None
    data = reply.json()
    assert data["user"]["username"] == "admin"
    assert data["user"]["role"] == "admin"
    assert data["csrf_token"]


def test_wrong_password_is_refused(platform):
    reply = call(platform.port, "POST", "/api/login", {"username": "teacher2", "password": "nope"})

    assert reply.status == 401
    assert session_cookie(reply) is None


def test_output_lists_the_url_and_the_three_demo_logins(platform):
    output = platform.output

    assert f"Korrigo is running at http://127.0.0.1:{platform.port}" in output
    for username in ("admin", "teacher1", "teacher2"):
        assert any(line.split() == [username, DEMO_PASSWORD] for line in platform.lines), output


def test_gateway_serves_the_spa_on_root_and_client_routes(platform):
    if not SPA_INDEX.is_file():
        pytest.skip(f"{SPA_INDEX.relative_to(ROOT)} is missing: build the SPA first (make "
                    "frontend/dist/index.html)")
    index = SPA_INDEX.read_bytes()
    for path in ("/", "/admin", "/admin/users?page=2"):
        reply = call(platform.port, "GET", path)
        assert reply.status == 200, path
        assert reply.headers.get_content_type() == "text/html", path
        assert reply.body == index, path


def test_every_listener_is_on_loopback_only(platform):
    if not Path("/proc/net/tcp").is_file():
        pytest.skip("no /proc/net/tcp on this machine")
    pids = {platform.process.pid, *descendants(platform.process.pid)}

    listeners = listening_addresses(pids)

    assert {port for _, port in listeners} == set(platform.ports), listeners
    assert {address for address, _ in listeners} == {"127.0.0.1"}, listeners
    for address in non_loopback_addresses():
        for port in platform.ports:
            assert not port_open(port, address), f"port {port} answers on {address}"


def test_second_runner_on_the_same_state_dir_refuses_promptly(platform, spawned):
    second = spawn(platform.port, platform.api_port, platform.emulator_port, platform.state_dir)
    spawned.append(second)

    try:
        returncode = second.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the second runner did not exit:\n{second.output}")
    wait_until(lambda: "already running" in second.output, 5, "the refusal message")
    assert returncode != 0
    # ... and the first one is unharmed
    assert call(platform.port, "GET", "/api/health/live").status == 200


def test_sigterm_stops_everything_and_a_restart_keeps_the_state(platform, spawned):
    admin = login(platform.port, "admin", DEMO_PASSWORD)
    created = admin.call("POST", "/api/users", KEEPER)
    assert created.status == 201, created.body
    family = descendants(platform.process.pid)
    assert len(family) >= 4  # emulator, API, pump, gateway

    platform.process.send_signal(signal.SIGTERM)
    try:
        returncode = platform.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("the runner did not stop within 15 s of SIGTERM")
    assert returncode == 0
    wait_until(lambda: "korrigo: stopped." in platform.output, 5, "the stop message")
    for port in platform.ports:
        assert not port_open(port), f"port {port} still open after the runner stopped"
    assert not [pid for pid in family if alive(pid)], "children survived the runner"
    assert started_by(platform) == set(), "processes started by the runner survived it"

    second = spawn(platform.port, platform.api_port, platform.emulator_port, platform.state_dir)
    spawned.append(second)
    second.wait_started()

    assert "restoring the previous local state" in second.output
    again = login(second.port, "admin", DEMO_PASSWORD)
    assert again.user["id"] == admin.user["id"]  # the same account, not a re-seeded one
    teachers = again.call("GET", "/api/users?role=teacher")
    assert teachers.status == 200, teachers.body
    usernames = {user["username"] for user in teachers.json()["users"]}
    assert usernames == {"teacher1", "teacher2", "keeper"}
    keeper = login(second.port, KEEPER["username"], KEEPER["password"])
    assert keeper.user["must_change_password"] is True
