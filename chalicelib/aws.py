"""AWS clients, built once per process; ``AWS_ENDPOINT_URL`` is the one switch between the emulator and AWS.

With a local endpoint configured (``AWS_ENDPOINT_URL``, or LocalStack's ``LOCALSTACK_HOST``), every
client's endpoint comes from ``localstack-client``'s configuration, so moto's server and a real LocalStack
are reached the same way; without one (in AWS), botocore resolves the regional endpoints.

Every client comes from one botocore session: a client built from a fresh session parses botocore's
service and endpoint models (~100 ms of CPU, measured), from a shared one ~3 ms. PynamoDB would give each
model's connection a session of its own; ``connect`` seeds them with the shared one.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config
from pynamodb.connection import Connection
from pynamodb.models import Model
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


_ROUND_TRIPS = threading.local()


def _count_round_trip(**_: Any) -> None:
    _ROUND_TRIPS.count = getattr(_ROUND_TRIPS, "count", 0) + 1


def round_trips() -> int:
    """AWS requests this thread has sent since ``reset_round_trips`` (every client of the shared session).

    The API logs it on each request's line: every round trip is latency and cost on every autosave.
    """
    return getattr(_ROUND_TRIPS, "count", 0)


def reset_round_trips() -> None:
    """Start counting this thread's AWS requests from zero (at the start of each API request)."""
    _ROUND_TRIPS.count = 0


@cache
def _botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    # Registered before any client exists: each client copies the session's handlers when it is built.
    session.register("before-send", _count_round_trip, unique_id="korrigo-round-trips")
    return session


@cache
def client(service: str) -> Any:
    """A cached client for ``service`` in the configured region (local endpoint if configured).

    A plain botocore client (importing boto3 costs the API's cold start ~60 ms and adds nothing it
    uses): boto3's transfer helpers are imported where used (``functions.ingest``). DynamoDB's is the
    PynamoDB connection's: one client for the models, the transactions and direct calls.
    """
    if service == "dynamodb":
        return _dynamodb_client()
    return _botocore_session().create_client(
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


#: The most keys DynamoDB takes in one ``BatchGetItem``.
BATCH_GET_KEYS = 100


def batch_get(*items: Model) -> list[Model | None]:
    """Consistent reads of ``items`` (keys set; any tables) in one ``BatchGetItem`` round trip per
    100 distinct keys.

    Returns the stored item for each one, in the same order, or None where nothing is stored. Keys the
    service leaves unprocessed (throttling) are asked again; they are rare and never silently dropped.
    """
    distinct: list[tuple[str, dict[str, Any]]] = []
    slots: dict[tuple[str, str], list[int]] = {}
    for position, item in enumerate(items):
        table = type(item).Meta.table_name
        key = _key_of(item)
        marker = _marker(key)
        if (table, marker) not in slots:
            distinct.append((table, key))
        slots.setdefault((table, marker), []).append(position)
    found: list[Model | None] = [None] * len(items)
    models = {type(item).Meta.table_name: type(item) for item in items}
    client = dynamodb_connection().client
    for start in range(0, len(distinct), BATCH_GET_KEYS):
        wanted: dict[str, dict[str, Any]] = {}
        for table, key in distinct[start : start + BATCH_GET_KEYS]:
            wanted.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        while wanted:
            answer = client.batch_get_item(RequestItems=wanted)
            for table, stored in answer.get("Responses", {}).items():
                model = models[table]
                for raw in stored:
                    loaded = model.from_raw_data(raw)
                    for position in slots.get((table, _marker(_key_of(loaded))), []):
                        found[position] = loaded
            wanted = answer.get("UnprocessedKeys") or {}
    return found


def _key_of(item: Model) -> dict[str, Any]:
    key: dict[str, Any] = {}
    for name in (item._hash_keyname, item._range_keyname):
        if name:
            attribute = item.get_attributes()[name]
            key[attribute.attr_name] = {attribute.attr_type: attribute.serialize(getattr(item, name))}
    return key


def _marker(key: dict[str, Any]) -> str:
    return repr(sorted((name, sorted(value.items())) for name, value in key.items()))


class Transaction(TransactWrite):
    """PynamoDB's ``TransactWrite`` that can tell which of its calls a cancellation reason is about.

    PynamoDB sends condition checks first, then deletes, puts and updates, whatever the call order, and
    DynamoDB's cancellation reasons follow what was sent: ``reasons`` puts them back in call order.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._calls: list[tuple[int, int]] = []  # (kind in sending order, position within the kind)

    @property
    def call_count(self) -> int:
        """How many writes and checks were added so far."""
        return len(self._calls)

    def _kinds(self) -> list[list[Any]]:
        return [self._condition_check_items, self._delete_items, self._put_items, self._update_items]

    def _called(self, kind: int) -> None:
        self._calls.append((kind, len(self._kinds()[kind])))

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        self._called(0)
        super().condition_check(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self._called(1)
        super().delete(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._called(2)
        super().save(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._called(3)
        super().update(*args, **kwargs)

    def reasons(self, error: Exception) -> list[str | None]:
        """The cancellation reason code of each call, in call order (None where it was not the cause)."""
        cancelled = getattr(error, "cancellation_reasons", None) or []
        sent = [getattr(reason, "code", None) for reason in cancelled]
        offsets = [0]
        for items in self._kinds()[:-1]:
            offsets.append(offsets[-1] + len(items))
        found = [offsets[kind] + position for kind, position in self._calls]
        return [sent[index] if index < len(sent) else None for index in found]


@cache
def _dynamodb_client() -> Any:
    """The shared PynamoDB connection's botocore client, built from the shared (counted) session."""
    shared = dynamodb_connection()
    shared._local.session = _botocore_session()  # PynamoDB's per-thread session slot, this thread's
    return shared.client


def transact_write() -> Transaction:
    """A DynamoDB transaction (all-or-nothing, conditions included) on the shared connection."""
    return Transaction(connection=dynamodb_connection())


def connect() -> None:
    """Build every client the API uses now: S3, DynamoDB, each model's and the transactions' connection.

    Called once when the API is imported (the Lambda init phase; before ``chalice local`` serves its
    threads), so no request pays for a client and concurrent first requests do not each build one.
    18 models: 1.9 s of CPU from fresh sessions, 0.12 s from the shared one (measured). Every model's
    connection then gets the transactions' DynamoDB client (botocore clients are thread-safe, and the
    models' connections are configured alike): one client built instead of 19, ~8 ms each here.
    """
    from chalicelib.models import ALL_MODELS  # the models import this module's settings only

    client("s3")
    dynamodb = _dynamodb_client()
    for model in ALL_MODELS:
        connection = model._get_connection().connection
        connection.host = connection.host or endpoint_url("dynamodb")  # models leave ``Meta.host`` unset
        connection._client = dynamodb


def reset_clients() -> None:
    """Drop cached clients (tests switch endpoints between cases)."""
    for cached in (client, dynamodb_connection, _dynamodb_client, endpoint_url, _botocore_session):
        cached.cache_clear()
