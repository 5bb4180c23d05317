"""The deployable AWS template of Korrigo, generated from the definitions the code itself runs on.

Everything but the API Lambda (which ``chalice package`` generates) is described here: the DynamoDB
tables (from the PynamoDB models in ``ALL_MODELS``), the files bucket and its S3 → SQS routes (from
``chalicelib.resources.EVENT_ROUTES``), the queues with their dead-letter queues, the event-driven and
scheduled functions with one least-privilege role each, and the alarms that notify the admins.

The output is a SAM-compatible JSON template meant for ``chalice package --merge-template``. By default it
also carries a few overrides of Chalice's own resources (the API function's environment, a policy on its
role and an error alarm), so that the API reads the same names as the functions; ``--standalone`` leaves
them out and the template then deploys on its own.

Usage::

    python -m infra.template [--stage prod] [--out infra/build/template.json] [--standalone]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pynamodb.models import Model

from chalicelib.models import ALL_MODELS
from chalicelib.observability import (
    GRADING_LATENCY_METRIC,
    IDENTIFICATION_BACKLOG_METRIC,
    METRICS_NAMESPACE,
    METRICS_SERVICE,
    STUCK_COPIES_METRIC,
    THROTTLED_SIGN_INS_METRIC,
)
from chalicelib.resources import (
    EVENT_ROUTES,
    EXPORTS_PREFIX,
    FINAL_PREFIX,
    HEADERS_PREFIX,
    JOBS_PREFIX,
    PAGES_PREFIX,
    RENDER_SPECS_PREFIX,
    RESCORE_JOBS_PREFIX,
    SCANS_PREFIX,
    SHEET_JOBS_PREFIX,
    SHEETS_PREFIX,
    EventRoute,
)
from chalicelib.settings import Settings, get_settings

Json = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("infra/build/template.json")
#: Relative to the packaged template (``chalice package`` writes it next to the zips in ``infra/build/``).
DEFAULT_CODE_URI = "./functions.zip"

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
RUNTIME = "python3.11"
LOG_RETENTION_DAYS = 90
NONCURRENT_VERSION_DAYS = 90
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
ALARM_PERIOD_SECONDS = 300
#: Queues and log groups hold nothing that outlives the stack (tables and the bucket are retained).
TRANSIENT = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


BACKUP_VAULT = "BackupVault"
BACKUP_ROLE = "BackupRole"
BACKUP_SCHEDULE = "cron(0 2 * * ? *)"  # daily, 02:00 UTC
BACKUP_RETENTION_DAYS = 35
#: AWS's managed policies for AWS Backup's own role: back up DynamoDB tables and S3 buckets (no restore).
BACKUP_MANAGED_POLICIES = ("service-role/AWSBackupServiceRolePolicyForBackup",
                           "AWSBackupServiceRolePolicyForS3Backup")
DASHBOARD_ID = "OperationsDashboard"

#: Chalice's logical ids in the template that ``chalice package`` generates.
CHALICE_API_FUNCTION = "APIHandler"
CHALICE_API_HANDLER = "api_handler"
CHALICE_DEFAULT_ROLE = "DefaultRole"
CHALICE_REST_API = "RestAPI"
API_LOG_GROUP = f"{CHALICE_API_FUNCTION}LogGroup"

PREFIX_PARAMETER = "ResourcePrefix"
BUCKET_ID = "FilesBucket"
TOPIC_ID = "AdminAlerts"

#: Physical names, computed by the runtime's own naming with a CloudFormation placeholder as prefix.
NAMES = Settings(resource_prefix=f"${{{PREFIX_PARAMETER}}}", bucket_name="")
#: The API Gateway REST API's name (its CloudWatch metrics are by name and stage).
NAMES_API = f"${{{PREFIX_PARAMETER}}}-api"

# DynamoDB access levels. PynamoDB describes a table before its first call; transactions are
# authorised by the underlying item actions (Put/Update/Delete/ConditionCheck). BatchWriteItem both puts
# and deletes: it is granted only where deleting is.
DDB_DESCRIBE = ("dynamodb:DescribeTable",)
DDB_READ = (*DDB_DESCRIBE, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
            "dynamodb:ConditionCheckItem")
DDB_PUT = ("dynamodb:PutItem",)
DDB_UPDATE = ("dynamodb:UpdateItem",)
DDB_DELETE = ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
DDB_SCAN = ("dynamodb:Scan",)
DDB_WRITE = (*DDB_READ, *DDB_PUT, *DDB_UPDATE, *DDB_DELETE)
DDB_APPEND = (*DDB_DESCRIBE, *DDB_PUT)  # audit events are immutable: conditional PutItem only
DDB_READ_APPEND = (*DDB_READ, *DDB_PUT)
#: What nobody may do to the audit trail (the least-privilege test checks every role against it).
AUDIT_FORBIDDEN = ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                   "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert")


@dataclass(frozen=True)
class S3Grant:
    """Object actions allowed under some key prefixes of the files bucket."""

    actions: tuple[str, ...]
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class FunctionSpec:
    """A worker Lambda: its sizing, its trigger and exactly what it may touch."""

    name: str
    description: str
    memory_mb: int
    timeout_s: int
    tables: Mapping[str, tuple[str, ...]]
    s3: tuple[S3Grant, ...] = ()
    list_prefixes: tuple[str, ...] = ()
    batch_size: int = 1
    schedule: str | None = None
    ephemeral_mb: int = 512  # Lambda's default /tmp
    extra_statements: tuple[Json, ...] = ()


#: Lambda's /tmp bounds (MB).
EPHEMERAL_MIN_MB, EPHEMERAL_MAX_MB = 512, 10240
#: Headroom of /tmp beyond the files a function keeps there (PyMuPDF's and Python's own temporary files).
EPHEMERAL_HEADROOM_MB = 512


def ingest_ephemeral_mb(settings: Settings) -> int:
    """Ephemeral storage of ingest (MB): the largest accepted scan and its rendered pages, side by side.

    The scan is downloaded whole; every page is rendered to a JPEG (masked first pages and headers
    besides) before the images are uploaded. Rendered 150 DPI pages weigh at most about what the scan's
    own page images weigh, so twice the scan, plus headroom, holds the worst accepted upload.
    """
    needed = 2 * settings.max_upload_bytes // 2**20 + EPHEMERAL_HEADROOM_MB
    if needed > EPHEMERAL_MAX_MB:
        raise ValueError(f"max_upload_bytes={settings.max_upload_bytes} needs {needed} MB of /tmp; Lambda "
                         f"offers at most {EPHEMERAL_MAX_MB} MB")
    return max(EPHEMERAL_MIN_MB, needed)


TEXTRACT = {
    "Sid": "Textract",  # Textract has no resource-level permissions
    "Effect": "Allow",
    "Action": ["textract:DetectDocumentText"],
    "Resource": "*",
}

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="ingest",
        description="Validate and split an uploaded scan into copies, render pages, crop headers.",
        memory_mb=2048,
        timeout_s=900,
        ephemeral_mb=ingest_ephemeral_mb(Settings()),
        batch_size=1,
        # Claims and finishes its upload, reserves the exam's copy sequence (UpdateItem only), creates
        # copies and pages in one transaction each, removes the half copies of a failed scan, and
        # identifies booklet copies by their code (the pupil's claim, a check of the enrolment).
        tables={"uploads": (*DDB_READ, *DDB_UPDATE),
                "copies": (*DDB_READ, *DDB_PUT, *DDB_UPDATE, *DDB_DELETE),
                "pages": (*DDB_READ, *DDB_PUT, *DDB_DELETE), "exams": (*DDB_READ, *DDB_UPDATE),
                "unique-values": (*DDB_READ, *DDB_PUT, *DDB_DELETE), "enrolments": DDB_READ,
                "audit-events": DDB_APPEND,
                "booklets": DDB_READ},  # the printed answer sheets whose codes a scan's pages carry
        # The scan is downloaded by the version whose size was checked (GetObjectVersion).
        s3=(S3Grant(("s3:GetObject", "s3:GetObjectVersion"), (SCANS_PREFIX,)),
            S3Grant(("s3:PutObject",), (PAGES_PREFIX, HEADERS_PREFIX))),
        extra_statements=(TEXTRACT,),  # the printed line of a sheet page whose code is unreadable
    ),
    FunctionSpec(
        name="ocr",
        description="Read a copy's header and rank the roster suggestions.",
        memory_mb=1536,
        timeout_s=120,
        batch_size=5,
        # Stores its result; reads the exam's roster. It never writes a copy (identification is the API's).
        tables={"ocr-results": (*DDB_DESCRIBE, *DDB_PUT), "students": DDB_READ, "enrolments": DDB_READ},
        s3=(S3Grant(("s3:GetObject",), (HEADERS_PREFIX,)),),
        extra_statements=(TEXTRACT,),
    ),
    FunctionSpec(
        name="render",
        description="Flatten annotations and scores of a finalised copy into its final PDF.",
        memory_mb=1536,
        timeout_s=300,
        batch_size=2,
        # The render spec carries the scores; pages and annotations (immutable once finalised) are
        # read by query; it only settles the copy.
        tables={"copies": (*DDB_READ, *DDB_UPDATE), "pages": DDB_READ, "annotations": DDB_READ,
                "audit-events": DDB_APPEND},
        s3=(S3Grant(("s3:GetObject",), (RENDER_SPECS_PREFIX, PAGES_PREFIX)),
            S3Grant(("s3:PutObject",), (FINAL_PREFIX,))),  # the only writer of final PDFs
    ),
    FunctionSpec(
        name="accounts",
        description="Create roster accounts or reset passwords in resumable chunks (Argon2id hashing).",
        memory_mb=2048,  # two vCPUs: the chunk's passwords are hashed on two threads
        timeout_s=900,
        batch_size=1,
        tables={"account-jobs": (*DDB_READ, *DDB_UPDATE), "credential-parts": (*DDB_READ, *DDB_PUT),
                "students": (*DDB_READ, *DDB_PUT, *DDB_UPDATE), "enrolments": (*DDB_READ, *DDB_PUT),
                "unique-values": (*DDB_READ, *DDB_PUT), "audit-events": DDB_APPEND,
                # A password reset clears the pupil's sign-in failures (auth.clear_sign_in_failures).
                "rate-limits": (*DDB_DESCRIBE, "dynamodb:DeleteItem")},
        # Get the job's rows; put them again to continue in a fresh invocation; delete them when done.
        s3=(S3Grant(("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), (JOBS_PREFIX,)),),
    ),
    FunctionSpec(
        name="sheets",
        description="Print an exam's personalised answer sheets: a QR-coded booklet per pupil, one PDF.",
        memory_mb=1536,
        timeout_s=900,
        batch_size=1,
        # Reads the exam and its roster; gives each pupil a booklet (conditional puts) and settles the
        # run (conditional update of its own item, created PENDING by the API).
        tables={"exams": DDB_READ, "enrolments": DDB_READ, "students": DDB_READ,
                "booklets": (*DDB_READ, *DDB_PUT), "sheet-jobs": (*DDB_READ, *DDB_UPDATE)},
        s3=(S3Grant(("s3:GetObject",), (SHEET_JOBS_PREFIX,)),
            S3Grant(("s3:PutObject",), (SHEETS_PREFIX,))),  # the only writer of answer sheets
    ),
    FunctionSpec(
        name="rescore",
        description="Re-score every copy using an edited rubric item; re-render the graded ones.",
        memory_mb=512,
        timeout_s=300,
        batch_size=1,
        # Reads the exam and its rubric; recomputes question scores (conditional updates), rebuilds the
        # graded copies' score sheets (conditional puts) and sends them back to rendering (the RESCORE
        # move with the audit event, one transaction per copy), writing each render spec.
        tables={"exams": DDB_READ, "rubric-items": DDB_READ,
                "question-scores": (*DDB_READ, *DDB_UPDATE), "scores": (*DDB_READ, *DDB_PUT),
                "copies": (*DDB_READ, *DDB_UPDATE), "audit-events": DDB_APPEND},
        s3=(S3Grant(("s3:GetObject",), (RESCORE_JOBS_PREFIX,)),
            S3Grant(("s3:PutObject",), (RENDER_SPECS_PREFIX,))),
    ),
    FunctionSpec(
        name="maintenance",
        description="Recover stuck copies, expire stale locks, clean orphans, publish metrics.",
        memory_mb=512,
        timeout_s=300,
        schedule="rate(5 minutes)",
        # Scans copies, locks, uploads and account jobs; settles stuck ones and fails uploads that never
        # received a file (conditional updates); drops expired locks; a stuck upload's half copies and
        # their pages are discarded (``scans.fail``), pages are read to know what is referenced.
        tables={"copies": (*DDB_READ, *DDB_SCAN, *DDB_UPDATE, *DDB_DELETE),
                "locks": (*DDB_READ, *DDB_SCAN, *DDB_DELETE),
                "uploads": (*DDB_READ, *DDB_SCAN, *DDB_UPDATE),
                "account-jobs": (*DDB_READ, *DDB_SCAN, *DDB_UPDATE),
                "pages": (*DDB_READ, *DDB_DELETE),
                "audit-events": DDB_APPEND},
        # Re-drives a stuck render or account job by writing its input again; deletes orphans, never a
        # final PDF nor a scan.
        s3=(S3Grant(("s3:GetObject", "s3:PutObject"), (RENDER_SPECS_PREFIX, JOBS_PREFIX)),
            S3Grant(("s3:DeleteObject",), (PAGES_PREFIX, HEADERS_PREFIX, RENDER_SPECS_PREFIX,
                                           EXPORTS_PREFIX, JOBS_PREFIX))),
        list_prefixes=(SCANS_PREFIX, PAGES_PREFIX, HEADERS_PREFIX, RENDER_SPECS_PREFIX, EXPORTS_PREFIX,
                       JOBS_PREFIX),
    ),
)

#: What the API Lambda may touch when the template is merged with Chalice's output. Tables it does not
#: name get ``API_TABLE_ACCESS``. No Scan anywhere.
API_TABLE_ACCESS = DDB_WRITE
API_TABLES: dict[str, tuple[str, ...]] = {
    "audit-events": DDB_READ_APPEND,  # append and query, never rewrite nor delete
    "ocr-results": DDB_READ,  # written by the OCR function only
    "pages": DDB_READ,  # written by the ingest function only
    "copies": (*DDB_READ, *DDB_UPDATE),  # created by ingest; the API only moves them along
    "booklets": DDB_READ,  # written by the sheets function only
    "sheet-jobs": (*DDB_READ, *DDB_PUT, *DDB_UPDATE),  # a run queued (conditional put) or failed to queue
}
API_S3 = (
    # Pre-signed GETs: header crops (identification desk), page images (grading), final PDFs (downloads),
    # answer sheets.
    S3Grant(("s3:GetObject",), (HEADERS_PREFIX, PAGES_PREFIX, FINAL_PREFIX, SHEETS_PREFIX)),
    # Pre-signed POSTs of scans, render specs, account job, sheet run and rescore job inputs; never pages/
    # nor final/.
    S3Grant(("s3:PutObject",), (SCANS_PREFIX, RENDER_SPECS_PREFIX, JOBS_PREFIX, SHEET_JOBS_PREFIX,
                                RESCORE_JOBS_PREFIX)),
    S3Grant(("s3:DeleteObject",), (JOBS_PREFIX,)),  # the input of a job that could not be queued
)


# --------------------------------------------------------------------------------------------- naming


def camel(name: str) -> str:
    """``audit-events`` → ``AuditEvents`` (CloudFormation logical ids are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def sub(text: str) -> Json:
    """``Fn::Sub`` of a string holding ``${...}`` placeholders."""
    return {"Fn::Sub": text}


def ref(logical_id: str) -> Json:
    """``Ref`` to a resource, parameter or pseudo-parameter."""
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> Json:
    """``Fn::GetAtt <id>.Arn``."""
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def table_id(entity: str) -> str:
    """Logical id of an entity's table."""
    return f"{camel(entity)}Table"


def queue_id(function: str, dead_letter: bool = False) -> str:
    """Logical id of a function's queue or dead-letter queue."""
    return f"{camel(function)}{'DeadLetter' if dead_letter else ''}Queue"


def function_id(function: str) -> str:
    """Logical id of a worker Lambda."""
    return f"{camel(function)}Function"


def bucket_name() -> str:
    """The files bucket's name (a ``Fn::Sub`` string), as ``Settings.files_bucket`` computes it."""
    return NAMES.files_bucket


def bucket_arn(suffix: str = "") -> Json:
    """ARN of the files bucket, or of keys under it when ``suffix`` is ``/scans/*``-like."""
    return sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name()}{suffix}")


