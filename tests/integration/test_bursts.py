"""Bursts through the local front door: requests arriving all at once each get a real answer.

The whole ``make dev`` platform (``python -m infra.local.dev``: emulator, ``chalice local``, pump,
gateway) on free ports; 50 clients each open their own connection to the gateway at the same instant.
Every one must be answered by the API (no 502 from the gateway, no connection refused or reset).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.launcher import LocalPlatform
from tests.integration.test_dev_platform import DEMO_PASSWORD, login

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARALLEL = 50
DEMO_USERS = ("admin", "teacher1", "teacher2")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    with LocalPlatform(tmp_path_factory.mktemp("korrigo-bursts")) as runner:
        yield runner


def burst(port: int, request: Callable[[int], tuple[str, str, dict, dict]]) -> list[int | str]:
    """Send ``PARALLEL`` requests at once, one connection each: statuses, or the error that replaced one."""
    barrier = threading.Barrier(PARALLEL)

    def send(index: int) -> int | str:
        method, path, body, headers = request(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            barrier.wait()
            connection.request(method, path, body=json.dumps(body),
                               headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            response.read()
            return response.status
        except OSError as error:  # refused, reset, closed without an answer
            return type(error).__name__
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(send, range(PARALLEL)))


def test_fifty_sign_ins_at_once_are_all_answered(platform: LocalPlatform) -> None:
    def sign_in(index: int) -> tuple[str, str, dict, dict]:
        body = {"username": DEMO_USERS[index % len(DEMO_USERS)], "password": DEMO_PASSWORD}
        return "POST", "/api/login", body, {}

    statuses = burst(platform.port, sign_in)

    assert set(statuses) <= {200, 429}, Counter(statuses)  # 429: the per-account limit, never a 502
    assert statuses.count(200) >= len(DEMO_USERS), Counter(statuses)


def test_fifty_saves_at_once_are_all_answered(platform: LocalPlatform) -> None:
    staff = login(platform.port, "admin", DEMO_PASSWORD)
    headers = {"Cookie": staff.cookie, "X-CSRF-Token": staff.csrf}

    def create_exam(index: int) -> tuple[str, str, dict, dict]:
        body = {"name": f"Burst {index:02d}", "date": "2026-06-01", "subject": "Maths",
                "upload_mode": "INDIVIDUAL"}
        return "POST", "/api/exams", body, headers

    statuses = burst(platform.port, create_exam)

    assert statuses == [201] * PARALLEL, Counter(statuses)
