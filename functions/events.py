"""S3 notifications carried by SQS messages: the objects they announce."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class CreatedObject:
    """An object announced by an ``ObjectCreated`` notification."""

    bucket: str
    key: str
    size: int


def created_objects(message_body: str) -> list[CreatedObject]:
    """The objects of an S3 notification (none for the ``s3:TestEvent`` sent on configuration)."""
    payload = json.loads(message_body)
    if payload.get("Event") == "s3:TestEvent":
        return []
    objects = []
    for record in payload.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        objects.append(
            CreatedObject(
                s3["bucket"]["name"], unquote_plus(s3["object"]["key"]), int(s3["object"].get("size", 0))
            )
        )
    return objects
