"""A lean cold start: the API's init loads only what requests need, builds one DynamoDB client and does
not spend its time collecting garbage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib import aws
from chalicelib.models import ALL_MODELS

ROOT = Path(__file__).resolve().parents[2]
# Loaded where used: password strength (new passwords), e-mail validation (user creation, roster lines),
# credential sheets (roster imports), Argon2 (sign-in and new passwords).
RARELY_NEEDED = ("rapidfuzz", "zxcvbn", "email_validator", "cryptography", "argon2")
# Never needed by the API: the settings are read without pydantic-settings (and the asyncio it imports).
NEVER_NEEDED = ("pydantic_settings", "asyncio")


def _in_a_fresh_api_process(expression: str) -> object:
    """The JSON value of ``expression`` in a new interpreter that has just imported the API."""
    code = f"import gc, json, sys, app; print(json.dumps({expression}))"
    env = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "eu-west-3",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def test_importing_the_api_loads_none_of_the_rarely_needed_libraries() -> None:
    loaded = _in_a_fresh_api_process(f"[m for m in {RARELY_NEEDED + NEVER_NEEDED!r} if m in sys.modules]")

    assert loaded == []


def test_the_api_init_leaves_its_objects_frozen_and_the_collector_running() -> None:
    collecting, frozen = _in_a_fresh_api_process("[gc.isenabled(), gc.get_freeze_count()]")

    assert collecting is True
    assert frozen > 10_000  # init's modules, classes and clients: out of every later collection's scan


def test_every_model_shares_the_one_dynamodb_client_built_at_connect(mocked_aws: None) -> None:
    aws.connect()

    shared = aws.dynamodb_connection().client
    assert all(model._get_connection().connection.client is shared for model in ALL_MODELS)
