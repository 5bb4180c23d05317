"""Least privilege, read from the template that is deployed: ``chalice package --merge-template``'s output.

The merged template is produced offline exactly as ``make package`` does (Chalice's own packager and
deep merge), with an empty stand-in for the API's deployment zip. Every role in it is checked: no
wildcard action, no wildcard resource except where AWS has no resource-level permissions, nobody
rewrites or deletes audit events, only the render function writes final PDFs, only ingest writes page
images, and the API's role holds the template's policy and nothing from ``.chalice/policy-prod.json``.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import template as infra_template

REPO_ROOT = Path(__file__).resolve().parents[3]
BUCKET = "korrigo-prod-files"
PARAMETERS = {"ResourcePrefix": "korrigo-prod", "AWS::Partition": "aws", "AWS::Region": "eu-west-3",
              "AWS::AccountId": "111122223333", infra_template.BUCKET_ID: BUCKET}

#: Actions AWS only authorises on ``"Resource": "*"``, and why each is needed.
NO_RESOURCE_LEVEL = {
    "textract:DetectDocumentText": "Textract has no resource-level permissions (OCR; ingest: smudged codes)",
    "cloudwatch:PutMetricData": "metrics have no ARN; allowed only with a cloudwatch:namespace condition",
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (tracing)",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions (tracing)",
}
#: AWS-managed policies, the only role that may carry them, and why.
MANAGED_POLICIES = {
    infra_template.BACKUP_ROLE: {
        # AWS Backup's own service role: snapshot the tables, read the bucket. Backup only: a restore
        # is started by an operator with a restore role, so this role never writes an object.
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    },
}
AUDIT_TABLE = "AuditEventsTable"
#: Any action that changes or removes an item.
AUDIT_FORBIDDEN = set(infra_template.AUDIT_FORBIDDEN)
#: S3 actions that create or replace an object's content.
OBJECT_WRITES = {"s3:PutObject", "s3:ReplicateObject", "s3:RestoreObject"}
OBJECT_DELETES = {"s3:DeleteObject", "s3:DeleteObjectVersion"}
FINAL_KEY, PAGE_KEY = "final/exam/copy/1.pdf", "pages/exam/copy/00.jpg"


def package_with_chalice(out: Path) -> dict[str, Any]:
    """``make package``'s merge path, offline: Chalice packages the prod stage with our merge template."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.deployer import DeploymentPackager

    merge_template = out / "template.json"
    merge_template.write_text(json.dumps(infra_template.build_template("prod")))
    stand_in = out / "app.zip"
    with zipfile.ZipFile(stand_in, "w") as archive:
        archive.writestr("app.py", "")
    environ = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-3",
               "KORRIGO_ALLOWED_ORIGINS": '["https://package.invalid"]',
               "KORRIGO_SECRET_KEY": "package-time-placeholder-never-deployed"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DeploymentPackager, "handle_deploymentpackage",
                      lambda self, config, resource: setattr(resource, "filename", str(stand_in)))
        factory = CLIFactory(project_dir=str(REPO_ROOT), environ=environ)
        config = factory.create_config_obj("prod")
        packager = factory.create_app_packager(config, factory.create_package_options(), "cloudformation",
                                               "json", str(merge_template))
        packager.package_app(config, str(out / "build"), "prod")
    return json.loads((out / "build" / "sam.json").read_text())


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return package_with_chalice(tmp_path_factory.mktemp("package"))


# ----------------------------------------------------------------------------------------------- reading


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve(value: Any) -> str | None:
    """A resource ARN as text (``Fn::Sub`` resolved with sample values); None for ``GetAtt``/``Ref``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"]
        for name, known in PARAMETERS.items():
            text = text.replace(f"${{{name}}}", known)
        return re.sub(r"\$\{(\w+)\.Arn\}", r"<\1>", text)
    return None


def referenced(value: Any) -> set[str]:
    """Logical ids a resource entry (or a list of them) points at."""
    if isinstance(value, list):
        return set().union(*(referenced(item) for item in value))
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::Sub" in value:
            return set(re.findall(r"\$\{(\w+)(?:\.\w+)?\}", value["Fn::Sub"])) - set(PARAMETERS)
    return set()


def role_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role logical id, statement) for every inline and attached policy of every role."""
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in as_list(policy["PolicyDocument"]["Statement"]):
                    yield logical, statement
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in resource["Properties"].get("Roles", []):
                for statement in as_list(resource["Properties"]["PolicyDocument"]["Statement"]):
                    yield role["Ref"], statement


