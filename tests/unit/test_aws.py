"""Every AWS client is built once, at start: requests, from any thread, only use them."""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
import pytest
from pynamodb.exceptions import DoesNotExist

from chalicelib import aws, storage
from chalicelib.models import ALL_MODELS, UniqueValue, User


def test_after_connect_reads_transactions_and_signed_urls_from_many_threads_build_no_client(
    mocked_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.connect()
    built: list[Any] = []
    create_client = botocore.session.Session.create_client

    def counting_create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return create_client(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting_create_client)
    errors: list[BaseException] = []

    def request(number: int) -> None:
        try:
            with pytest.raises(DoesNotExist):
                User.get(f"nobody-{number}")
            with aws.transact_write() as write:
                write.save(UniqueValue(f"claim#{number}", owner_id="someone"))
            assert storage.presigned_get(f"copies/{number}.pdf").startswith("http")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=request, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert built == []
    assert {value.value for value in UniqueValue.scan()} == {f"claim#{number}" for number in range(8)}


def test_connect_gives_every_model_a_client(mocked_aws: None) -> None:
    aws.connect()

    assert all(model._get_connection().connection._client is not None for model in ALL_MODELS)
    assert aws.dynamodb_connection()._client is not None


@pytest.fixture
def endpoint_env(monkeypatch: pytest.MonkeyPatch):
    """Set an endpoint variable for one test; every cached client and model connection is rebuilt after."""
    for name in aws.LOCAL_ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def fresh() -> None:
        aws.reset_clients()
        for model in ALL_MODELS:
            model._connection = None

    fresh()
    yield monkeypatch
    monkeypatch.undo()
    fresh()
    aws.connect()  # back on the mocked account, from the shared session (fresh ones cost ~0.1 s a model)


def test_without_a_local_endpoint_clients_are_plain_boto3_on_the_regional_endpoint(endpoint_env) -> None:
    assert aws.endpoint_url("s3") is None
    assert aws.client("sqs").meta.endpoint_url == "https://sqs.eu-west-3.amazonaws.com"


def test_aws_endpoint_url_is_the_endpoint_of_every_client_through_localstack_client(endpoint_env) -> None:
    endpoint_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")

    assert {aws.client(service).meta.endpoint_url for service in ("s3", "sqs", "dynamodb", "textract")} == {
        "http://127.0.0.1:4599"
    }
    assert aws.dynamodb_connection().client.meta.endpoint_url == "http://127.0.0.1:4599"


def test_localstack_host_alone_points_every_client_and_model_at_localstack(endpoint_env) -> None:
    endpoint_env.setenv("LOCALSTACK_HOST", "localstack.internal:4566")

    aws.connect()

    expected = "http://localstack.internal:4566"
    assert aws.client("s3").meta.endpoint_url == expected
    assert {model._get_connection().connection.client.meta.endpoint_url for model in ALL_MODELS} == {expected}


def test_batch_get_reads_items_of_several_tables_in_one_round_trip(mocked_aws: None) -> None:
    aws.connect()
    User("u1", username="alice", email="a@x.fr", role="ADMIN", password_hash="h").save()
    UniqueValue("claim#1", owner_id="u1").save()
    aws.reset_round_trips()

    found = aws.batch_get(User("u1"), UniqueValue("claim#1"), User("missing"), User("u1"))

    assert aws.round_trips() == 1
    assert [getattr(item, "id", None) or getattr(item, "value", None) for item in found] == [
        "u1", "claim#1", None, "u1"
    ]


def test_batch_get_asks_100_keys_at_a_time_and_answers_in_order(mocked_aws: None) -> None:
    aws.connect()
    with UniqueValue.batch_write() as batch:
        for n in range(150):
            batch.save(UniqueValue(f"claim#{n}", owner_id=f"u{n}"))
    aws.reset_round_trips()

    found = aws.batch_get(*(UniqueValue(f"claim#{n}") for n in range(150)))

    assert aws.round_trips() == 2
    assert [item.owner_id for item in found] == [f"u{n}" for n in range(150)]