def entity_of(model: type[Model]) -> str:
    """The entity of a model's table (``korrigo-test-copies`` → ``copies``), whatever prefix it ran with."""
    prefix = get_settings().table_name("")
    name = model.Meta.table_name
    if not name.startswith(prefix):
        raise ValueError(f"{model.__name__}'s table {name!r} does not start with {prefix!r}")
    return name[len(prefix):]


def models_by_entity() -> dict[str, type[Model]]:
    """Every provisioned model, by entity name."""
    return {entity_of(model): model for model in ALL_MODELS}


# ------------------------------------------------------------------------------------------ parameters


def deployable_stages() -> tuple[str, ...]:
    """The stages ``Settings`` accepts, except local mode (which never deploys)."""
    return tuple(stage for stage in typing.get_args(Settings.model_fields["stage"].annotation)
                 if stage != "local")


def chalice_config(stage: str) -> Any | None:
    """Chalice's configuration of the API function for ``stage`` (None without ``.chalice/config.json``)."""
    config_file = REPO_ROOT / ".chalice" / "config.json"
    if not config_file.exists():
        return None
    from chalice.config import Config  # a dev dependency: only needed to generate the template

    return Config(chalice_stage=stage, function_name=CHALICE_API_HANDLER,
                  user_provided_params={"project_dir": str(REPO_ROOT)},
                  config_from_disk=json.loads(config_file.read_text()),
                  default_params={"api_gateway_stage": "api", "autogen_policy": True})


