"""Sign-in throttling against the local AWS endpoint: the attempt is counted atomically before the
password is checked, so a burst of parallel guesses for one account gets at most five answers."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow
PASSWORD = "Granite-Harbor-Lamp-71"
PARALLEL = 50


def login(api, username: str, password: str):
    return api.http.post(
        "/api/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"username": username, "password": password}),
    )


def test_fifty_parallel_wrong_passwords_for_one_account_get_at_most_five_401(api):
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import users

    users.create_user(username="burst-target", email="burst-target@school.example.org", password=PASSWORD,
                      role=Role.TEACHER, must_change_password=False, actor=None, origin=Origin())
    barrier = threading.Barrier(PARALLEL)

    def guess(index: int) -> int:
        barrier.wait()
        identifier = "burst-target" if index % 2 else "burst-target@school.example.org"
        return login(api, identifier, f"Wrong-guess-{index:03d}").status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = list(pool.map(guess, range(PARALLEL)))
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 5 and statuses.count(429) >= PARALLEL - 5
    assert login(api, "burst-target", PASSWORD).status_code == 429  # the account waits, even right


def test_a_burst_against_one_account_does_not_lock_out_another_one(api):
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import users

    for name in ("burst-victim", "bystander"):
        users.create_user(username=name, email=f"{name}@school.example.org", password=PASSWORD,
                          role=Role.TEACHER, must_change_password=False, actor=None, origin=Origin())
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(lambda index: login(api, "burst-victim", f"Wrong-{index}"), range(20)))
    assert login(api, "bystander", PASSWORD).status_code == 200
