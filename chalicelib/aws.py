"""AWS clients, built once per process; ``AWS_ENDPOINT_URL`` is the one switch between the emulator and AWS.

With a local endpoint configured (``AWS_ENDPOINT_URL``, or LocalStack's ``LOCALSTACK_HOST``), every
client's endpoint comes from ``localstack-client``'s configuration, so moto's server and a real LocalStack
are reached the same way; without one (in AWS), plain boto3 resolves the regional endpoints.

Every client comes from one botocore session: a client built from a fresh session parses botocore's
service and endpoint models (~100 ms of CPU, measured), from a shared one ~3 ms. PynamoDB would give each
model's connection a session of its own; ``connect`` seeds them with the shared one.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from chalicelib.settings import get_settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, signature_version="s3v4")
DYNAMODB_POOL = 64  # kept-alive connections of the shared DynamoDB client (PynamoDB's default: 10)


LOCAL_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST")


def local_endpoint_configured() -> bool:
    """True when a local AWS endpoint (moto's server, LocalStack) is configured in the environment."""
    return any(os.environ.get(name, "").strip() for name in LOCAL_ENDPOINT_VARIABLES)


@cache
def endpoint_url(service: str) -> str | None:
    """The local endpoint of ``service`` from localstack-client's configuration, or None in AWS.

    localstack-client knows no endpoint for a few services (``textract``): they get the edge endpoint
    every other service shares.
    """
    if not local_endpoint_configured():
        return None
    from localstack_client.config import get_service_endpoints  # local mode only: not in the Lambda bundle

    endpoints = get_service_endpoints()
    return endpoints.get(service) or endpoints["s3"]


@cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _boto3_session() -> boto3.session.Session:
    return boto3.session.Session(botocore_session=_botocore_session())


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` in the configured region (local endpoint if configured)."""
    return _boto3_session().client(
        service, region_name=get_settings().aws_region, endpoint_url=endpoint_url(service), config=_CONFIG
    )


@cache
def dynamodb_connection() -> Connection:
    """The process's PynamoDB connection (one botocore client, not one per write), which every model shares.

    Its pool keeps up to ``DYNAMODB_POOL`` open connections: ``chalice local`` serves a burst of requests in
    as many threads, all on this one client (a Lambda serves one request at a time).
    """
    return Connection(
        region=get_settings().aws_region, host=endpoint_url("dynamodb"), max_pool_connections=DYNAMODB_POOL
    )


def transact_write() -> TransactWrite:
    """A DynamoDB transaction (all-or-nothing, conditions included) on the shared connection."""
    return TransactWrite(connection=dynamodb_connection())


def connect() -> None:
    """Build every client the API uses now: S3, DynamoDB, each model's and the transactions' connection.

    Called once when the API is imported (the Lambda init phase; before ``chalice local`` serves its
    threads), so no request pays for a client and concurrent first requests do not each build one.
    18 models: 1.9 s of CPU from fresh sessions, 0.12 s from the shared one (measured). Every model's
    connection then gets the transactions' DynamoDB client (botocore clients are thread-safe, and the
    models' connections are configured alike): one client built instead of 19, ~8 ms each here.
    """
    from chalicelib.models import ALL_MODELS  # the models import this module's settings only

    for service in ("s3", "dynamodb"):
        client(service)
    shared = dynamodb_connection()
    shared._local.session = _botocore_session()  # PynamoDB's per-thread session slot, this thread's
    dynamodb = shared.client
    for model in ALL_MODELS:
        connection = model._get_connection().connection
        connection.host = connection.host or endpoint_url("dynamodb")  # models leave ``Meta.host`` unset
        connection._client = dynamodb


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints between cases)."""
    for cached in (client, dynamodb_connection, endpoint_url, _boto3_session, _botocore_session):
        cached.cache_clear()