def chalice_api_role(stage: str) -> str | None:
    """Logical id of the API function's role in ``chalice package``'s output, by Chalice's own rules.

    ``DefaultRole`` with an autogenerated policy, ``ApiHandlerRole`` with a policy file, and None when
    the stage uses a pre-created role (``manage_iam_role: false``) that this template cannot extend.
    """
    config = chalice_config(stage)
    if config is None:
        return CHALICE_DEFAULT_ROLE
    if not config.manage_iam_role:
        return None
    if not config.autogen_policy:
        from chalice.utils import to_cfn_resource_name

        return to_cfn_resource_name(f"{CHALICE_API_HANDLER}_role")
    return CHALICE_DEFAULT_ROLE


def api_gateway_stage(stage: str) -> str:
    """The API Gateway stage Chalice deploys the API to (``api`` by default)."""
    config = chalice_config(stage)
    return str(config.api_gateway_stage) if config is not None else "api"


def default_prefix(stage: str) -> str:
    """The resource prefix Chalice's stage config gives the API (``korrigo-<stage>`` otherwise)."""
    config = chalice_config(stage)
    prefix = (config.environment_variables or {}).get("KORRIGO_RESOURCE_PREFIX") if config else None
    return prefix or f"korrigo-{stage}"


def parameters(stage: str) -> Json:
    """The deploy-time inputs: naming, the site's origin, the admins' e-mail and the secret key."""
    return {
        PREFIX_PARAMETER: {
            "Type": "String",
            "Default": default_prefix(stage),
            "AllowedPattern": "^[a-z][a-z0-9-]{1,40}[a-z0-9]$",
            "Description": "Prefix of every name (tables, bucket <prefix>-files, queues, functions); "
                           "it must make the bucket name globally unique.",
        },
        "SiteOrigin": {
            "Type": "String",
            "AllowedPattern": "^https://[A-Za-z0-9.-]+(:[0-9]+)?$",
            "ConstraintDescription": "an https origin without a path, e.g. https://korrigo.example.org",
            "Description": "The site's origin (SPA and /api): the only origin allowed to POST uploads.",
        },
        "AlertEmail": {
            "Type": "String",
            "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
            "Description": "E-mail address notified by the alarms (confirm the subscription e-mail).",
        },
        "SecretKey": {
            "Type": "String",
            "NoEcho": True,
            "MinLength": 32,
            "Description": "KORRIGO_SECRET_KEY: a unique random secret of at least 32 characters.",
        },
    }


