"""Runtime settings read from the environment, validated once, with the production guards.

Read as ``pydantic-settings`` would (``KORRIGO_<FIELD>`` or the field's alias, names case-insensitive,
lists as JSON, arguments first), by a few lines on a plain pydantic model: importing ``pydantic_settings``
cost the API's cold start ~110 ms (asyncio, pydantic dataclasses, its CLI and secret sources), measured.
"""

from __future__ import annotations

import json
import os
import typing
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_SECRET = "local-only-secret-do-not-deploy-korrigo"  # noqa: S105 - refused outside local mode
DEFAULT_DEMO_PASSWORD = "Korrigo-demo-2026"  # noqa: S105 - local mode only (API.md)
MIN_SECRET_LENGTH = 32


ENV_PREFIX = "KORRIGO_"
_JSON_TYPES = (list, dict, set, tuple)


class Settings(BaseModel):
    """Every knob of Korrigo; environment variables are prefixed with ``KORRIGO_``."""

    # Arguments by name or alias (``aws_region`` or ``AWS_DEFAULT_REGION``), defaults validated too.
    model_config = ConfigDict(extra="ignore", validate_by_name=True,
                              validate_by_alias=True, validate_default=True)

    stage: Literal["local", "prod"] = "local"
    debug: bool = False
    allowed_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000"])
    rate_limit_enabled: bool = True
    secret_key: str = DEFAULT_SECRET
    resource_prefix: str = "korrigo-dev"
    bucket_name: str = ""
    aws_region: str = Field(default="eu-west-3", validation_alias="AWS_DEFAULT_REGION")
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    localstack_host: str | None = Field(default=None, validation_alias="LOCALSTACK_HOST")
    demo_password: str | None = None
    trust_forwarded_for: bool = False
    lambda_function_name: str | None = Field(default=None, validation_alias="AWS_LAMBDA_FUNCTION_NAME")

    session_idle_seconds: int = 4 * 3600  # a session ends after this long without a request
    session_max_seconds: int = 12 * 3600  # and never later than this after sign-in, however active
    session_extend_after_seconds: int = 300  # slid forward (one write) at most this often
    login_max_failures: int = 5  # per account, then it waits (Retry-After grows with repeated failures)
    login_window_seconds: int = 15 * 60
    login_max_lockout_seconds: int = 4 * 3600  # cap of the doubling wait of a repeatedly locked account
    login_max_failures_per_ip: int = 200  # per source address: a whole school behind one NAT address
    initial_password_days: int = 30  # an initial password never changed expires after this
    password_change_max: int = 10
    password_change_window_seconds: int = 3600
    max_json_body_bytes: int = 256 * 1024

    public_storage_url: str | None = None  # local mode: pre-signed URLs go through the gateway
    max_upload_bytes: int = 1024 * 1024 * 1024  # 300 copies x 16 pages of 150 DPI greyscale JPEG
    max_scan_pages: int = 5000
    max_page_pixels: int = 40_000_000
    upload_url_seconds: int = 900
    download_url_seconds: int = 300
    uploads_per_hour: int = 60
    imports_per_hour: int = 30
    ocr_engine: Literal["local", "textract"] | None = None
    ocr_auto_threshold: float = 0.9
    ocr_auto_margin: float = 0.1

    @property
    def is_local(self) -> bool:
        """True in local mode (the emulator on 127.0.0.1), False when deployed."""
        return self.stage == "local"

    @property
    def cookie_secure(self) -> bool:
        """Session cookies carry ``Secure`` everywhere but in local mode (plain http)."""
        return not self.is_local

    @property
    def files_bucket(self) -> str:
        """The private, versioned bucket holding scans, pages, headers and final PDFs."""
        return self.bucket_name or f"{self.resource_prefix}-files"

    @property
    def effective_ocr_engine(self) -> str:
        """Textract in AWS, the bundled local engine in local mode, unless configured."""
        return self.ocr_engine or ("local" if self.is_local else "textract")

    def table_name(self, entity: str) -> str:
        """Physical DynamoDB table name of an entity."""
        return f"{self.resource_prefix}-{entity}"

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        """The fields not given as arguments, from the environment: ``KORRIGO_<FIELD>`` or the alias."""
        given = dict(data) if isinstance(data, dict) else {}
        environment = {name.lower(): value for name, value in os.environ.items()}
        for name, field in cls.model_fields.items():
            alias = field.validation_alias if isinstance(field.validation_alias, str) else None
            if name in given or (alias and alias in given):
                continue
            value = environment.get((alias or ENV_PREFIX + name).lower())
            if value is not None:
                given[alias or name] = _parsed(name, field.annotation, value)
        return given

    def queue_name(self, function: str, dead_letter: bool = False) -> str:
        """Physical SQS queue name of a function's queue or of its dead-letter queue."""
        return f"{self.resource_prefix}-{function}" + ("-dlq" if dead_letter else "")

    def effective_demo_password(self) -> str | None:
        """The demo accounts' password: the configured one, or the documented default locally."""
        if self.demo_password:
            return self.demo_password
        return DEFAULT_DEMO_PASSWORD if self.is_local else None


