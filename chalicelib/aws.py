"""Lazily created boto3 clients; ``AWS_ENDPOINT_URL`` is the one switch between the emulator and AWS."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, signature_version="s3v4")


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` in the configured region (endpoint from the environment)."""
    return boto3.session.Session().client(service, region_name=get_settings().aws_region, config=_CONFIG)


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints between cases)."""
    client.cache_clear()