def runtime_environment(stage: str, service: str) -> Json:
    """Environment of a Lambda: the names it reads at runtime and what the production guards require."""
    return {
        "KORRIGO_STAGE": stage,
        "KORRIGO_RESOURCE_PREFIX": ref(PREFIX_PARAMETER),
        "KORRIGO_BUCKET_NAME": ref(BUCKET_ID),
        "KORRIGO_ALLOWED_ORIGINS": sub('["${SiteOrigin}"]'),
        "KORRIGO_SECRET_KEY": ref("SecretKey"),
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
    }


# ---------------------------------------------------------------------------------------------- tables


def _key_schema(entries: Sequence[Mapping[str, str]]) -> list[Json]:
    """A key schema with the HASH key first, as DynamoDB requires."""
    ordered = sorted(entries, key=lambda entry: entry["KeyType"] != "HASH")
    return [{"AttributeName": entry["AttributeName"], "KeyType": entry["KeyType"]} for entry in ordered]


def _index(index_schema: Mapping[str, Any]) -> Json:
    """A GSI/LSI definition from PynamoDB's index schema."""
    projection: Json = {"ProjectionType": index_schema["projection"]["ProjectionType"]}
    if index_schema["projection"].get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = list(index_schema["projection"]["NonKeyAttributes"])
    return {
        "IndexName": index_schema["index_name"],
        "KeySchema": _key_schema(index_schema["key_schema"]),
        "Projection": projection,
    }


