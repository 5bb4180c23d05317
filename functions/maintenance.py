"""Maintenance function: an EventBridge scheduled event in (every 5 minutes), a summary out.

Thin handler over ``chalicelib.services.maintenance``: one pass, then the copy counts per status and the
stuck-copies gauge flushed as metrics. A manual invocation with ``{"dry_run": true}`` only reports.
"""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.observability import logger, metrics
from chalicelib.services import maintenance

aws.connect()  # S3 and every DynamoDB client built in the init phase


@metrics.log_metrics
def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """One maintenance pass; its summary (the actions by kind, the counts, each action)."""
    dry_run = bool((event or {}).get("dry_run")) if isinstance(event, dict) else False
    report = maintenance.run(dry_run=dry_run)
    maintenance.publish_metrics(report)
    summary = report.as_dict()
    logger.info("maintenance pass", extra={k: summary[k] for k in ("actions", "errors", "stuck_copies")})
    return summary
