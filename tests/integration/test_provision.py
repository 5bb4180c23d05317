"""``infra.local.provision`` against a real endpoint: what it creates, and that re-running it is a no-op."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from chalicelib import aws
from chalicelib.models import ALL_MODELS
from chalicelib.resources import EVENT_ROUTES
from infra.local.provision import provision
from tests.integration.conftest import ROOT, queue_url

pytestmark = pytest.mark.integration

MODELS_BY_TABLE = {model.Meta.table_name: model for model in ALL_MODELS}


def _key_schema(entries: list[dict]) -> dict[str, str]:
    return {entry["AttributeName"]: entry["KeyType"] for entry in entries}


def _queue_message_counts(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_first_run_created_a_table_for_every_model(provisioned):
    assert sorted(provisioned["tables_created"]) == sorted(MODELS_BY_TABLE)
    assert provisioned["queues"] == sorted(route.function for route in EVENT_ROUTES)


def test_provisioning_again_creates_nothing_and_sends_no_new_test_event(
        provisioned, sqs, settings, empty_route_queues):
    second = provision()

    assert second["tables_created"] == []
    assert second["bucket"] == provisioned["bucket"]
    assert second["queues"] == provisioned["queues"]
    # An unchanged notification configuration is not re-applied: S3 would send every queue a TestEvent.
    for function, url in empty_route_queues.items():
        assert _queue_message_counts(sqs, url) == 0, f"re-provisioning sent a message to {function}"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_model_has_its_table_with_its_keys_and_indexes(provisioned, model):
    table = aws.client("dynamodb").describe_table(TableName=model.Meta.table_name)["Table"]
    schema = model._get_schema()

    assert table["TableStatus"] == "ACTIVE"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert _key_schema(table["KeySchema"]) == _key_schema(schema["key_schema"])
    expected_indexes = {index["index_name"]: _key_schema(index["key_schema"])
                        for index in schema["global_secondary_indexes"]}
    actual_indexes = {index["IndexName"]: _key_schema(index["KeySchema"])
                      for index in table.get("GlobalSecondaryIndexes", [])}
    assert actual_indexes == expected_indexes
    for index in table.get("GlobalSecondaryIndexes", []):
        assert index["Projection"]["ProjectionType"] == "ALL"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_ttl_is_enabled_exactly_on_models_with_a_ttl_attribute(provisioned, model):
    description = aws.client("dynamodb").describe_time_to_live(
        TableName=model.Meta.table_name)["TimeToLiveDescription"]
    ttl = model._ttl_attribute()

    if ttl is None:
        assert description.get("TimeToLiveStatus", "DISABLED") == "DISABLED"
    else:
        assert description["TimeToLiveStatus"] == "ENABLED"
        assert description["AttributeName"] == ttl.attr_name


def test_some_models_do_expire_items():
    """Guards the TTL test against vacuity: sessions, locks and rate-limit windows have a TTL."""
    assert {model.__name__ for model in ALL_MODELS if model._ttl_attribute() is not None} >= {
        "Session", "Lock", "RateLimitWindow"}


def test_files_bucket_is_versioned_and_blocks_all_public_access(provisioned, s3, settings):
    bucket = settings.files_bucket
    assert provisioned["bucket"] == bucket

    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    location = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"]
    assert location == settings.aws_region


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda route: route.function)
def test_each_route_queue_redrives_to_its_dead_letter_queue(provisioned, sqs, settings, route):
    url = queue_url(sqs, settings, route.function)
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url(sqs, settings, route.function, dead_letter=True),
        AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq_arn
    assert int(redrive["maxReceiveCount"]) == route.max_receive_count
    assert int(attributes["VisibilityTimeout"]) == route.visibility_timeout
    assert dlq_arn != attributes["QueueArn"]


def test_bucket_notification_has_one_filtered_queue_configuration_per_route(provisioned, s3, sqs, settings):
    configuration = s3.get_bucket_notification_configuration(Bucket=settings.files_bucket)
    queue_configurations = configuration.get("QueueConfigurations", [])

    assert len(queue_configurations) == len(EVENT_ROUTES)
    by_arn = {entry["QueueArn"]: entry for entry in queue_configurations}
    for route in EVENT_ROUTES:
        arn = sqs.get_queue_attributes(QueueUrl=queue_url(sqs, settings, route.function),
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        entry = by_arn[arn]
        assert entry["Events"] == ["s3:ObjectCreated:*"]
        rules = {rule["Name"].lower(): rule["Value"] for rule in entry["Filter"]["Key"]["FilterRules"]}
        assert rules == {"prefix": route.prefix, "suffix": route.suffix}


def test_provisioning_works_in_us_east_1(aws_endpoint):
    """The Makefile keeps the developer's AWS_DEFAULT_REGION (``?=``); us-east-1 is a common default."""
    env = {**os.environ, "AWS_ENDPOINT_URL": aws_endpoint, "AWS_DEFAULT_REGION": "us-east-1",
           "KORRIGO_RESOURCE_PREFIX": f"korrigo-use1-{uuid.uuid4().hex[:6]}"}
    result = subprocess.run([sys.executable, "-m", "infra.local.provision"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["bucket"] == f"{env['KORRIGO_RESOURCE_PREFIX']}-files"
