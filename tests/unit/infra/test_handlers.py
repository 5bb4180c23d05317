"""Every function the template deploys has its code: each named handler imports and is callable."""

from __future__ import annotations

import importlib

import pytest

from infra import template as infra_template


def named_handlers() -> dict[str, str]:
    """Logical id → ``module.function`` of every Lambda in the template (the API's is Chalice's)."""
    resources = infra_template.build_template("prod", merge_with_chalice=False)["Resources"]
    return {
        logical: resource["Properties"]["Handler"]
        for logical, resource in resources.items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


def test_the_template_names_a_handler_for_every_function_spec():
    assert len(named_handlers()) == len(infra_template.FUNCTIONS) > 0


@pytest.mark.parametrize("logical, handler", sorted(named_handlers().items()))
def test_each_named_handler_imports_and_is_callable(mocked_aws, logical, handler):
    module_name, _, attribute = handler.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute, None)), f"{logical}: {handler} is not a callable"
