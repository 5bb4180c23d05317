"""Create every table, the bucket, the queues and the S3 → SQS routes, idempotently.

Uses the same definitions as the AWS template (the PynamoDB models and ``chalicelib.resources``), so
local mode and AWS cannot drift apart. Safe to run any number of times against the same endpoint:
moto's server or a real LocalStack, whichever ``AWS_ENDPOINT_URL`` names (every client, PynamoDB's
included, takes its endpoint from ``chalicelib.aws``, i.e. localstack-client's configuration).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import aws
from chalicelib.models import ALL_MODELS
from chalicelib.resources import EVENT_ROUTES
from chalicelib.settings import Settings, get_settings


def provision_tables() -> list[str]:
    """Create missing tables (with GSIs and TTL); returns the names created."""
    created = []
    dynamodb = aws.client("dynamodb")
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            created.append(model.Meta.table_name)
        ttl = model._ttl_attribute()
        if ttl is not None:
            status = dynamodb.describe_time_to_live(TableName=model.Meta.table_name)
            if status["TimeToLiveDescription"].get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                dynamodb.update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl.attr_name},
                )
    return created


def provision_bucket(settings: Settings) -> None:
    """The private, versioned files bucket."""
    s3 = aws.client("s3")
    bucket = settings.files_bucket
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        location = {"LocationConstraint": settings.aws_region}
        if settings.aws_region == "us-east-1":
            s3.create_bucket(Bucket=bucket)  # us-east-1 takes no location constraint
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["POST", "GET"],
                    "AllowedOrigins": settings.allowed_origins,
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )


def _queue_arn(url: str) -> str:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def provision_queues(settings: Settings) -> dict[str, str]:
    """Each function's queue with its dead-letter queue; returns function → queue ARN."""
    sqs = aws.client("sqs")
    arns = {}
    for route in EVENT_ROUTES:
        dlq_url = sqs.create_queue(
            QueueName=settings.queue_name(route.function, dead_letter=True),
            Attributes={"MessageRetentionPeriod": "1209600"},
        )["QueueUrl"]
        attributes = {
            "VisibilityTimeout": str(route.visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": _queue_arn(dlq_url), "maxReceiveCount": str(route.max_receive_count)}
            ),
        }
        url = sqs.create_queue(QueueName=settings.queue_name(route.function))["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arns[route.function] = _queue_arn(url)
    return arns


def _comparable(configurations: list[dict[str, Any]]) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Notification routes in a form that ignores S3's capitalisation of filter rule names."""
    return sorted(
        (
            item.get("Id", ""),
            item["QueueArn"],
            tuple(
                sorted((rule["Name"].lower(), rule["Value"]) for rule in item["Filter"]["Key"]["FilterRules"])
            ),
        )
        for item in configurations
    )


def provision_notifications(settings: Settings, queue_arns: dict[str, str]) -> None:
    """Objects created under each route's prefix are sent to its queue."""
    configurations: list[dict[str, Any]] = [
        {
            "Id": f"{route.function}-events",
            "QueueArn": queue_arns[route.function],
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {
                "Key": {
                    "FilterRules": [
                        {"Name": "prefix", "Value": route.prefix},
                        {"Name": "suffix", "Value": route.suffix},
                    ]
                }
            },
        }
        for route in EVENT_ROUTES
    ]
    s3 = aws.client("s3")
    current = s3.get_bucket_notification_configuration(Bucket=settings.files_bucket)
    if _comparable(current.get("QueueConfigurations", [])) == _comparable(configurations):
        return  # unchanged: re-applying would send a new s3:TestEvent to every queue
    s3.put_bucket_notification_configuration(
        Bucket=settings.files_bucket,
        NotificationConfiguration={"QueueConfigurations": configurations},
    )


def provision() -> dict[str, Any]:
    """Provision everything; returns a summary for the logs."""
    settings = get_settings()
    aws.connect()  # the models' connections on the configured endpoint before the first table call
    created = provision_tables()
    provision_bucket(settings)
    queue_arns = provision_queues(settings)
    provision_notifications(settings, queue_arns)
    return {"tables_created": created, "bucket": settings.files_bucket, "queues": sorted(queue_arns)}


if __name__ == "__main__":
    print(json.dumps(provision()))
