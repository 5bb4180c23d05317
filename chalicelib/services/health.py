"""Health checks of API.md: liveness, readiness (database) and overall health (database + storage)."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.models.users import User
from chalicelib.observability import logger
from chalicelib.settings import get_settings


def database_ok() -> bool:
    """True when the users table answers."""
    try:
        aws.client("dynamodb").describe_table(TableName=User.Meta.table_name)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ok"; the reason goes to the logs
        logger.exception("health: database check failed")
        return False


def storage_ok() -> bool:
    """True when the files bucket answers."""
    try:
        aws.client("s3").head_bucket(Bucket=get_settings().files_bucket)
        return True
    except Exception:  # noqa: BLE001
        logger.exception("health: storage check failed")
        return False