def table_resource(entity: str, model: type[Model]) -> Json:
    """An on-demand, encrypted, backed-up table whose keys, indexes and TTL are the model's."""
    schema = model._get_schema()
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    for index in [*schema["global_secondary_indexes"], *schema["local_secondary_indexes"]]:
        definitions.update({d["AttributeName"]: d["AttributeType"] for d in index["attribute_definitions"]})
    properties: Json = {
        "TableName": sub(NAMES.table_name(entity)),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                 for name, kind in sorted(definitions.items())],
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": True,
    }
    gsis = sorted(schema["global_secondary_indexes"], key=lambda index: index["index_name"])
    if gsis:
        properties["GlobalSecondaryIndexes"] = [_index(index) for index in gsis]
    lsis = sorted(schema["local_secondary_indexes"], key=lambda index: index["index_name"])
    if lsis:
        properties["LocalSecondaryIndexes"] = [_index(index) for index in lsis]
    ttl = model._ttl_attribute()
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def table_resources() -> Json:
    """One table per model of ``ALL_MODELS``."""
    return {table_id(entity): table_resource(entity, model) for entity, model in models_by_entity().items()}


# ---------------------------------------------------------------------------------------------- queues


def queue_resources(route: EventRoute) -> Json:
    """A function's queue (SSE, redrive to its DLQ) and the policy letting the bucket send to it.

    The policy names the bucket by its known name rather than by a reference: the bucket's
    notification configuration needs the policy to exist first, so a reference would be a cycle.
    """
    main, dead = queue_id(route.function), queue_id(route.function, dead_letter=True)
    return {
        dead: {
            "Type": "AWS::SQS::Queue",
            **TRANSIENT,
            "Properties": {
                "QueueName": sub(NAMES.queue_name(route.function, dead_letter=True)),
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        main: {
            "Type": "AWS::SQS::Queue",
            **TRANSIENT,
            "Properties": {
                "QueueName": sub(NAMES.queue_name(route.function)),
                "VisibilityTimeout": route.visibility_timeout,
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": arn_of(dead),
                                  "maxReceiveCount": route.max_receive_count},
            },
        },
        f"{main}Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(main)],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "FilesBucketEvents",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": arn_of(main),
                        "Condition": {
                            "ArnEquals": {"aws:SourceArn": bucket_arn()},
                            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
                        },
                    }],
                },
            },
        },
    }


# ---------------------------------------------------------------------------------------------- bucket


def notification(route: EventRoute) -> Json:
    """Objects created under the route's prefix with its suffix are sent to its queue."""
    return {
        "Event": "s3:ObjectCreated:*",
        "Queue": arn_of(queue_id(route.function)),
        "Filter": {"S3Key": {"Rules": [
            {"Name": "prefix", "Value": route.prefix},
            {"Name": "suffix", "Value": route.suffix},
        ]}},
    }


def bucket_resources(routes: Sequence[EventRoute]) -> Json:
    """The private, versioned, encrypted files bucket, its TLS-only policy and its event routes."""
    bucket = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "DependsOn": [f"{queue_id(route.function)}Policy" for route in routes],
        "Properties": {
            "BucketName": sub(bucket_name()),
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
            ]},
            "CorsConfiguration": {"CorsRules": [{
                "AllowedMethods": ["POST", "GET"],
                "AllowedOrigins": [ref("SiteOrigin")],
                "AllowedHeaders": ["*"],
                "ExposedHeaders": ["ETag"],
                "MaxAge": 3000,
            }]},
            "LifecycleConfiguration": {"Rules": [{
                "Id": "expire-noncurrent-versions",
                "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }]},
            "NotificationConfiguration": {"QueueConfigurations": [notification(r) for r in routes]},
        },
    }
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(BUCKET_ID),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn(), bucket_arn("/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }],
            },
        },
    }
    return {BUCKET_ID: bucket, f"{BUCKET_ID}Policy": policy}


# ------------------------------------------------------------------------------------------------- IAM


def table_statements(tables: Mapping[str, Sequence[str]], known: Mapping[str, type[Model]]) -> list[Json]:
    """One statement per table, with its index ARNs when the access includes Query."""
    statements = []
    for entity, actions in tables.items():
        if entity not in known:
            raise ValueError(f"no model provisions the table {entity!r}")
        resources: list[Json] = [arn_of(table_id(entity))]
        if "dynamodb:Query" in actions and known[entity]._indexes:
            resources.append(sub(f"${{{table_id(entity)}.Arn}}/index/*"))
        statements.append({"Sid": table_id(entity), "Effect": "Allow", "Action": list(actions),
                           "Resource": resources})
    return statements


def s3_statements(grants: Sequence[S3Grant], list_prefixes: Sequence[str] = ()) -> list[Json]:
    """Object actions on the granted prefixes, and listing limited to some prefixes."""
    statements = [
        {"Sid": f"Files{index}", "Effect": "Allow", "Action": list(grant.actions),
         "Resource": [bucket_arn(f"/{prefix}*") for prefix in grant.prefixes]}
        for index, grant in enumerate(grants)
    ]
    if list_prefixes:
        statements.append({
            "Sid": "ListFiles", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn(),
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in list_prefixes]}},
        })
    return statements


