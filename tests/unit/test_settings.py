"""Production guards: an unsafe production configuration refuses to start and is reported by name."""

from __future__ import annotations

import pytest

from chalicelib import cli
from chalicelib.settings import (
    Settings,
    UnsafeDeployment,
    deployment_problems,
    get_settings,
    reset_settings_cache,
)

SAFE_PROD = {
    "stage": "prod",
    "allowed_origins": ["https://korrigo.school.example"],
    "secret_key": "x" * 48,
    "aws_endpoint_url": None,
}


def test_a_safe_production_configuration_has_no_problem():
    assert deployment_problems(Settings(**SAFE_PROD)) == []


@pytest.mark.parametrize(("override", "named"), [
    ({"debug": True}, "KORRIGO_DEBUG"),
    ({"allowed_origins": ["*"]}, "wildcard"),
    ({"allowed_origins": []}, "KORRIGO_ALLOWED_ORIGINS"),
    ({"rate_limit_enabled": False}, "KORRIGO_RATE_LIMIT_ENABLED"),
    ({"secret_key": "short"}, "KORRIGO_SECRET_KEY"),
    ({"secret_key": Settings().secret_key}, "KORRIGO_SECRET_KEY"),
    ({"aws_endpoint_url": "http://127.0.0.1:4566"}, "AWS_ENDPOINT_URL"),
    ({"localstack_host": "127.0.0.1:4566"}, "LOCALSTACK_HOST"),
    ({"demo_password": "Korrigo-demo-2026"}, "KORRIGO_DEMO_PASSWORD"),
])
def test_each_unsafe_setting_is_named(override, named):
    problems = deployment_problems(Settings(**{**SAFE_PROD, **override}))
    assert any(named in problem for problem in problems), problems


def test_the_app_refuses_to_start_in_production_with_debug_on(monkeypatch):
    monkeypatch.setenv("KORRIGO_STAGE", "prod")
    monkeypatch.setenv("KORRIGO_DEBUG", "true")
    reset_settings_cache()
    try:
        with pytest.raises(UnsafeDeployment, match="KORRIGO_DEBUG"):
            get_settings()
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_check_deploy_reports_every_problem_and_fails(monkeypatch, capsys):
    monkeypatch.setenv("KORRIGO_SECRET_KEY", "tiny")
    monkeypatch.setenv("KORRIGO_RATE_LIMIT_ENABLED", "false")
    assert cli.main(["check-deploy", "--stage", "prod"]) == 1
    out = capsys.readouterr().out
    assert "KORRIGO_SECRET_KEY" in out and "KORRIGO_RATE_LIMIT_ENABLED" in out


def test_check_deploy_passes_a_safe_configuration(monkeypatch, capsys):
    monkeypatch.setenv("KORRIGO_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("KORRIGO_ALLOWED_ORIGINS", '["https://korrigo.school.example"]')
    assert cli.main(["check-deploy", "--stage", "prod"]) == 0


def test_the_local_stage_is_refused_inside_aws_lambda(monkeypatch):
    monkeypatch.delenv("KORRIGO_STAGE", raising=False)  # the default stage is local
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "korrigo-prod-ingest")
    reset_settings_cache()
    try:
        with pytest.raises(UnsafeDeployment, match="KORRIGO_STAGE must be prod inside AWS Lambda"):
            get_settings()
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_the_local_stage_runs_outside_lambda_and_the_prod_stage_inside():
    in_lambda = {"AWS_LAMBDA_FUNCTION_NAME": "korrigo-prod-api"}
    assert deployment_problems(Settings(stage="local")) == []
    assert deployment_problems(Settings(stage="local", **in_lambda)) != []
    assert deployment_problems(Settings(**SAFE_PROD, **in_lambda)) == []
