"""Test environment shared by every suite: never real AWS, dummy credentials, a test prefix."""

import os

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "KORRIGO_STAGE": "local",
    "KORRIGO_RESOURCE_PREFIX": "korrigo-test",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
})
os.environ.pop("KORRIGO_DEMO_PASSWORD", None)
