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
