"""The AWS template matches the models, the event routes and the least-privilege rules, and lints clean."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.models import ALL_MODELS
from chalicelib.resources import EVENT_ROUTES, EventRoute
from chalicelib.settings import Settings, deployment_problems, get_settings
from infra import template as infra_template

#: Which tables each function may touch (the design's least-privilege table), independent of the code.
EXPECTED_FUNCTION_TABLES = {
    "ingest": {"uploads", "copies", "pages", "exams", "audit-events", "booklets",
               "unique-values", "enrolments"},  # identifies booklet copies by their code
    "ocr": {"ocr-results", "students", "enrolments"},  # never writes a copy
    "render": {"copies", "pages", "annotations", "audit-events"},  # scores in the spec, pages read
    "maintenance": {"copies", "locks", "audit-events", "uploads", "account-jobs", "pages"},
    "accounts": {"account-jobs", "credential-parts", "students", "enrolments", "unique-values",
                 "audit-events", "rate-limits"},
    "sheets": {"exams", "enrolments", "students", "booklets", "sheet-jobs"},
    "rescore": {"exams", "rubric-items", "question-scores", "scores", "copies", "audit-events"},
}
EXPECTED_SIZING = {"ingest": (2048, 900), "ocr": (1536, 120), "render": (1536, 300),
                   "accounts": (2048, 900), "sheets": (1536, 900), "rescore": (512, 300)}
#: Sample deploy-time parameter values, to resolve the template like CloudFormation would.
PARAMETERS = {
    "ResourcePrefix": "korrigo-prod",
    "SiteOrigin": "https://korrigo.example.org",
    "AlertEmail": "it@school.example.org",
    "SecretKey": "s" * 48,
    "AWS::Partition": "aws",
    "AWS::AccountId": "111122223333",
    "AWS::Region": "eu-west-3",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The standalone template (what the checks below are about)."""
    return infra_template.build_template("prod", merge_with_chalice=False)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {logical: resource for logical, resource in resources.items() if resource["Type"] == kind}


def resolve(value: Any, physical: dict[str, str] | None = None) -> Any:
    """Resolve ``Ref`` and ``Fn::Sub`` against the sample parameters (and known physical ids)."""
    known = {**PARAMETERS, **(physical or {})}
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return known[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda match: known[match.group(1)], value["Fn::Sub"])
    return value


def referenced_ids(value: Any) -> set[str]:
    """Logical ids a policy resource points at (``GetAtt X.Arn``, ``Ref X`` or ``${X.Arn}`` in a Sub)."""
    if isinstance(value, list):
        return set().union(*(referenced_ids(item) for item in value)) if value else set()
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::Sub" in value:
            return {name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", value["Fn::Sub"])
                    if not name.startswith("AWS::")}
    return set()