def object_arns(statement: dict[str, Any]) -> list[str]:
    """The statement's resources inside the files bucket, as ``<key pattern>``."""
    keys = []
    for resource in as_list(statement["Resource"]):
        text = resolve(resource)
        if text == "*":
            keys.append("*")
        elif text and text.startswith(f"arn:aws:s3:::{BUCKET}/"):
            keys.append(text.removeprefix(f"arn:aws:s3:::{BUCKET}/"))
    return keys


def covers(statement: dict[str, Any], action_set: set[str], key: str) -> bool:
    """True when the statement allows one of ``action_set`` (wildcards included) on object ``key``."""
    actions = as_list(statement["Action"])
    if not any(fnmatch.fnmatchcase(wanted, granted) for wanted in action_set for granted in actions):
        return False
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in object_arns(statement))


def iam_problems(template: dict[str, Any]) -> list[str]:
    """Every least-privilege rule the template breaks (empty when it is clean)."""
    resources = template["Resources"]
    problems = []
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function" and "Policies" in resource["Properties"]:
            problems.append(f"{logical}: SAM policies (SAM would add its own role and managed policies)")
        if resource["Type"] == "AWS::IAM::Role":
            managed = {resolve(arn) for arn in resource["Properties"].get("ManagedPolicyArns", [])}
            if managed - MANAGED_POLICIES.get(logical, set()):
                problems.append(f"{logical}: managed policies {sorted(managed)}")
    for role, statement in role_statements(resources):
        where = f"{role}/{statement.get('Sid', '?')}"
        actions = as_list(statement["Action"])
        if statement["Effect"] != "Allow" or "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{where}: only plain Allow statements are expected")
        if any("*" in action for action in actions):
            problems.append(f"{where}: wildcard action {actions}")
        for resource in as_list(statement["Resource"]):
            text = resolve(resource)
            if text == "*":
                unjustified = [action for action in actions if action not in NO_RESOURCE_LEVEL]
                if unjustified:
                    problems.append(f"{where}: Resource * for {unjustified}")
                if "cloudwatch:PutMetricData" in actions and "cloudwatch:namespace" not in json.dumps(
                        statement.get("Condition", {})):
                    problems.append(f"{where}: PutMetricData without a namespace condition")
            elif text is not None and not re.fullmatch(r"[^*]+?(/\*|/index/\*)?", text):
                problems.append(f"{where}: wildcard resource {text}")
            elif text is None and not referenced(resource) <= set(resources):
                problems.append(f"{where}: unknown resource {resource}")
        if AUDIT_TABLE in referenced(statement["Resource"]) or matches_audit_table(statement):
            granted = sorted(wanted for wanted in AUDIT_FORBIDDEN
                             if any(fnmatch.fnmatchcase(wanted, action) for action in actions))
            if granted:
                problems.append(f"{where}: may rewrite or delete audit events ({granted})")
        if covers(statement, OBJECT_WRITES, FINAL_KEY) and role != "RenderFunctionRole":
            problems.append(f"{where}: may write final PDFs")
        if covers(statement, OBJECT_WRITES, PAGE_KEY) and role != "IngestFunctionRole":
            problems.append(f"{where}: may write page images")
        if covers(statement, OBJECT_DELETES, FINAL_KEY):
            problems.append(f"{where}: may delete final PDFs")
    return problems


def matches_audit_table(statement: dict[str, Any]) -> bool:
    """True when a textual ARN pattern of the statement matches the audit table."""
    audit_arn = f"arn:aws:dynamodb:eu-west-3:111122223333:table/{PARAMETERS['ResourcePrefix']}-audit-events"
    texts = [resolve(resource) for resource in as_list(statement["Resource"])]
    return any(text and fnmatch.fnmatchcase(audit_arn, text.replace("arn:*:", "arn:aws:")) for text in texts)


def api_role(merged: dict[str, Any]) -> str:
    return merged["Resources"][infra_template.CHALICE_API_FUNCTION]["Properties"]["Role"]["Fn::GetAtt"][0]


# ------------------------------------------------------------------------------------------------- tests


def test_the_merged_template_breaks_no_least_privilege_rule(merged: dict[str, Any]) -> None:
    assert iam_problems(merged) == []