def function_role(spec: FunctionSpec, known: Mapping[str, type[Model]], queue: str | None) -> Json:
    """The function's own role: its log group, its tables, its prefixes, its queue, nothing else."""
    statements: list[Json] = [{
        "Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": arn_of(f"{function_id(spec.name)}LogGroup"),
    }]
    statements += table_statements(spec.tables, known)
    statements += s3_statements(spec.s3, spec.list_prefixes)
    if queue is not None:
        statements.append({
            "Sid": "OwnQueue", "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                       "sqs:GetQueueAttributes"],
            "Resource": arn_of(queue),
        })
    statements += [dict(statement) for statement in spec.extra_statements]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
            "Policies": [{"PolicyName": f"{spec.name}-least-privilege",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }


# ------------------------------------------------------------------------------------------- functions


def function_events(spec: FunctionSpec, route: EventRoute | None) -> Json:
    """The function's trigger: its queue (partial batch failures) or its schedule."""
    if route is not None:
        return {"Queue": {"Type": "SQS", "Properties": {
            "Queue": arn_of(queue_id(route.function)),
            "BatchSize": spec.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }}}
    if spec.schedule is None:
        raise ValueError(f"function {spec.name!r} has neither an event route nor a schedule")
    return {"Schedule": {"Type": "Schedule", "Properties": {
        "Schedule": spec.schedule, "Description": f"Korrigo {spec.name}", "Enabled": True,
    }}}


def function_resources(spec: FunctionSpec, route: EventRoute | None, stage: str, code_uri: str,
                       known: Mapping[str, type[Model]]) -> Json:
    """A worker Lambda with its role and its log group (created first, with a retention)."""
    if route is not None and route.visibility_timeout < spec.timeout_s:
        raise ValueError(f"{route.function}: queue visibility {route.visibility_timeout}s is shorter than "
                         f"the function timeout {spec.timeout_s}s")
    logical = function_id(spec.name)
    function_name = f"${{{PREFIX_PARAMETER}}}-{spec.name}"
    queue = queue_id(route.function) if route is not None else None
    return {
        f"{logical}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **TRANSIENT,
            "Properties": {"LogGroupName": sub(f"/aws/lambda/{function_name}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        },
        f"{logical}Role": function_role(spec, known, queue),
        logical: {
            "Type": "AWS::Serverless::Function",
            "DependsOn": [f"{logical}LogGroup"],
            "Properties": {
                "FunctionName": sub(function_name),
                "Description": spec.description,
                "CodeUri": code_uri,
                "Handler": f"functions.{spec.name}.handler",
                "Runtime": RUNTIME,
                "Architectures": ["x86_64"],
                "MemorySize": spec.memory_mb,
                "Timeout": spec.timeout_s,
                "EphemeralStorage": {"Size": spec.ephemeral_mb},
                "Role": arn_of(f"{logical}Role"),
                "Environment": {"Variables": runtime_environment(stage, f"korrigo-{spec.name}")},
                "Events": function_events(spec, route),
            },
        },
    }


# ---------------------------------------------------------------------------------------------- alarms


def alarm(name: str, description: str, namespace: str, metric: str, dimensions: list[Json],
          statistic: str) -> Json:
    """A "> 0 in the last period" alarm notifying the admins (no data is not a breach)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": sub(f"${{{PREFIX_PARAMETER}}}-{name}"),
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": ALARM_PERIOD_SECONDS,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref(TOPIC_ID)],
            "OKActions": [ref(TOPIC_ID)],
        },
    }


def alert_resources(routes: Sequence[EventRoute], functions: Sequence[FunctionSpec]) -> Json:
    """The admins' topic, and alarms on dead letters, function errors and stuck copies."""
    resources: Json = {
        TOPIC_ID: {"Type": "AWS::SNS::Topic",
                   "Properties": {"TopicName": sub(f"${{{PREFIX_PARAMETER}}}-admin-alerts"),
                                  "DisplayName": "Korrigo alerts"}},
        f"{TOPIC_ID}EmailSubscription": {"Type": "AWS::SNS::Subscription",
                                         "Properties": {"TopicArn": ref(TOPIC_ID), "Protocol": "email",
                                                        "Endpoint": ref("AlertEmail")}},
        "StuckCopiesAlarm": alarm(
            "stuck-copies", "Copies stuck in GRADING_IN_PROGRESS (reported by the maintenance function).",
            METRICS_NAMESPACE, STUCK_COPIES_METRIC, [{"Name": "service", "Value": METRICS_SERVICE}],
            "Maximum"),
    }
    for route in routes:
        dead = queue_id(route.function, dead_letter=True)
        resources[f"{dead}Alarm"] = alarm(
            f"{route.function}-dlq-not-empty",
            f"Messages of {route.function} failed {route.max_receive_count} times and wait in its DLQ.",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead, "QueueName"]}}], "Maximum")
    for spec in functions:
        resources[f"{function_id(spec.name)}ErrorsAlarm"] = alarm(
            f"{spec.name}-errors", f"The {spec.name} function failed.", "AWS/Lambda", "Errors",
            [{"Name": "FunctionName", "Value": ref(function_id(spec.name))}], "Sum")
    return resources


# ------------------------------------------------------------------------------------ Chalice overrides


def api_function_name() -> str:
    """The API function's physical name (a ``Fn::Sub`` string): fixed, so its log group can be too."""
    return f"${{{PREFIX_PARAMETER}}}-api"


