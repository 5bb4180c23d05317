"""Structured JSON logging and embedded-format metrics (AWS Lambda Powertools), one instance each.

Also what keeps secrets out of every log: ``redact`` removes pre-signed URL signatures and credentials
and the path parameters that are secrets (the one-time credentials link) from any text, and
``RedactingFilter`` applies it to a standard ``logging`` logger (the emulator's request lines).
"""

from __future__ import annotations

import logging
import re
import threading

from aws_lambda_powertools import Logger, Metrics

METRICS_NAMESPACE = "Korrigo"
METRICS_SERVICE = "korrigo"  # the ``service`` dimension Powertools adds to every metric
# Business metrics the dashboard and alarms read (``infra/template.py`` imports these names).
STUCK_COPIES_METRIC = "StuckCopies"  # maintenance: copies in GRADING_IN_PROGRESS past the render timeout
IDENTIFICATION_BACKLOG_METRIC = "IdentificationBacklog"  # maintenance: copies in STAGING
GRADING_LATENCY_METRIC = "GradingLatency"  # render: seconds from finalise to GRADED
THROTTLED_SIGN_INS_METRIC = "ThrottledSignIns"  # API: sign-ins refused with 429

logger = Logger(service=METRICS_SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=METRICS_SERVICE)

REDACTED = "[redacted]"
# Query parameters that authenticate a request (SigV4 and SigV2 pre-signed URLs, temporary credentials).
SECRET_QUERY_PARAMETERS = ("X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature",
                           "AWSAccessKeyId")
_SECRET_PARAMETER = re.compile(
    rf"(?<=[?&])(?:{'|'.join(map(re.escape, SECRET_QUERY_PARAMETERS))})=[^&\s\"'#]*", re.IGNORECASE
)
# Paths whose last segment is itself a secret: ``/api/credentials/{token}`` is a one-time download link.
SECRET_PATH = re.compile(r"(/api/credentials/)[^/?#\s\"']+")
_FLUSHING = threading.Lock()


def redact(text: str) -> str:
    """``text`` (a URL, a request line, a log message) without signatures, credentials or secret paths.

    Each authenticating query parameter is replaced whole (name and value) by ``[redacted]``: the rest
    of a pre-signed URL (key, date, expiry) stays readable and cannot be replayed.
    """
    return _SECRET_PARAMETER.sub(REDACTED, SECRET_PATH.sub(rf"\1{REDACTED}", text))


class RedactingFilter(logging.Filter):
    """A ``logging`` filter that redacts each record's message (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def flush_metrics() -> None:
    """Print the metrics buffered so far as one EMF line (no cold-start metric); nothing if none.

    The API calls it at the end of every request, so a metric is in the logs (and CloudWatch) at once,
    not when Powertools' buffer reaches 100 entries. One flush at a time (``chalice local`` serves
    requests in threads), so no metric is printed twice.
    """
    with _FLUSHING:
        if metrics.metric_set:
            metrics.flush_metrics()


def count_throttled_sign_in() -> None:
    """One ``ThrottledSignIns`` metric: a sign-in refused with 429 (printed at the end of the request)."""
    metrics.add_metric(name=THROTTLED_SIGN_INS_METRIC, unit="Count", value=1)