def table_by_name(resources: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Resolved table name → (logical id, properties)."""
    return {
        resolve(table["Properties"]["TableName"]): (logical, table["Properties"])
        for logical, table in of_type(resources, "AWS::DynamoDB::Table").items()
    }


def deployed_name(model: Any) -> str:
    """The name the model would use in production, with the sample prefix."""
    runtime_prefix = get_settings().resource_prefix
    assert model.Meta.table_name.startswith(runtime_prefix + "-")
    return PARAMETERS["ResourcePrefix"] + model.Meta.table_name[len(runtime_prefix):]


def key_schema_of(attributes: dict[str, Any]) -> list[dict[str, str]]:
    """Expected KeySchema (HASH first) of a model or an index, from its attribute declarations."""
    keys = [{"AttributeName": attr.attr_name, "KeyType": "HASH"} for attr in attributes.values()
            if attr.is_hash_key]
    keys += [{"AttributeName": attr.attr_name, "KeyType": "RANGE"} for attr in attributes.values()
             if attr.is_range_key]
    return keys


# ----------------------------------------------------------------------------------------------- tables


def test_one_table_per_model_and_no_other(resources: dict[str, Any]) -> None:
    assert sorted(table_by_name(resources)) == sorted(deployed_name(model) for model in ALL_MODELS)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_table_matches_its_model(resources: dict[str, Any], model: Any) -> None:
    logical, table = table_by_name(resources)[deployed_name(model)]
    assert resources[logical]["DeletionPolicy"] == "Retain"
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["KeySchema"] == key_schema_of(model.get_attributes())

    expected_indexes = {}
    key_attributes = {attr.attr_name: attr.attr_type for attr in model.get_attributes().values()
                      if attr.is_hash_key or attr.is_range_key}
    for index in model._indexes.values():
        expected_indexes[index.Meta.index_name] = {
            "KeySchema": key_schema_of(index.Meta.attributes),
            "Projection": index.Meta.projection.projection_type,
        }
        key_attributes.update({attr.attr_name: attr.attr_type for attr in index.Meta.attributes.values()
                               if attr.is_hash_key or attr.is_range_key})
    actual_indexes = {
        gsi["IndexName"]: {"KeySchema": gsi["KeySchema"], "Projection": gsi["Projection"]["ProjectionType"]}
        for gsi in table.get("GlobalSecondaryIndexes", [])
    }
    assert actual_indexes == expected_indexes
    assert "LocalSecondaryIndexes" not in table  # no model declares one
    # CloudFormation rejects attribute definitions that no key uses: exactly the key attributes.
    assert {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]} == key_attributes
    assert len(table["AttributeDefinitions"]) == len(key_attributes)


def test_ttl_specification_follows_the_models(resources: dict[str, Any]) -> None:
    tables = table_by_name(resources)
    with_ttl = [model for model in ALL_MODELS if model._ttl_attribute() is not None]
    assert with_ttl, "sessions, locks and rate limits expire: some model must declare a TTLAttribute"
    for model in ALL_MODELS:
        _, table = tables[deployed_name(model)]
        ttl = model._ttl_attribute()
        if ttl is None:
            assert "TimeToLiveSpecification" not in table, model.__name__
        else:
            assert table["TimeToLiveSpecification"] == {"AttributeName": ttl.attr_name, "Enabled": True}


# ----------------------------------------------------------------------------------------- event routes


def queue_named(resources: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    queues = of_type(resources, "AWS::SQS::Queue")
    matches = [(logical, queue["Properties"]) for logical, queue in queues.items()
               if resolve(queue["Properties"]["QueueName"]) == name]
    assert len(matches) == 1, f"expected one queue named {name}"
    return matches[0]


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda route: route.function)
def test_each_route_has_a_queue_a_dlq_and_a_notification(resources: dict[str, Any],
                                                         route: EventRoute) -> None:
    names = Settings(resource_prefix=PARAMETERS["ResourcePrefix"])
    queue_id, queue = queue_named(resources, names.queue_name(route.function))
    dlq_id, dlq = queue_named(resources, names.queue_name(route.function, dead_letter=True))
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                                      "maxReceiveCount": route.max_receive_count}
    assert queue["VisibilityTimeout"] == route.visibility_timeout
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]

    bucket = resources[infra_template.BUCKET_ID]
    notifications = [n for n in bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
                     if n["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}]
    assert len(notifications) == 1
    assert notifications[0]["Event"] == "s3:ObjectCreated:*"
    rules = {rule["Name"]: rule["Value"] for rule in notifications[0]["Filter"]["S3Key"]["Rules"]}
    assert rules == {"prefix": route.prefix, "suffix": route.suffix}


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda route: route.function)
def test_only_the_bucket_of_this_account_may_send_to_a_queue(resources: dict[str, Any],
                                                             route: EventRoute) -> None:
    queue_id = infra_template.queue_id(route.function)
    policies = [(logical, policy) for logical, policy in of_type(resources, "AWS::SQS::QueuePolicy").items()
                if {"Ref": queue_id} in policy["Properties"]["Queues"]]
    assert len(policies) == 1
    policy_id, policy = policies[0]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    assert resolve(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == f"arn:aws:s3:::{bucket_name}"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # No cycle: the policy names the bucket by name, and the bucket waits for the policy.
    assert infra_template.BUCKET_ID not in referenced_ids(statement)
    assert policy_id in resources[infra_template.BUCKET_ID]["DependsOn"]


# ----------------------------------------------------------------------------------------------- bucket


def test_bucket_is_private_versioned_encrypted_and_tls_only(resources: dict[str, Any]) -> None:
    bucket = resources[infra_template.BUCKET_ID]
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [encryption] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [cors] = properties["CorsConfiguration"]["CorsRules"]
    assert "POST" in cors["AllowedMethods"]
    assert cors["AllowedOrigins"] == [{"Ref": "SiteOrigin"}]
    policies = [p for p in of_type(resources, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": infra_template.BUCKET_ID}]
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def test_bucket_name_is_the_one_the_runtime_computes(resources: dict[str, Any]) -> None:
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    assert bucket_name == Settings(resource_prefix=PARAMETERS["ResourcePrefix"], bucket_name="").files_bucket


# -------------------------------------------------------------------------------------------- functions


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Function name (from its handler) → properties."""
    result = {}
    for function in of_type(resources, "AWS::Serverless::Function").values():
        match = re.fullmatch(r"functions\.(\w+)\.handler", function["Properties"]["Handler"])
        assert match, function["Properties"]["Handler"]
        result[match.group(1)] = function["Properties"]
    return result


def test_functions_handlers_runtime_and_sizing(resources: dict[str, Any]) -> None:
    deployed = functions(resources)
    assert set(deployed) == set(EXPECTED_FUNCTION_TABLES)
    for name, properties in deployed.items():
        assert properties["Runtime"] == "python3.11"
        if name in EXPECTED_SIZING:
            assert (properties["MemorySize"], properties["Timeout"]) == EXPECTED_SIZING[name]
    schedule = deployed["maintenance"]["Events"]["Schedule"]
    assert schedule["Type"] == "Schedule"
    assert schedule["Properties"]["Schedule"] == "rate(5 minutes)"


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda route: route.function)
def test_routed_function_consumes_its_queue_with_partial_batch_failures(resources: dict[str, Any],
                                                                        route: EventRoute) -> None:
    properties = functions(resources)[route.function]
    [event] = properties["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": [infra_template.queue_id(route.function), "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= event["Properties"]["BatchSize"] <= 10
    # Lambda refuses an SQS trigger whose visibility timeout is shorter than the function's timeout.
    assert properties["Timeout"] <= route.visibility_timeout


def test_function_environment_satisfies_the_runtime_settings(resources: dict[str, Any],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    tables = table_by_name(resources)
    for name, properties in functions(resources).items():
        variables = properties["Environment"]["Variables"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Korrigo"
        assert variables["POWERTOOLS_SERVICE_NAME"]
        for key in ("AWS_ENDPOINT_URL", "KORRIGO_DEMO_PASSWORD", "KORRIGO_DEBUG",
                    "KORRIGO_TRUST_FORWARDED_FOR"):
            monkeypatch.delenv(key, raising=False)
        for key, value in variables.items():
            monkeypatch.setenv(key, str(resolve(value, {infra_template.BUCKET_ID: bucket_name})))
        settings = Settings()
        assert settings.stage == "prod"
        assert deployment_problems(settings) == [], name  # the function would refuse to start
        assert settings.files_bucket == bucket_name
        assert settings.table_name("copies") in tables


# ------------------------------------------------------------------------------------------------- IAM


def role_statements(resources: dict[str, Any], properties: dict[str, Any]) -> list[dict[str, Any]]:
    role = resources[properties["Role"]["Fn::GetAtt"][0]]
    assert role["Type"] == "AWS::IAM::Role"
    return [statement for policy in role["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]]


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", sorted(EXPECTED_FUNCTION_TABLES))
def test_function_role_is_least_privilege(resources: dict[str, Any], name: str) -> None:
    properties = functions(resources)[name]
    assert "Policies" not in properties  # SAM would add broad managed policies next to its own role
    statements = role_statements(resources, properties)
    table_ids = {logical: resolve(table["Properties"]["TableName"])
                 for logical, table in of_type(resources, "AWS::DynamoDB::Table").items()}
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    touched_tables: set[str] = set()
    own_queue = infra_template.queue_id(name)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        services = {action.split(":")[0] for action in actions_of(statement)}
        if services & {"dynamodb", "s3", "sqs"}:
            assert len(services) == 1, statement["Sid"]
            assert "*" not in as_list(statement["Resource"]), statement["Sid"]
            assert not any(action.endswith("*") for action in actions_of(statement)), statement["Sid"]
        if services == {"dynamodb"}:
            ids = referenced_ids(statement["Resource"])
            assert ids <= set(table_ids), statement["Sid"]
            touched_tables |= ids
            if "dynamodb:Query" in actions_of(statement):
                [table_id] = ids
                has_indexes = "GlobalSecondaryIndexes" in resources[table_id]["Properties"]
                assert ({"Fn::Sub": f"${{{table_id}.Arn}}/index/*"} in statement["Resource"]) == has_indexes
        elif services == {"s3"}:
            for arn in as_list(statement["Resource"]):
                resolved = resolve(arn)
                assert resolved.startswith(f"arn:aws:s3:::{bucket_name}"), resolved
                if actions_of(statement) != ["s3:ListBucket"]:
                    pattern = rf"arn:aws:s3:::{re.escape(bucket_name)}/[a-z]+(-[a-z]+)*/\*"
                    assert re.fullmatch(pattern, resolved), resolved
        elif services == {"sqs"}:
            assert referenced_ids(statement["Resource"]) == {own_queue}
    expected = {f"{PARAMETERS['ResourcePrefix']}-{entity}" for entity in EXPECTED_FUNCTION_TABLES[name]}
    assert {table_ids[logical] for logical in touched_tables} == expected


def test_audit_events_are_append_only_for_functions(resources: dict[str, Any]) -> None:
    for name, properties in functions(resources).items():
        for statement in role_statements(resources, properties):
            if referenced_ids(statement["Resource"]) == {"AuditEventsTable"}:
                assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(actions_of(statement)), name


# ---------------------------------------------------------------------------------------------- alarms


def alarms(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def test_every_dlq_and_every_function_has_an_alarm_to_the_admins(resources: dict[str, Any]) -> None:
    topic = {"Ref": infra_template.TOPIC_ID}
    assert resources[infra_template.TOPIC_ID]["Type"] == "AWS::SNS::Topic"
    subscriptions = of_type(resources, "AWS::SNS::Subscription").values()
    assert any(s["Properties"] == {"TopicArn": topic, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}}
               for s in subscriptions)
    for alarm in alarms(resources):
        assert alarm["AlarmActions"] == [topic]
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    watched_queues = {alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for alarm in alarms(resources)
                      if alarm["Namespace"] == "AWS/SQS"}
    dlqs = {infra_template.queue_id(route.function, dead_letter=True) for route in EVENT_ROUTES}
    assert watched_queues == dlqs
    watched_functions = {alarm["Dimensions"][0]["Value"]["Ref"] for alarm in alarms(resources)
                         if alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "Errors"}
    assert watched_functions == set(of_type(resources, "AWS::Serverless::Function"))


def test_stuck_copies_alarm_matches_the_emitted_metric(resources: dict[str, Any]) -> None:
    from chalicelib.observability import metrics

    [alarm] = [a for a in alarms(resources) if a["MetricName"] == "StuckCopies"]
    assert alarm["Namespace"] == "Korrigo"
    # Powertools adds a ``service`` dimension; an alarm only sees the exact dimension set.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": metrics.service}]


# ------------------------------------------------------------------------------------ template as whole


def test_outputs_name_the_bucket_the_queues_and_the_topic(template: dict[str, Any]) -> None:
    values = [output["Value"] for output in template["Outputs"].values()]
    assert {"Ref": infra_template.BUCKET_ID} in values
    assert {"Ref": infra_template.TOPIC_ID} in values
    for route in EVENT_ROUTES:
        assert {"Ref": infra_template.queue_id(route.function)} in values


def test_no_hard_coded_account_or_region(template: dict[str, Any]) -> None:
    text = json.dumps(template)
    assert not re.search(r"\b\d{12}\b", text)
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b", text)
    assert "arn:aws:" not in text  # partition comes from AWS::Partition


def lint_errors(template: dict[str, Any]) -> list[str]:
    """cfn-lint's errors (not warnings) on a template, offline."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-3"]))
    return [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches
            if m.rule.id.startswith("E")]


def test_cfn_lint_passes_on_the_standalone_template(template: dict[str, Any]) -> None:
    assert lint_errors(template) == []


def test_cfn_lint_catches_a_broken_template(template: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(template))
    broken["Resources"]["CopiesTable"]["Properties"]["BillingMode"] = "FREE"
    assert lint_errors(broken)


def chalice_output_stub(api_role: str | None) -> dict[str, Any]:
    """The parts of ``chalice package``'s SAM template that the merge template refers to."""
    function: dict[str, Any] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Runtime": "python3.11", "Handler": "app.app", "CodeUri": "./deployment.zip",
                       "Timeout": 30, "MemorySize": 512,
                       "Environment": {"Variables": {"KORRIGO_STAGE": "prod",
                                                     "KORRIGO_RESOURCE_PREFIX": "korrigo-prod",
                                                     "POWERTOOLS_SERVICE_NAME": "korrigo-api"}}},
    }
    rest_api = {"Type": "AWS::Serverless::Api", "Properties": {
        "EndpointConfiguration": "EDGE", "StageName": "api",
        "DefinitionBody": {"swagger": "2.0", "info": {"title": "korrigo", "version": "1.0"}, "paths": {}}}}
    resources: dict[str, Any] = {"APIHandler": function, "RestAPI": rest_api}
    if api_role is not None:
        function["Properties"]["Role"] = {"Fn::GetAtt": [api_role, "Arn"]}
        resources[api_role] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}}}
    else:
        function["Properties"]["Role"] = "arn:aws:iam::111122223333:role/precreated"
    return {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
            "Resources": resources, "Outputs": {}}


def test_merged_with_chalice_output_lints_and_configures_the_api() -> None:
    from chalice.package import TemplateDeepMerger

    api_role = infra_template.chalice_api_role("prod")
    merge = infra_template.build_template("prod")
    merged = TemplateDeepMerger().merge(merge, chalice_output_stub(api_role))
    variables = merged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["KORRIGO_STAGE"] == "prod"  # Chalice's own values survive the merge
    assert variables["KORRIGO_RESOURCE_PREFIX"] == {"Ref": "ResourcePrefix"}
    assert variables["KORRIGO_BUCKET_NAME"] == {"Ref": infra_template.BUCKET_ID}
    if api_role is not None:
        [policy] = merged["Resources"][api_role]["Properties"]["Policies"]  # the merge replaces Chalice's
        for statement in policy["PolicyDocument"]["Statement"]:
            assert "*" not in as_list(statement["Resource"])
            if referenced_ids(statement["Resource"]) == {"AuditEventsTable"}:
                assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(actions_of(statement))
    assert lint_errors(merged) == []


def test_cli_writes_the_template(tmp_path: Path) -> None:
    out = tmp_path / "build" / "template.json"
    assert infra_template.main(["--stage", "prod", "--out", str(out), "--standalone"]) == 0
    assert json.loads(out.read_text()) == infra_template.build_template("prod", merge_with_chalice=False)


def test_accounts_function_reads_and_hands_over_only_job_inputs_and_the_api_can_queue_them(
        template: dict[str, Any]) -> None:
    resources = template["Resources"]
    properties = functions(resources)["accounts"]
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    s3_arns = {resolve(arn) for statement in role_statements(resources, properties)
               if actions_of(statement)[0].startswith("s3:") for arn in as_list(statement["Resource"])}
    assert s3_arns == {f"arn:aws:s3:::{bucket_name}/jobs/*"}
    [route] = [route for route in EVENT_ROUTES if route.function == "accounts"]
    assert (route.prefix, route.suffix) == ("jobs/", ".json")
    assert properties["Timeout"] == 900 <= route.visibility_timeout
    merged = infra_template.build_template("prod", api_role="DefaultRole")["Resources"]
    api_statements = merged["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    queued_by_api = [resolve(arn) for s in api_statements if "s3:PutObject" in actions_of(s)
                     for arn in as_list(s["Resource"])]
    assert f"arn:aws:s3:::{bucket_name}/jobs/*" in queued_by_api



def test_sheets_function_reads_run_inputs_writes_only_answer_sheets_and_the_api_reads_them(
        template: dict[str, Any]) -> None:
    resources = template["Resources"]
    properties = functions(resources)["sheets"]
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    s3 = {(action, resolve(arn)) for statement in role_statements(resources, properties)
          for action in actions_of(statement) if action.startswith("s3:")
          for arn in as_list(statement["Resource"])}
    assert s3 == {("s3:GetObject", f"arn:aws:s3:::{bucket_name}/sheet-jobs/*"),
                  ("s3:PutObject", f"arn:aws:s3:::{bucket_name}/sheets/*")}
    [route] = [route for route in EVENT_ROUTES if route.function == "sheets"]
    assert (route.prefix, route.suffix) == ("sheet-jobs/", ".json")
    assert properties["Timeout"] == 900 <= route.visibility_timeout
    merged = infra_template.build_template("prod", api_role="DefaultRole")["Resources"]
    api_statements = merged["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    api_s3 = {(action, resolve(arn)) for s in api_statements for action in actions_of(s)
              if action.startswith("s3:") for arn in as_list(s["Resource"])}
    assert {("s3:PutObject", f"arn:aws:s3:::{bucket_name}/sheet-jobs/*"),
            ("s3:GetObject", f"arn:aws:s3:::{bucket_name}/sheets/*")} <= api_s3
    assert ("s3:PutObject", f"arn:aws:s3:::{bucket_name}/sheets/*") not in api_s3


# ------------------------------------------------------------------------------------ ephemeral storage


def test_ingest_has_room_in_tmp_for_the_largest_accepted_upload_and_its_pages(
        resources: dict[str, Any]) -> None:
    size_mb = functions(resources)["ingest"]["EphemeralStorage"]["Size"]
    largest_scan_mb = Settings().max_upload_bytes / 2**20
    assert size_mb >= 2 * largest_scan_mb + 512  # the scan, its rendered pages, working space
    assert size_mb <= 10240  # Lambda's maximum
    for name, properties in functions(resources).items():
        assert 512 <= properties["EphemeralStorage"]["Size"] <= 10240, name


def test_ingest_tmp_follows_the_upload_limit_and_refuses_what_lambda_cannot_hold() -> None:
    small = Settings(max_upload_bytes=100 * 2**20)
    assert infra_template.ingest_ephemeral_mb(small) == 712
    assert infra_template.ingest_ephemeral_mb(Settings(max_upload_bytes=2**20)) == 514
    with pytest.raises(ValueError, match="at most 10240 MB"):
        infra_template.ingest_ephemeral_mb(Settings(max_upload_bytes=5 * 2**30))


# ---------------------------------------------------------------------------------------------- backups


def test_every_table_has_point_in_time_recovery_and_the_bucket_keeps_versions(
        resources: dict[str, Any]) -> None:
    for table in of_type(resources, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert resources[infra_template.BUCKET_ID]["Properties"]["VersioningConfiguration"] == {
        "Status": "Enabled"}


def test_aws_backup_keeps_daily_backups_of_every_table_and_the_bucket_for_35_days(
        resources: dict[str, Any]) -> None:
    [vault_id] = of_type(resources, "AWS::Backup::BackupVault")
    assert resources[vault_id]["DeletionPolicy"] == "Retain"
    [plan_id] = of_type(resources, "AWS::Backup::BackupPlan")
    [rule] = resources[plan_id]["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["TargetBackupVault"] == {"Ref": vault_id}
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", rule["ScheduleExpression"])  # once a day
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    [selection] = of_type(resources, "AWS::Backup::BackupSelection").values()
    assert selection["Properties"]["BackupPlanId"] == {"Ref": plan_id}
    chosen = selection["Properties"]["BackupSelection"]
    assert referenced_ids(chosen["Resources"]) >= set(of_type(resources, "AWS::DynamoDB::Table"))
    bucket_name = resolve(resources[infra_template.BUCKET_ID]["Properties"]["BucketName"])
    assert f"arn:aws:s3:::{bucket_name}" in [resolve(arn) for arn in chosen["Resources"]]
    role = resources[chosen["IamRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "backup.amazonaws.com"}
    managed = [resolve(arn) for arn in role["ManagedPolicyArns"]]
    assert "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup" in managed
    assert "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup" in managed
    assert not any("Restore" in arn for arn in managed)  # restores run with an operator's role


# -------------------------------------------------------------------------------------------- dashboard


def dashboard_body(resources: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON, queue names resolved as ``q-<id>`` and function names as ``fn-<id>``."""
    [dashboard] = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    names = {f"{queue}.QueueName": f"q-{queue}" for queue in of_type(resources, "AWS::SQS::Queue")}
    names |= {function: f"fn-{function}" for function in of_type(resources, "AWS::Serverless::Function")}
    return json.loads(resolve(dashboard["Properties"]["DashboardBody"], names))


def dashboard_metrics(resources: dict[str, Any]) -> list[list[Any]]:
    widgets = dashboard_body(resources)["widgets"]
    return [line for widget in widgets for line in widget["properties"]["metrics"]]


def emitted_metrics() -> set[str]:
    """Metric names the code publishes: ``add_metric(name="...")`` or a name constant of observability."""
    from chalicelib import observability

    root = Path(infra_template.REPO_ROOT)
    sources = [*root.glob("chalicelib/**/*.py"), *root.glob("functions/**/*.py")]
    names: set[str] = set()
    for source in sources:
        for argument in re.findall(r"add_metric\(\s*name=([^,]+),", source.read_text()):
            names.update(re.findall(r"\"(\w+)\"", argument))
            constants = re.findall(r"\b([A-Z_]+_METRIC)\b", argument)
            names.update(getattr(observability, constant) for constant in constants)
    return names


def test_dashboard_shows_the_operations_at_a_glance(resources: dict[str, Any]) -> None:
    titles = " | ".join(widget["properties"]["title"] for widget in dashboard_body(resources)["widgets"])
    titles = titles.lower()
    for topic in ("pages processed", "auto-match rate", "identification backlog", "lock conflicts",
                  "finalise → graded latency", "render failures", "dead-letter", "api latency",
                  "4xx / 5xx", "throttled sign-ins"):
        assert topic in titles
    lines = dashboard_metrics(resources)
    dlqs = {line[3] for line in lines if line[:2] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible"]}
    assert dlqs == {f"q-{infra_template.queue_id(r.function, dead_letter=True)}" for r in EVENT_ROUTES}
    api = [line for line in lines if line[0] == "AWS/ApiGateway"]
    assert {line[1] for line in api} == {"Latency", "4XXError", "5XXError"}
    assert any(line[-1].get("stat") == "p99" for line in api if line[1] == "Latency")
    assert all(line[2:6] == ["ApiName", "korrigo-prod-api", "Stage", "api"] for line in api)


def test_dashboard_and_alarms_read_metrics_the_code_emits(resources: dict[str, Any]) -> None:
    from chalicelib.observability import metrics

    korrigo = [line for line in dashboard_metrics(resources) if line[0] == "Korrigo"]
    assert korrigo
    for line in korrigo:
        assert line[2:4] == ["service", metrics.service]  # the exact dimension set Powertools writes
    used = {line[1] for line in korrigo} | {a["MetricName"] for a in alarms(resources)
                                             if a["Namespace"] == "Korrigo"}
    assert used - emitted_metrics() == set(), "the dashboard or an alarm reads a metric no code emits"
    assert {"PagesProcessed", "OcrAutoMatched", "OcrUnmatched", "LockConflicts", "RenderFailures",
            "StuckCopies", "IdentificationBacklog", "GradingLatency", "ThrottledSignIns"} <= used


def test_dashboard_names_resolve_in_the_api_overrides() -> None:
    merged = infra_template.build_template("prod", api_role="DefaultRole")["Resources"]
    assert resolve(merged["RestAPI"]["Properties"]["Name"]) == "korrigo-prod-api"
    assert resolve(merged["APIHandler"]["Properties"]["FunctionName"]) == "korrigo-prod-api"
    assert resolve(merged[infra_template.API_LOG_GROUP]["Properties"]["LogGroupName"]) == \
        "/aws/lambda/korrigo-prod-api"
