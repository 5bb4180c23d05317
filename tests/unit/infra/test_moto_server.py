"""The local emulator's transactions: all or nothing, each failed item's reason in order, and a failed
transaction puts back exactly the items it had changed (no whole-table copies)."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib import aws
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Draft
from chalicelib.models.users import UniqueValue
from infra.local.moto_server import serialise_dynamodb_writes


@pytest.fixture
def undo_log_transactions(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items)
    for name in ("put_item", "update_item", "delete_item"):
        monkeypatch.setattr(DynamoDBBackend, name, getattr(DynamoDBBackend, name))
    serialise_dynamodb_writes()
    aws.connect()


def test_a_failed_transaction_puts_back_what_it_changed_and_names_the_failed_item(undo_log_transactions):
    Copy("c1", exam_id="e1", upload_id="u1", anonymous_id="A-1", status="READY").save()
    Draft("c1", version=1, client_id="x", author_id="t", payload={"a": 1}).save()
    UniqueValue("taken", owner_id="someone").save()

    with pytest.raises(TransactWriteError) as error, aws.transact_write() as write:
        write.update(Copy("c1"), actions=[Copy.status.set("LOCKED")])
        write.delete(Draft("c1"))
        write.save(UniqueValue("new", owner_id="me"))
        write.save(UniqueValue("taken", owner_id="me"), condition=UniqueValue.value.does_not_exist())

    assert write.reasons(error.value) == [None, None, None, "ConditionalCheckFailed"]
    assert Copy.get("c1", consistent_read=True).status == "READY"
    assert Draft.get("c1", consistent_read=True).payload == {"a": 1}
    assert {item.value: item.owner_id for item in UniqueValue.scan()} == {"taken": "someone"}


def test_a_transaction_that_holds_applies_every_item(undo_log_transactions):
    Copy("c1", exam_id="e1", upload_id="u1", anonymous_id="A-1", status="READY").save()

    with aws.transact_write() as write:
        write.update(Copy("c1"), actions=[Copy.status.set("LOCKED")], condition=Copy.status == "READY")
        write.save(UniqueValue("new", owner_id="me"), condition=UniqueValue.value.does_not_exist())

    assert Copy.get("c1", consistent_read=True).status == "LOCKED"
    assert UniqueValue.get("new", consistent_read=True).owner_id == "me"


def test_two_operations_on_one_item_are_refused_whole(undo_log_transactions):
    Copy("c1", exam_id="e1", upload_id="u1", anonymous_id="A-1", status="READY").save()

    with pytest.raises(TransactWriteError), aws.transact_write() as write:
        write.save(UniqueValue("new", owner_id="me"))
        write.update(Copy("c1"), actions=[Copy.status.set("LOCKED")])
        write.condition_check(Copy, "c1", condition=Copy.status == "READY")

    assert Copy.get("c1", consistent_read=True).status == "READY"
    assert list(UniqueValue.scan()) == []
