"""Lazily created boto3 clients; ``AWS_ENDPOINT_URL`` is the one switch between the emulator and AWS."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from chalicelib.settings import get_settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, signature_version="s3v4")


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` in the configured region (endpoint from the environment)."""
    return boto3.session.Session().client(service, region_name=get_settings().aws_region, config=_CONFIG)


@cache
def dynamodb_connection() -> Connection:
    """The process's PynamoDB connection for transactions: its botocore client is built once.

    Building a botocore client parses the endpoint and service models (~100 ms of CPU); a connection
    per transaction made every guarded write pay for it.
    """
    return Connection(region=get_settings().aws_region)


def transact_write() -> TransactWrite:
    """A DynamoDB transaction (all-or-nothing, conditions included) on the shared connection."""
    return TransactWrite(connection=dynamodb_connection())


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints between cases)."""
    client.cache_clear()
    dynamodb_connection.cache_clear()
