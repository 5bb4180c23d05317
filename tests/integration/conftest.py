"""Integration tests run against a real local AWS endpoint: moto's server, started by the tests.

The endpoint's port is chosen when this module is imported, and ``AWS_ENDPOINT_URL`` is set at once,
before anything imports ``chalicelib`` models (PynamoDB caches one connection per model class).
The server itself is started by the session fixture ``aws_endpoint`` and stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts whole processes (seconds each), still part of the suite")


# --- ports and processes -----------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Wait until 127.0.0.1:port accepts connections; fail early if ``process`` dies meanwhile."""

    def ready() -> bool:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process {process.args!r} exited with {process.returncode} "
                                 f"before listening on port {port}")
        return port_open(port)

    wait_until(ready, timeout, f"a listener on 127.0.0.1:{port}")


def stop_process_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the process group led by ``process`` (started with start_new_session), then SIGKILL."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group, even if the leader exited
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=5)


# --- the endpoint --------------------------------------------------------------------------------------

MOTO_PORT = free_port()
ENDPOINT = f"http://127.0.0.1:{MOTO_PORT}"
os.environ["AWS_ENDPOINT_URL"] = ENDPOINT  # before chalicelib (and PynamoDB) is imported anywhere


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server on 127.0.0.1:MOTO_PORT for the whole run, the one endpoint of every client."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTO_")}
    log_path = tmp_path_factory.mktemp("moto") / "moto-server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(MOTO_PORT, 30, process)
        os.environ["AWS_ENDPOINT_URL"] = ENDPOINT
        from chalicelib import aws
        from chalicelib.settings import get_settings, reset_settings_cache

        reset_settings_cache()
        aws.reset_clients()
        assert get_settings().aws_endpoint_url == ENDPOINT
        yield ENDPOINT
    finally:
        stop_process_group(process)


@pytest.fixture(scope="session")
def provisioned(aws_endpoint: str) -> dict[str, Any]:
    """Every table, the bucket, the queues and the S3 → SQS routes; the summary of the first run."""
    from infra.local.provision import provision

    return provision()


@pytest.fixture(scope="session")
def settings(provisioned: dict[str, Any]):
    from chalicelib.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
def s3(provisioned: dict[str, Any]):
    from chalicelib import aws

    return aws.client("s3")


@pytest.fixture(scope="session")
def sqs(provisioned: dict[str, Any]):
    from chalicelib import aws

    return aws.client("sqs")


def queue_url(sqs, settings, function: str, dead_letter: bool = False) -> str:
    return sqs.get_queue_url(QueueName=settings.queue_name(function, dead_letter))["QueueUrl"]


@pytest.fixture
def empty_route_queues(sqs, settings) -> dict[str, str]:
    """Every route's queue and dead-letter queue purged (moto purges at once); function → queue URL."""
    from chalicelib.resources import EVENT_ROUTES

    urls = {}
    for route in EVENT_ROUTES:
        for dead_letter in (False, True):
            url = queue_url(sqs, settings, route.function, dead_letter)
            sqs.purge_queue(QueueUrl=url)
            if not dead_letter:
                urls[route.function] = url
    return urls


#: The password of the staff accounts the integration tests create.
STAFF_PASSWORD = "Granite-Harbor-Lamp-71"


@pytest.fixture(scope="module")
def api(provisioned: dict[str, Any]):
    """The API in-process (Chalice's test client) against the provisioned local endpoint."""
    from chalice.test import Client

    from tests.support.chalice_app import thread_safe_app

    with Client(thread_safe_app()) as client:
        yield client


def account(api, username: str, role: str = "admin") -> dict[str, str]:
    """Create a staff account (once) and sign it in; the headers to send."""
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import auth, users

    if auth.find_staff(username) is None:
        users.create_user(
            username=username,
            email=f"{username}@school.example.org",
            password=STAFF_PASSWORD,
            role=Role(role),
            must_change_password=False,
            actor=None,
            origin=Origin(),
        )
    response = api.http.post(
        "/api/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"username": username, "password": STAFF_PASSWORD}),
    )
    assert response.status_code == 200, response.body
    return {
        "Cookie": response.headers["Set-Cookie"].split(";")[0],
        "X-CSRF-Token": json.loads(response.body)["csrf_token"],
        "Content-Type": "application/json",
    }