def _parsed(name: str, annotation: Any, value: str) -> Any:
    """An environment variable's value: JSON for a list, dict, set or tuple field, else the string."""
    kinds = {typing.get_origin(kind) or kind for kind in (annotation, *typing.get_args(annotation))}
    if not kinds.intersection(_JSON_TYPES):
        return value
    try:
        return json.loads(value)
    except ValueError as error:
        raise ValueError(f"{ENV_PREFIX}{name.upper()} must be JSON (a list: [\"a\", \"b\"])") from error


def deployment_problems(settings: Settings) -> list[str]:
    """Name every setting that makes a production deployment unsafe (empty when all is well)."""
    if settings.is_local:
        if settings.lambda_function_name:
            return [
                "KORRIGO_STAGE must be prod inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is set): "
                "the local stage never runs deployed"
            ]
        return []
    problems = []
    if settings.debug:
        problems.append("KORRIGO_DEBUG must be false in production")
    origins = [origin.strip() for origin in settings.allowed_origins if origin.strip()]
    if not origins:
        problems.append("KORRIGO_ALLOWED_ORIGINS must list the site's origin in production")
    if any("*" in origin for origin in origins):
        problems.append("KORRIGO_ALLOWED_ORIGINS must not contain a wildcard in production")
    if any(origin.startswith("http://") for origin in origins):
        problems.append("KORRIGO_ALLOWED_ORIGINS must use https in production")
    if not settings.rate_limit_enabled:
        problems.append("KORRIGO_RATE_LIMIT_ENABLED must be true in production")
    if settings.secret_key == DEFAULT_SECRET or len(settings.secret_key) < MIN_SECRET_LENGTH:
        problems.append(
            f"KORRIGO_SECRET_KEY must be a unique secret of at least {MIN_SECRET_LENGTH} characters"
        )
    if settings.aws_endpoint_url:
        problems.append("AWS_ENDPOINT_URL must not be set in production (it points at a local emulator)")
    if settings.localstack_host:
        problems.append("LOCALSTACK_HOST must not be set in production (it points at a local emulator)")
    if settings.demo_password:
        problems.append("KORRIGO_DEMO_PASSWORD must not be set in production")
    if settings.public_storage_url:
        problems.append("KORRIGO_PUBLIC_STORAGE_URL must not be set in production (local gateway only)")
    if settings.trust_forwarded_for:
        problems.append("KORRIGO_TRUST_FORWARDED_FOR must be false in production")
    return problems


class UnsafeDeployment(RuntimeError):
    """Raised at start-up when the production guards find a bad setting."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated; refuses to run an unsafe production configuration."""
    settings = Settings()
    problems = deployment_problems(settings)
    if problems:
        raise UnsafeDeployment("Refusing to start: " + "; ".join(problems))
    return settings


def reset_settings_cache() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
