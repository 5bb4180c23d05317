"""``make redrive QUEUE=<function>``: a dead-letter queue's messages go back to the function's queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.settings import Settings
from infra import redrive

SETTINGS = Settings(resource_prefix="korrigo-redrive")


@pytest.fixture
def sqs() -> Iterator[Any]:
    """The ingest queue and its DLQ (redrive policy as the template sets it), in a mocked account."""
    with mock_aws():
        client = boto3.client("sqs", region_name="eu-west-3")
        dlq = client.create_queue(QueueName=SETTINGS.queue_name("ingest", dead_letter=True))["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
        client.create_queue(QueueName=SETTINGS.queue_name("ingest"), Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn["QueueArn"], "maxReceiveCount": 3})})
        for queue_url in (url(client), url(client, dead_letter=True)):
            client.purge_queue(QueueUrl=queue_url)  # moto's state may outlive one test's mock
        yield client


def url(sqs: Any, dead_letter: bool = False) -> str:
    return sqs.get_queue_url(QueueName=SETTINGS.queue_name("ingest", dead_letter=dead_letter))["QueueUrl"]


def bodies(sqs: Any, queue_url: str) -> list[str]:
    found = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        found += [message["Body"] for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def fill_dlq(sqs: Any, count: int) -> list[str]:
    sent = [json.dumps({"Records": [{"s3": {"object": {"key": f"scans/exam/upload-{i}.pdf"}}}]})
            for i in range(count)]
    for body in sent:
        sqs.send_message(QueueUrl=url(sqs, dead_letter=True), MessageBody=body)
    return sent


def test_every_dead_letter_goes_back_to_the_queue_once_where_sqs_cannot_move_them(sqs: Any) -> None:
    sent = fill_dlq(sqs, 23)  # more than one receive batch
    result = redrive.redrive("ingest", SETTINGS, sqs=sqs)  # moto: no StartMessageMoveTask
    assert (result.method, result.moved) == ("copy", 23)
    assert bodies(sqs, url(sqs, dead_letter=True)) == []
    assert sorted(bodies(sqs, url(sqs))) == sorted(sent)


def test_in_aws_sqs_moves_the_messages_itself(sqs: Any) -> None:
    fill_dlq(sqs, 2)
    aws_sqs = mock.Mock(wraps=sqs)
    aws_sqs.start_message_move_task.return_value = {"TaskHandle": "task-1"}
    aws_sqs.list_message_move_tasks.return_value = {"Results": [
        {"TaskHandle": "task-1", "Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 2}]}
    result = redrive.redrive("ingest", SETTINGS, sqs=aws_sqs)
    assert (result.method, result.moved, result.task_handle) == ("move-task", 2, "task-1")
    queue_arn = sqs.get_queue_attributes(QueueUrl=url(sqs), AttributeNames=["QueueArn"])
    dlq_arn = sqs.get_queue_attributes(QueueUrl=url(sqs, True), AttributeNames=["QueueArn"])
    aws_sqs.start_message_move_task.assert_called_once_with(
        SourceArn=dlq_arn["Attributes"]["QueueArn"], DestinationArn=queue_arn["Attributes"]["QueueArn"])
    assert len(bodies(sqs, url(sqs, dead_letter=True))) == 2  # nothing copied by hand besides


def test_a_refused_move_task_is_an_error_not_a_silent_copy(sqs: Any) -> None:
    fill_dlq(sqs, 1)
    aws_sqs = mock.Mock(wraps=sqs)
    aws_sqs.start_message_move_task.side_effect = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        "StartMessageMoveTask")
    with pytest.raises(ClientError):
        redrive.redrive("ingest", SETTINGS, sqs=aws_sqs)
    assert bodies(sqs, url(sqs)) == []


def test_cli_reports_the_queue_and_what_it_sent_back(sqs: Any, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fill_dlq(sqs, 3)
    monkeypatch.setenv("KORRIGO_RESOURCE_PREFIX", SETTINGS.resource_prefix)
    monkeypatch.setattr(redrive, "sqs_client", lambda settings, in_aws: sqs)
    assert redrive.main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert "korrigo-redrive-ingest-dlq" in out and "3 message(s)" in out
    assert "3 message(s) sent back to korrigo-redrive-ingest (copy)" in out
    assert redrive.main(["ingest"]) == 0
    assert "nothing to re-drive" in capsys.readouterr().out


def test_cli_refuses_an_unknown_queue() -> None:
    with pytest.raises(SystemExit):
        redrive.main(["nope"])


def test_the_local_stack_is_the_default_target_and_aws_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("KORRIGO_EMULATOR_PORT", "4600")
    assert redrive.endpoint_url(Settings(), in_aws=False) == "http://127.0.0.1:4600"
    assert redrive.endpoint_url(Settings(aws_endpoint_url="http://127.0.0.1:4566"), in_aws=False) == \
        "http://127.0.0.1:4566"
    assert redrive.endpoint_url(Settings(), in_aws=True) is None
