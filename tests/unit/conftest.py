"""Unit tests run the API and services against in-process AWS mocks (moto ``mock_aws``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

os.environ.pop("AWS_ENDPOINT_URL", None)  # mock_aws does not intercept a configured endpoint

import freezegun
from chalice.test import Client

from chalicelib import aws
from chalicelib.domain.principal import Origin
from chalicelib.domain.roles import Role
from chalicelib.models import ALL_MODELS
from chalicelib.services import users
from chalicelib.settings import reset_settings_cache
from infra.local.provision import provision

# freezegun walks every loaded module; Powertools' lazily imported parser would then build its pydantic
# models while datetime is frozen (FakeDatetime has no schema). Its modules never read our clock.
freezegun.configure(extend_ignore_list=["aws_lambda_powertools"])

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(scope="session")
def mocked_aws() -> Iterator[None]:
    """One mocked AWS account for the run, with every table, the bucket and the queues."""
    reset_settings_cache()
    aws.reset_clients()
    with mock_aws():
        for model in ALL_MODELS:
            model._connection = None
        provision()
        yield
    aws.reset_clients()


@pytest.fixture(autouse=True)
def clean_state(mocked_aws: None) -> Iterator[None]:
    """Each test starts with empty tables (cheaper than re-creating them) and nothing remembered."""
    from chalicelib.services import copy_reads, question_grading

    yield
    copy_reads.forget_all()
    question_grading.forget_rubrics()
    for model in ALL_MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


@pytest.fixture
def api() -> Iterator[Client]:
    """A Chalice test client of the real app."""
    from tests.support.chalice_app import thread_safe_app

    with Client(thread_safe_app()) as client:
        yield client


@dataclass
class Session:
    """A signed-in test caller: the cookie and CSRF headers to send."""

    user_id: str
    cookie: str
    csrf: str

    def headers(self, csrf: bool = True) -> dict[str, str]:
        headers = {"Cookie": self.cookie, "Content-Type": "application/json"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return headers


def make_user(username: str, role: Role = Role.TEACHER, password: str = PASSWORD,
              must_change_password: bool = False):
    """Create a staff account directly through the service."""
    return users.create_user(username=username, email=f"{username}@school.example.org", password=password,
                             role=role, must_change_password=must_change_password, actor=None,
                             origin=Origin(ip="test"))


def sign_in(api: Client, username: str, password: str = PASSWORD) -> Session:
    """Log in through the API and keep the cookie and CSRF token."""
    import json

    response = api.http.post("/api/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"username": username, "password": password}))
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    cookie = response.headers["Set-Cookie"].split(";")[0]
    return Session(body["user"]["id"], cookie, body["csrf_token"])


@pytest.fixture
def admin(api: Client) -> Session:
    """A signed-in admin."""
    make_user("principal", Role.ADMIN)
    return sign_in(api, "principal")


@pytest.fixture
def teacher(api: Client) -> Session:
    """A signed-in teacher."""
    make_user("mrsmith", Role.TEACHER)
    return sign_in(api, "mrsmith")
