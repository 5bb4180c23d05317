"""Structured JSON logging and embedded-format metrics (AWS Lambda Powertools), one instance each."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="korrigo")
metrics = Metrics(namespace="Korrigo", service="korrigo")
