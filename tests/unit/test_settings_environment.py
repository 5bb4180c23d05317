"""Settings come from the environment as pydantic-settings read them, without importing it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.settings import Settings


def test_each_field_is_read_from_its_prefixed_variable_whatever_the_case(monkeypatch):
    monkeypatch.setenv("KORRIGO_STAGE", "prod")
    monkeypatch.setenv("korrigo_debug", "true")
    monkeypatch.setenv("KORRIGO_MAX_SCAN_PAGES", "12")

    settings = Settings()

    assert (settings.stage, settings.debug, settings.max_scan_pages) == ("prod", True, 12)


def test_an_aliased_field_is_read_from_its_alias_only(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("KORRIGO_AWS_ENDPOINT_URL", "http://ignored:1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    settings = Settings()

    assert (settings.aws_region, settings.aws_endpoint_url) == ("us-east-1", None)


def test_a_list_is_read_as_json_and_named_when_it_is_not(monkeypatch):
    monkeypatch.setenv("KORRIGO_ALLOWED_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings().allowed_origins == ["https://a.example", "https://b.example"]

    monkeypatch.setenv("KORRIGO_ALLOWED_ORIGINS", "https://a.example")
    with pytest.raises(ValidationError, match="KORRIGO_ALLOWED_ORIGINS must be JSON"):
        Settings()


def test_arguments_by_name_or_alias_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("KORRIGO_STAGE", "prod")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    by_name = Settings(stage="local", aws_endpoint_url=None)
    by_alias = Settings(AWS_ENDPOINT_URL="http://127.0.0.1:9")

    assert (by_name.stage, by_name.aws_endpoint_url) == ("local", None)
    assert (by_alias.stage, by_alias.aws_endpoint_url) == ("prod", "http://127.0.0.1:9")


def test_an_invalid_value_is_refused(monkeypatch):
    monkeypatch.setenv("KORRIGO_STAGE", "staging")

    with pytest.raises(ValidationError, match="stage"):
        Settings()