def api_role_policies(known: Mapping[str, type[Model]]) -> list[Json]:
    """The API role's whole policy: its own log group, this stack's tables and key prefixes.

    It replaces the policies Chalice puts on the role (``.chalice/policy-prod.json``): nothing else.
    """
    tables = {entity: API_TABLES.get(entity, API_TABLE_ACCESS) for entity in known}
    statements: list[Json] = [{
        "Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": arn_of(API_LOG_GROUP),
    }]
    statements += table_statements(tables, known) + s3_statements(API_S3)
    statements.append({"Sid": "HealthCheck", "Effect": "Allow", "Action": ["s3:ListBucket"],
                       "Resource": bucket_arn()})  # HeadBucket
    return [{"PolicyName": "korrigo-api-least-privilege",
             "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]


def api_overrides(stage: str, api_role: str | None, known: Mapping[str, type[Model]]) -> Json:
    """Deep-merged into Chalice's resources: the API's name, log group, environment, role policy, alarm.

    ``api_role`` is the logical id of the API's role in Chalice's output; None leaves the role alone (a
    pre-created role must then grant the same access itself). Lists are replaced by the merge, so the
    role's ``Policies`` here are all it gets.
    """
    environment = runtime_environment(stage, "korrigo-api")
    for chalice_owned in ("KORRIGO_STAGE", "POWERTOOLS_SERVICE_NAME"):
        environment.pop(chalice_owned)  # set by .chalice/config.json
    overrides: Json = {
        API_LOG_GROUP: {
            "Type": "AWS::Logs::LogGroup",
            **TRANSIENT,
            "Properties": {"LogGroupName": sub(f"/aws/lambda/{api_function_name()}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        },
        CHALICE_API_FUNCTION: {
            "DependsOn": [API_LOG_GROUP],
            "Properties": {"FunctionName": sub(api_function_name()),
                           "Environment": {"Variables": environment}},
        },
        CHALICE_REST_API: {"Properties": {"Name": sub(NAMES_API)}},
        "ApiErrorsAlarm": alarm("api-errors", "The API function failed.", "AWS/Lambda", "Errors",
                                [{"Name": "FunctionName", "Value": ref(CHALICE_API_FUNCTION)}], "Sum"),
    }
    if api_role is not None:
        overrides[api_role] = {"Properties": {"Policies": api_role_policies(known)}}
    return overrides


# --------------------------------------------------------------------------------------------- backups


def backup_resources(tables: Sequence[str]) -> Json:
    """AWS Backup: a vault, a daily plan kept 35 days, a selection of every table and the bucket.

    The role may back up only (AWS's managed backup policies); a restore is started by an operator with
    a restore role of their own, so no stack role but the render function's can write final PDFs.
    """
    partition = "arn:${AWS::Partition}:iam::aws:policy"
    return {
        BACKUP_VAULT: {
            "Type": "AWS::Backup::BackupVault",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"BackupVaultName": sub(f"${{{PREFIX_PARAMETER}}}-vault")},
        },
        "BackupPlan": {
            "Type": "AWS::Backup::BackupPlan",
            "Properties": {"BackupPlan": {
                "BackupPlanName": sub(f"${{{PREFIX_PARAMETER}}}-daily"),
                "BackupPlanRule": [{
                    "RuleName": "daily",
                    "TargetBackupVault": ref(BACKUP_VAULT),
                    "ScheduleExpression": BACKUP_SCHEDULE,
                    "StartWindowMinutes": 60,
                    "CompletionWindowMinutes": 8 * 60,
                    "Lifecycle": {"DeleteAfterDays": BACKUP_RETENTION_DAYS},
                }],
            }},
        },
        BACKUP_ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}],
                },
                "ManagedPolicyArns": [sub(f"{partition}/{name}") for name in BACKUP_MANAGED_POLICIES],
            },
        },
        "BackupSelection": {
            "Type": "AWS::Backup::BackupSelection",
            "Properties": {
                "BackupPlanId": ref("BackupPlan"),
                "BackupSelection": {
                    "SelectionName": "tables-and-files",
                    "IamRoleArn": arn_of(BACKUP_ROLE),
                    "Resources": [arn_of(table) for table in tables] + [bucket_arn()],
                },
            },
        },
    }


# ------------------------------------------------------------------------------------------- dashboard


def korrigo_metric(name: str, stat: str, label: str | None = None, **extra: Any) -> list[Any]:
    """A dashboard metric line of the ``Korrigo`` namespace (with Powertools' ``service`` dimension)."""
    options = {"stat": stat, **({"label": label} if label else {}), **extra}
    return [METRICS_NAMESPACE, name, "service", METRICS_SERVICE, options]


def widget(title: str, metrics: list[Any], *, stat: str = "Sum", width: int = 8,
           view: str = "timeSeries", **properties: Any) -> Json:
    """A metric widget of the dashboard (laid out left to right by CloudWatch)."""
    return {"type": "metric", "width": width, "height": 6, "properties": {
        "title": title, "region": "${AWS::Region}", "view": view, "stat": stat,
        "period": ALARM_PERIOD_SECONDS, "metrics": metrics, **properties}}