def test_every_lambda_runs_with_a_role_of_this_template(merged: dict[str, Any]) -> None:
    resources = merged["Resources"]
    lambdas = {logical: r for logical, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert infra_template.CHALICE_API_FUNCTION in lambdas
    roles = [r["Properties"]["Role"]["Fn::GetAtt"][0] for r in lambdas.values()]
    assert len(set(roles)) == len(roles), "one role per function"
    assert all(resources[role]["Type"] == "AWS::IAM::Role" for role in roles)


def test_the_api_role_is_the_templates_policy_only(merged: dict[str, Any]) -> None:
    resources = merged["Resources"]
    role = resources[api_role(merged)]["Properties"]
    [policy] = role["Policies"]
    assert policy["PolicyName"] == "korrigo-api-least-privilege"
    assert "ManagedPolicyArns" not in role
    statements = policy["PolicyDocument"]["Statement"]
    chalice_file = json.loads((REPO_ROOT / ".chalice" / "policy-prod.json").read_text())
    assert not any(statement in statements for statement in chalice_file["Statement"])
    [logs] = [s for s in statements if s["Sid"] == "Logs"]
    assert logs["Resource"] == {"Fn::GetAtt": [infra_template.API_LOG_GROUP, "Arn"]}
    log_group = resources[infra_template.API_LOG_GROUP]["Properties"]["LogGroupName"]
    function_name = resources[infra_template.CHALICE_API_FUNCTION]["Properties"]["FunctionName"]
    assert resolve(log_group) == f"/aws/lambda/{resolve(function_name)}"
    # Nothing else in the stack grants the API anything.
    assert [s for r, s in role_statements(resources) if r == api_role(merged)] == statements


def test_the_api_writes_only_scans_render_specs_and_job_inputs(merged: dict[str, Any]) -> None:
    resources = merged["Resources"]
    statements = [s for r, s in role_statements(resources) if r == api_role(merged)]
    written = {key for s in statements if "s3:PutObject" in as_list(s["Action"]) for key in object_arns(s)}
    assert written == {"scans/*", "renders/*", "jobs/*", "sheet-jobs/*", "rescore-jobs/*"}
    audit = [s for s in statements if AUDIT_TABLE in referenced(s["Resource"])]
    assert {a for s in audit for a in as_list(s["Action"])} >= {"dynamodb:PutItem", "dynamodb:Query"}
    assert not any("dynamodb:Scan" in as_list(s["Action"]) for s in statements)


@pytest.mark.parametrize(("role", "statement", "problem"), [
    ("ApiHandlerRole", {"Sid": "OldPolicyFile", "Effect": "Allow",
                        "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                        "Resource": ["arn:*:dynamodb:*:*:table/korrigo-prod-*"]}, "audit events"),
    ("ApiHandlerRole", {"Sid": "Files", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::korrigo-prod-files/*"}]},
     "final PDFs"),
    ("IngestFunctionRole", {"Sid": "Final", "Effect": "Allow", "Action": "s3:Put*",
                            "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET}/final/*"}},
     "final PDFs"),
    ("RenderFunctionRole", {"Sid": "Pages", "Effect": "Allow", "Action": ["s3:PutObject"],
                            "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET}/pages/*"}},
     "page images"),
    ("MaintenanceFunctionRole", {"Sid": "Audit", "Effect": "Allow", "Action": ["dynamodb:DeleteItem"],
                                 "Resource": {"Fn::GetAtt": [AUDIT_TABLE, "Arn"]}}, "audit events"),
    ("MaintenanceFunctionRole", {"Sid": "Purge", "Effect": "Allow", "Action": ["s3:DeleteObject"],
                                 "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET}/*"}},
     "delete final PDFs"),
    ("OcrFunctionRole", {"Sid": "Anything", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
     "Resource *"),
    ("OcrFunctionRole", {"Sid": "All", "Effect": "Allow", "Action": ["dynamodb:*"],
                         "Resource": {"Fn::GetAtt": ["CopiesTable", "Arn"]}}, "wildcard action"),
])
def test_the_checks_catch_a_broad_grant(merged: dict[str, Any], role: str, statement: dict[str, Any],
                                        problem: str) -> None:
    broken = copy.deepcopy(merged)
    broken["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(statement)
    assert any(problem in found for found in iam_problems(broken)), iam_problems(broken)


def test_only_aws_backup_carries_managed_policies(merged: dict[str, Any]) -> None:
    broken = copy.deepcopy(merged)
    broken["Resources"]["OcrFunctionRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/AmazonS3FullAccess"]
    assert any("managed policies" in problem for problem in iam_problems(broken))


def test_the_merged_template_lints_without_errors(merged: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(merged), config=ManualArgs(regions=["eu-west-3"]))
    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")] == []
