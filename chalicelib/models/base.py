"""Shared PynamoDB plumbing: table naming from the settings and on-demand billing."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.settings import get_settings


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (one place to read the clock)."""
    return datetime.now(UTC)


def table_meta(entity: str) -> type:
    """A PynamoDB ``Meta`` class for ``entity``'s table (host left to ``AWS_ENDPOINT_URL``)."""
    settings = get_settings()

    class Meta:
        table_name = settings.table_name(entity)
        region = settings.aws_region
        billing_mode = "PAY_PER_REQUEST"

    return Meta


def index_meta(name: str) -> type:
    """A PynamoDB index ``Meta`` with every attribute projected."""
    from pynamodb.indexes import AllProjection

    class Meta:
        index_name = name
        projection = AllProjection()
        billing_mode = "PAY_PER_REQUEST"

    return Meta


def condition_failed(error: Exception) -> bool:
    """True when a PynamoDB write or transaction failed on its condition (someone else won)."""
    code = getattr(error, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = getattr(error, "cancellation_reasons", None) or []
        return any(reason and reason.code == "ConditionalCheckFailed" for reason in reasons)
    return False
