"""Event-driven workers: one module per function, each a thin SQS-batch handler over a service."""