def dashboard_widgets(routes: Sequence[EventRoute], functions: Sequence[FunctionSpec],
                      api_stage: str) -> list[Json]:
    """What an operator looks at: work flowing through, what waits, what fails, how the API does."""
    api = ["ApiName", NAMES_API, "Stage", api_stage]
    return [
        widget("Pages processed", [korrigo_metric("PagesProcessed", "Sum")]),
        widget("OCR auto-match rate (%)", [
            [{"expression": "100 * auto / (auto + unmatched)", "label": "auto-matched %", "id": "rate"}],
            korrigo_metric("OcrAutoMatched", "Sum", id="auto", visible=False),
            korrigo_metric("OcrUnmatched", "Sum", id="unmatched", visible=False),
        ], yAxis={"left": {"min": 0, "max": 100}}),
        widget("Identification backlog (copies in STAGING)",
               [korrigo_metric(IDENTIFICATION_BACKLOG_METRIC, "Maximum")], stat="Maximum"),
        widget("Lock conflicts", [korrigo_metric("LockConflicts", "Sum")]),
        widget("Finalise → GRADED latency (s)", [
            korrigo_metric(GRADING_LATENCY_METRIC, "p50", "p50"),
            korrigo_metric(GRADING_LATENCY_METRIC, "p99", "p99"),
        ], stat="p99"),
        widget("Copies graded and render failures", [
            korrigo_metric("CopiesGraded", "Sum", "graded"),
            korrigo_metric("RenderFailures", "Sum", "render failures"),
            korrigo_metric(STUCK_COPIES_METRIC, "Maximum", "stuck in GRADING_IN_PROGRESS"),
        ]),
        widget("Dead-letter queues (messages)", [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
             f"${{{queue_id(route.function, dead_letter=True)}.QueueName}}", {"label": route.function}]
            for route in routes
        ], stat="Maximum"),
        widget("API latency (ms)", [
            ["AWS/ApiGateway", "Latency", *api, {"stat": "p99", "label": "p99"}],
            ["AWS/ApiGateway", "Latency", *api, {"stat": "p50", "label": "p50"}],
        ], stat="p99"),
        widget("API 4xx / 5xx", [
            ["AWS/ApiGateway", "4XXError", *api, {"label": "4xx"}],
            ["AWS/ApiGateway", "5XXError", *api, {"label": "5xx"}],
        ]),
        widget("Throttled sign-ins", [korrigo_metric(THROTTLED_SIGN_INS_METRIC, "Sum")]),
        widget("Function errors", [
            ["AWS/Lambda", "Errors", "FunctionName", f"${{{function_id(spec.name)}}}", {"label": spec.name}]
            for spec in functions
        ] + [["AWS/Lambda", "Errors", "FunctionName", api_function_name(), {"label": "api"}]]),
        widget("Account jobs failed", [korrigo_metric("AccountJobsFailed", "Sum")]),
    ]


def dashboard_resources(routes: Sequence[EventRoute], functions: Sequence[FunctionSpec],
                        api_stage: str) -> Json:
    """One CloudWatch dashboard; its body is a ``Fn::Sub`` of the JSON (names resolved at deploy)."""
    body = json.dumps({"widgets": dashboard_widgets(routes, functions, api_stage)}, separators=(",", ":"))
    return {DASHBOARD_ID: {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": sub(f"${{{PREFIX_PARAMETER}}}-operations"),
        "DashboardBody": sub(body),
    }}}


# --------------------------------------------------------------------------------------------- outputs


def outputs(routes: Sequence[EventRoute]) -> Json:
    """The names an operator needs: the bucket, every queue URL, the alerts topic."""
    result: Json = {
        "FilesBucketName": {"Description": "KORRIGO_BUCKET_NAME", "Value": ref(BUCKET_ID)},
        "AdminAlertsTopicArn": {"Description": "Alarms are sent here", "Value": ref(TOPIC_ID)},
    }
    for route in routes:
        for dead_letter in (False, True):
            logical = queue_id(route.function, dead_letter)
            result[f"{logical}Url"] = {"Value": ref(logical)}
    return result


# ------------------------------------------------------------------------------------------- template


def build_template(stage: str = "prod", *, code_uri: str = DEFAULT_CODE_URI, merge_with_chalice: bool = True,
                   api_role: str | Literal["auto"] | None = "auto") -> Json:
    """The whole template.

    ``merge_with_chalice=False`` leaves out the overrides of Chalice's resources (the template then
    deploys on its own). ``api_role`` is the API role's logical id in Chalice's output; ``"auto"``
    reads it from ``.chalice/config.json``.
    """
    if stage not in deployable_stages():
        raise ValueError(f"unknown stage {stage!r}; expected one of {deployable_stages()}")
    known = models_by_entity()
    routes = {route.function: route for route in EVENT_ROUTES}
    specs = {spec.name: spec for spec in FUNCTIONS}
    missing = sorted(set(routes) - set(specs))
    if missing:
        raise ValueError(f"event routes without a function: {missing}")
    resources: Json = {}
    resources.update(table_resources())
    for route in EVENT_ROUTES:
        resources.update(queue_resources(route))
    resources.update(bucket_resources(EVENT_ROUTES))
    for spec in FUNCTIONS:
        resources.update(function_resources(spec, routes.get(spec.name), stage, code_uri, known))
    resources.update(alert_resources(EVENT_ROUTES, FUNCTIONS))
    resources.update(backup_resources([table_id(entity) for entity in known]))
    resources.update(dashboard_resources(EVENT_ROUTES, FUNCTIONS, api_gateway_stage(stage)))
    if merge_with_chalice:
        role = chalice_api_role(stage) if api_role == "auto" else api_role
        resources.update(api_overrides(stage, role, known))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": SAM_TRANSFORM,
        "Description": f"Korrigo ({stage}): tables, files bucket, queues, functions, alarms, dashboard, "
                       "backups",
        "Parameters": parameters(stage),
        "Resources": resources,
        "Outputs": outputs(EVENT_ROUTES),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: write the template as JSON and print its path."""
    parser = argparse.ArgumentParser(prog="python -m infra.template", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod", choices=deployable_stages())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file (- for stdout)")
    parser.add_argument("--code-uri", default=DEFAULT_CODE_URI,
                        help="functions bundle, relative to the packaged template")
    parser.add_argument("--api-role", default="auto",
                        help="logical id of the API role in Chalice's output (default: as "
                             ".chalice/config.json implies)")
    parser.add_argument("--standalone", action="store_true",
                        help="leave out the overrides of Chalice's resources")
    args = parser.parse_args(argv)
    template = build_template(args.stage, code_uri=args.code_uri, merge_with_chalice=not args.standalone,
                              api_role=args.api_role)
    text = json.dumps(template, indent=2) + "\n"
    if str(args.out) == "-":
        sys.stdout.write(text)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
