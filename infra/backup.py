"""Backup and restore of a whole Korrigo stack: every table item and every current object, verified.

A backup is a directory::

    manifest.json           written last: per table its item count and the SHA-256 of its canonical
                            items, per object its key, size, SHA-256, ETag, content type and metadata
    tables/<entity>.jsonl   one canonical item (DynamoDB JSON, binaries in base64) per line, sorted
    objects/<sha256>        each distinct object body once

Tables are named by entity (``users``, ``copies``…), not by physical name, so a backup of the local
stack restores into AWS and back. A backup is written into a temporary sibling directory and renamed
into place once complete, so a directory that exists under its final name is always whole.

``restore`` writes into an *empty* stack: one whose bucket holds no object but the backup's and whose
tables hold nothing but items identical to the backup's and the demo accounts that ``make dev`` seeds
with their traces (see ``_demo_items``: the demo users, their username/e-mail claims, their sessions,
their audit events outside any exam or copy, the rate-limit counters). Anything else is "other data" and is
refused unless ``force``, which makes the stack hold exactly the backup (other items and objects are
deleted). Every file is checked against the manifest before anything is written, and the stack is read
back afterwards (counts and SHA-256 of every table and object): any difference raises
``BackupError`` naming it.

S3 → SQS notifications are suspended while objects are written (and put back after, even on failure),
so restoring ``scans/``, ``headers/``, ``renders/`` or ``jobs/`` never re-runs the pipeline; this works
alike against the emulator and AWS, where Lambda would consume queued events before any purge.

``Snapshots`` keeps the newest backup of the running ``make dev`` stack in ``.korrigo/state/``
(incremental: objects whose ETag and size are unchanged are hard-linked from the previous snapshot).

CLI (``make backup OUT=dir``, ``make restore FROM=dir [FORCE=1]``)::

    python -m infra.backup backup DIR
    python -m infra.backup restore DIR [--force]

Target: ``AWS_ENDPOINT_URL`` when set; else the running ``make dev`` (its endpoint is recorded in
``.korrigo/dev.json``); else AWS with the usual credentials (``KORRIGO_RESOURCE_PREFIX`` and, if the
bucket is named otherwise, ``KORRIGO_BUCKET_NAME`` name the deployed stack).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parents[1]
FORMAT = "korrigo-backup/1"
MANIFEST = "manifest.json"
CONFIRMED = "confirmed.json"  # in a snapshot: when the stack last still matched it
DEV_INFO = "dev.json"  # written by infra.local.dev while it runs: how to reach its stack
_CHUNK = 1024 * 1024
_WORKERS = 8


class BackupError(Exception):
    """A backup or restore that did not complete; the message says what failed."""


class NotEmpty(BackupError):
    """The target stack holds other data: nothing was written."""


# --- canonical items -----------------------------------------------------------------------------------

def _to_json(value: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB attribute value as JSON: binaries in base64, set members sorted."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": sorted(base64.b64encode(member).decode() for member in inner)}
    if kind in ("SS", "NS"):
        return {kind: sorted(inner)}
    if kind == "M":
        return {"M": {name: _to_json(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [_to_json(member) for member in inner]}
    return {kind: inner}


def _from_json(value: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``_to_json``: what the low-level client expects."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in inner]}
    if kind == "M":
        return {"M": {name: _from_json(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [_from_json(member) for member in inner]}
    return {kind: inner}


def canonical(item: dict[str, Any]) -> str:
    """One item as one canonical JSON line (the unit of a table's checksum)."""
    encoded = {name: _to_json(value) for name, value in item.items()}
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def table_digest(lines: Iterable[str]) -> str:
    """SHA-256 of a table's canonical items, in sorted order (independent of scan order)."""
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the stack ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """One table of the stack: its entity (portable) name, physical name and key attributes."""

    entity: str
    name: str
    keys: tuple[str, ...]

    def key_of(self, item: dict[str, Any]) -> str:
        """The item's primary key as a comparable string."""
        return json.dumps([_to_json(item[key]) for key in self.keys], sort_keys=True)


def stack_tables() -> list[Table]:
    """Every table of ``chalicelib.models.ALL_MODELS`` in the configured stack."""
    from chalicelib.models import ALL_MODELS
    from chalicelib.settings import get_settings

    prefix = get_settings().resource_prefix + "-"
    tables = []
    for model in ALL_MODELS:
        name = model.Meta.table_name
        entity = name[len(prefix):] if name.startswith(prefix) else name
        keys = tuple(key for key in (model._hash_keyname, model._range_keyname) if key)
        tables.append(Table(entity, name, keys))
    return tables


def _bucket() -> str:
    from chalicelib.settings import get_settings

    return get_settings().files_bucket


def _client(service: str) -> Any:
    from chalicelib import aws

    return aws.client(service)


def scan(table: Table) -> list[dict[str, Any]]:
    """Every item of a table (consistent-read Scan, paginated)."""
    pages = _client("dynamodb").get_paginator("scan").paginate(TableName=table.name, ConsistentRead=True)
    return [item for page in pages for item in page.get("Items", [])]


def list_objects() -> list[dict[str, Any]]:
    """Key, Size and ETag of every current object of the files bucket."""
    pages = _client("s3").get_paginator("list_objects_v2").paginate(Bucket=_bucket())
    return [
        {"key": entry["Key"], "size": entry["Size"], "etag": entry["ETag"].strip('"')}
        for page in pages
        for entry in page.get("Contents", [])
    ]


# --- writing a backup -----------------------------------------------------------------------------------

def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a backup directory (BackupError when missing or of another format)."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} is not a complete backup: {MANIFEST} is missing") from None
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


@dataclass
class _Capture:
    """What a backup holds, read from the stack before anything is written."""

    tables: dict[str, tuple[Table, list[str]]] = field(default_factory=dict)
    objects: list[dict[str, Any]] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def table_entries(self) -> dict[str, dict[str, Any]]:
        return {
            entity: {"table": table.name, "count": len(lines), "sha256": table_digest(lines)}
            for entity, (table, lines) in self.tables.items()
        }


def _capture() -> _Capture:
    capture = _Capture()
    for table in stack_tables():
        capture.tables[table.entity] = (table, [canonical(item) for item in scan(table)])
    capture.objects = list_objects()
    return capture


def _download(entry: dict[str, Any], objects_dir: Path) -> dict[str, Any] | None:
    """Stream one object into ``objects_dir/<sha256>``; None when it vanished since the listing."""
    s3 = _client("s3")
    try:
        response = s3.get_object(Bucket=_bucket(), Key=entry["key"])
    except s3.exceptions.NoSuchKey:
        return None
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=objects_dir, prefix=".part-", delete=False) as handle:
        for chunk in response["Body"].iter_chunks(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    sha = digest.hexdigest()
    os.replace(handle.name, objects_dir / sha)
    return {
        "key": entry["key"],
        "size": size,
        "sha256": sha,
        "etag": response["ETag"].strip('"'),
        "content_type": response.get("ContentType") or "binary/octet-stream",
        "metadata": response.get("Metadata") or {},
    }


def _link(source: Path, target: Path) -> None:
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write(capture: _Capture, destination: Path, previous: Path | None) -> dict[str, Any]:
    """Write ``capture`` as a backup at ``destination`` (atomically: temp sibling, manifest, rename)."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} already exists and is not empty")
    destination.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        (work / "tables").mkdir()
        objects_dir = work / "objects"
        objects_dir.mkdir()
        for entity, (_, lines) in capture.tables.items():
            _write_text(work / "tables" / f"{entity}.jsonl", "".join(f"{line}\n" for line in sorted(lines)))
        known: dict[tuple[str, str, int], dict[str, Any]] = {}
        if previous is not None:
            for entry in read_manifest(previous)["objects"]:
                known[(entry["key"], entry["etag"], entry["size"])] = entry
        entries, to_fetch = [], []
        for listed in capture.objects:
            kept = known.get((listed["key"], listed["etag"], listed["size"]))
            blob = previous / "objects" / kept["sha256"] if kept and previous else None
            if blob is not None and blob.is_file():
                _link(blob, objects_dir / blob.name)
                entries.append(kept)
            else:
                to_fetch.append(listed)
        with ThreadPoolExecutor(_WORKERS) as pool:
            fetched = pool.map(lambda listed: _download(listed, objects_dir), to_fetch)
            entries.extend(entry for entry in fetched if entry is not None)
        entries.sort(key=lambda entry: entry["key"])
        manifest = {
            "format": FORMAT,
            "captured_at": capture.started_at,  # the stack as it was from this moment on
            "created_at": datetime.now(UTC).isoformat(),
            "source": {"endpoint": os.environ.get("AWS_ENDPOINT_URL") or "aws", "bucket": _bucket()},
            "tables": capture.table_entries(),
            "objects": entries,
        }
        for path in (work / "tables", objects_dir):
            _fsync(path)
        _write_text(work / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
        _fsync(work)
        if destination.exists():
            destination.rmdir()  # empty (checked above)
        os.rename(work, destination)
        _fsync(destination.parent)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def backup(destination: Path) -> dict[str, Any]:
    """Write a complete backup of the configured stack to ``destination``; returns the manifest."""
    return _write(_capture(), destination, previous=None)


def summary(manifest: dict[str, Any]) -> str:
    """One line: items per table and object count/bytes."""
    items = sum(entry["count"] for entry in manifest["tables"].values())
    size = sum(entry["size"] for entry in manifest["objects"])
    return (f"{items} items in {len(manifest['tables'])} tables, "
            f"{len(manifest['objects'])} objects ({size / 1e6:.1f} MB)")


# --- snapshots of the running local stack ---------------------------------------------------------------

class Snapshots:
    """The newest complete backup of the local stack in ``directory`` (``snap-<time>`` dirs).

    A snapshot is complete once renamed to its ``snap-`` name (its manifest written last, inside the
    temporary directory): a SIGKILL at any moment leaves the previous complete one.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def latest(self) -> Path | None:
        """The newest complete snapshot, if any."""
        if not self.directory.is_dir():
            return None
        complete = sorted(path for path in self.directory.glob("snap-*") if (path / MANIFEST).is_file())
        return complete[-1] if complete else None

    def take(self) -> Path | None:
        """Snapshot the stack unless it is unchanged since the latest one; returns the new snapshot.

        An unchanged stack leaves the latest snapshot as it is and records in it (``confirmed.json``)
        that the stack still matched it when this capture started.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        previous = self.latest()
        capture = _capture()
        if previous is not None and self._unchanged(capture, read_manifest(previous)):
            temporary = previous / f".{CONFIRMED}.partial"
            _write_text(temporary, json.dumps({"confirmed_at": capture.started_at}))
            os.replace(temporary, previous / CONFIRMED)
            return None
        name = f"snap-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        if previous is not None and name <= previous.name:  # a clock step back: stay the newest
            name = f"{previous.name}-{time.monotonic_ns()}"
        destination = self.directory / name
        _write(capture, destination, previous)
        self.prune(keep=destination)
        return destination

    def covers_since(self) -> datetime | None:
        """The latest moment the stack is known to have matched the latest snapshot (None: no snapshot)."""
        latest = self.latest()
        if latest is None:
            return None
        moments = [read_manifest(latest)["captured_at"]]
        if (latest / CONFIRMED).is_file():
            moments.append(json.loads((latest / CONFIRMED).read_text(encoding="utf-8"))["confirmed_at"])
        return max(datetime.fromisoformat(moment) for moment in moments)

    @staticmethod
    def _unchanged(capture: _Capture, manifest: dict[str, Any]) -> bool:
        tables = {entity: (entry["count"], entry["sha256"]) for entity, entry in manifest["tables"].items()}
        now = {entity: (entry["count"], entry["sha256"]) for entity, entry in capture.table_entries().items()}
        before = [(entry["key"], entry["etag"], entry["size"]) for entry in manifest["objects"]]
        after = sorted((entry["key"], entry["etag"], entry["size"]) for entry in capture.objects)
        return tables == now and before == after

    def prune(self, keep: Path | None = None) -> None:
        """Remove every snapshot but ``keep`` (default: the latest) and leftover partial ones."""
        if not self.directory.is_dir():
            return
        keep = keep or self.latest()
        for path in self.directory.iterdir():
            if path != keep and path.is_dir() and (path.name.startswith("snap-") or ".partial-" in path.name):
                shutil.rmtree(path, ignore_errors=True)


# --- restore --------------------------------------------------------------------------------------------

def verify_files(source: Path) -> dict[str, Any]:
    """The manifest, once every table file and object body matches it (BackupError naming each miss)."""
    manifest = read_manifest(source)
    problems = []
    for entity, entry in manifest["tables"].items():
        path = source / "tables" / f"{entity}.jsonl"
        if not path.is_file():
            problems.append(f"table {entity}: {path.name} is missing")
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) != entry["count"] or table_digest(lines) != entry["sha256"]:
            problems.append(f"table {entity}: {len(lines)} items, checksum "
                            f"{'matches' if table_digest(lines) == entry['sha256'] else 'differs'} "
                            f"(manifest: {entry['count']} items)")
    for entry in manifest["objects"]:
        path = source / "objects" / entry["sha256"]
        if not path.is_file():
            problems.append(f"object {entry['key']}: its body {entry['sha256'][:12]}… is missing")
        elif path.stat().st_size != entry["size"] or file_sha256(path) != entry["sha256"]:
            problems.append(f"object {entry['key']}: size or SHA-256 differs from the manifest")
    if problems:
        raise BackupError(_listing(f"the backup {source} is damaged", problems))
    return manifest


def _listing(title: str, problems: list[str], limit: int = 20) -> str:
    shown = [f"  - {problem}" for problem in problems[:limit]]
    if len(problems) > limit:
        shown.append(f"  … and {len(problems) - limit} more")
    return "\n".join([f"{title}:", *shown])


def _demo_items(
    existing: dict[str, dict[str, dict[str, Any]]], tables: dict[str, Table]
) -> set[tuple[str, str]]:
    """(entity, key) of what does not count as data: the demo accounts of ``make dev`` and their traces.

    That is: the demo users (username and e-mail of ``DEMO_ACCOUNTS``), their username/e-mail claims,
    their sessions, the audit events they are the actor of (or, actorless, the target of: the seeding)
    that concern no exam and no copy (sign-ins, seeding), and the rate-limit windows (counters with a TTL).
    """
    from chalicelib.models import AuditEvent, RateLimitWindow, Session, UniqueValue, User
    from chalicelib.services.demo import DEMO_ACCOUNTS

    by_name = {table.name: table for table in tables.values()}
    users, claims, sessions, audit, limits = (
        by_name[model.Meta.table_name] for model in (User, UniqueValue, Session, AuditEvent, RateLimitWindow))
    demo = {(username, email) for username, email, _ in DEMO_ACCOUNTS}

    def text(item: dict[str, Any], name: str) -> str | None:
        return item.get(name, {}).get("S")

    found, ids = set(), {}
    for key, item in existing[users.entity].items():
        if (text(item, "username"), text(item, "email")) in demo:
            found.add((users.entity, key))
            ids[text(item, "id")] = (text(item, "username"), text(item, "email"))
    for key, item in existing[claims.entity].items():
        owner = ids.get(text(item, "owner_id"))
        if owner and text(item, "value") in (f"username#{owner[0]}", f"email#{owner[1]}"):
            found.add((claims.entity, key))
    found.update((sessions.entity, key) for key, item in existing[sessions.entity].items()
                 if text(item, "principal_id") in ids)
    for key, item in existing[audit.entity].items():
        subject = text(item, "actor_id") or text(item, "target_id")
        if subject in ids and not text(item, "exam_id") and not text(item, "copy_id"):
            found.add((audit.entity, key))
    found.update((limits.entity, key) for key in existing[limits.entity])
    return found


def _batch_write(table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25, retrying unprocessed items with backoff."""
    dynamodb = _client("dynamodb")
    for start in range(0, len(requests), 25):
        pending = {table: requests[start:start + 25]}
        for attempt in range(10):
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 2))
        else:
            raise BackupError(f"table {table}: DynamoDB kept items unprocessed after 10 attempts")


class _NotificationsSuspended:
    """S3 → SQS notifications off while objects are restored, the previous configuration put back after."""

    def __enter__(self) -> None:
        s3 = _client("s3")
        self.saved = s3.get_bucket_notification_configuration(Bucket=_bucket())
        self.saved.pop("ResponseMetadata", None)
        s3.put_bucket_notification_configuration(Bucket=_bucket(), NotificationConfiguration={})

    def __exit__(self, *_: object) -> None:
        try:
            _client("s3").put_bucket_notification_configuration(
                Bucket=_bucket(), NotificationConfiguration=self.saved)
        except Exception as error:
            raise BackupError(
                f"the bucket's event notifications could not be put back ({error}); put them back "
                f"with: {json.dumps(self.saved)}") from error


def _upload(entry: dict[str, Any], source: Path) -> None:
    with open(source / "objects" / entry["sha256"], "rb") as body:
        _client("s3").put_object(Bucket=_bucket(), Key=entry["key"], Body=body,
                                 ContentType=entry["content_type"], Metadata=entry["metadata"])


def _object_sha256(key: str) -> tuple[int, str] | None:
    s3 = _client("s3")
    try:
        response = s3.get_object(Bucket=_bucket(), Key=key)
    except s3.exceptions.NoSuchKey:
        return None
    digest, size = hashlib.sha256(), 0
    for chunk in response["Body"].iter_chunks(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def verify_stack(manifest: dict[str, Any]) -> list[str]:
    """What differs between the stack and the manifest (read back: counts, table and object SHA-256)."""
    problems = []
    tables = {table.entity: table for table in stack_tables()}
    for entity, entry in manifest["tables"].items():
        lines = [canonical(item) for item in scan(tables[entity])]
        if len(lines) != entry["count"] or table_digest(lines) != entry["sha256"]:
            problems.append(f"table {entity}: {len(lines)} items read back, expected {entry['count']}"
                            + ("" if len(lines) != entry["count"] else " (checksum differs)"))
    expected = {entry["key"]: entry for entry in manifest["objects"]}
    listed = {entry["key"] for entry in list_objects()}
    for key in sorted(listed - set(expected)):
        problems.append(f"object {key}: present but not in the backup")
    with ThreadPoolExecutor(_WORKERS) as pool:
        read = dict(zip(expected, pool.map(_object_sha256, expected), strict=True))
    for key, entry in expected.items():
        if read[key] is None:
            problems.append(f"object {key}: missing after the restore")
        elif read[key] != (entry["size"], entry["sha256"]):
            problems.append(f"object {key}: {read[key][0]} bytes read back, SHA-256 differs")
    return problems


@dataclass
class Plan:
    """What a restore will do to the stack: deletions first (demo or forced), then every backup write."""

    deletions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # table name → keys
    objects_to_delete: list[str] = field(default_factory=list)
    other_data: list[str] = field(default_factory=list)  # what makes the stack not empty


def plan(manifest: dict[str, Any], source: Path) -> Plan:
    """Compare the stack with the backup: the demo seed and identical items are not "other data"."""
    tables = {table.entity: table for table in stack_tables()}
    missing = sorted(set(manifest["tables"]) - set(tables))
    if missing:
        raise BackupError(f"the backup has tables this stack does not know: {', '.join(missing)}")
    existing = {
        entity: {table.key_of(item): item for item in scan(table)} for entity, table in tables.items()
    }
    demo = _demo_items(existing, tables)
    result = Plan()
    for entity, table in tables.items():
        wanted: dict[str, str] = {}
        if entity in manifest["tables"]:
            for line in (source / "tables" / f"{entity}.jsonl").read_text(encoding="utf-8").splitlines():
                item = {name: _from_json(value) for name, value in json.loads(line).items()}
                wanted[table.key_of(item)] = line
        others = 0
        for key, item in existing[entity].items():
            if wanted.get(key) == canonical(item):
                continue  # already as in the backup
            if (entity, key) not in demo:
                others += 1
            if key not in wanted:
                result.deletions.setdefault(table.name, []).append({name: item[name] for name in table.keys})
        if others:
            result.other_data.append(f"table {entity}: {others} items that are not in the backup or differ")
    expected = {entry["key"]: entry for entry in manifest["objects"]}
    for listed in list_objects():
        if listed["key"] not in expected:
            result.objects_to_delete.append(listed["key"])
    if result.objects_to_delete:
        result.other_data.append(
            f"bucket: {len(result.objects_to_delete)} objects that are not in the backup")
    return result


def restore(source: Path, force: bool = False, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Restore the backup at ``source`` into the configured stack, then verify it by reading back.

    Refuses (BackupError, nothing written) a damaged backup, or a stack holding other data unless
    ``force``. Returns the manifest.
    """
    manifest = verify_files(source)
    todo = plan(manifest, source)
    if todo.other_data and not force:
        raise NotEmpty(_listing("the target stack is not empty (nothing was written; FORCE=1 replaces "
                                   "its data with the backup)", todo.other_data))
    for name, keys in todo.deletions.items():
        _batch_write(name, [{"DeleteRequest": {"Key": key}} for key in keys])
    tables = {table.entity: table for table in stack_tables()}
    for entity in manifest["tables"]:
        lines = (source / "tables" / f"{entity}.jsonl").read_text(encoding="utf-8").splitlines()
        items = ({name: _from_json(value) for name, value in json.loads(line).items()} for line in lines)
        _batch_write(tables[entity].name, [{"PutRequest": {"Item": item}} for item in items])
    with _NotificationsSuspended():
        for key in todo.objects_to_delete:
            _client("s3").delete_object(Bucket=_bucket(), Key=key)
        with ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(lambda entry: _upload(entry, source), manifest["objects"]))
    problems = verify_stack(manifest)
    if problems:
        raise BackupError(_listing("the restore did not verify", problems))
    if todo.other_data:
        say(_listing("replaced (FORCE)", todo.other_data))
    return manifest


# --- CLI ------------------------------------------------------------------------------------------------

def _running_dev(state_dir: Path) -> dict[str, Any] | None:
    """What ``make dev`` recorded about its stack, if it is running."""
    try:
        info = json.loads((state_dir / DEV_INFO).read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def use_target(state_dir: Path) -> str:
    """Point this process at the stack to back up or restore; returns its description."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        return f"the stack at {os.environ['AWS_ENDPOINT_URL']}"
    dev = _running_dev(state_dir)
    if dev is not None:
        os.environ.update(dev["environment"])
        return f"the running make dev ({dev['environment']['AWS_ENDPOINT_URL']})"
    from chalicelib.settings import get_settings

    settings = get_settings()
    return f"AWS ({settings.aws_region}, prefix {settings.resource_prefix}, bucket {settings.files_bucket})"


def main(argv: list[str] | None = None) -> int:
    """``backup DIR`` or ``restore DIR [--force]``; non-zero with the reason when anything fails."""
    parser = argparse.ArgumentParser(prog="python -m infra.backup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="write a backup of the stack").add_argument("directory", type=Path)
    restoring = commands.add_parser("restore", help="restore a backup into an empty stack")
    restoring.add_argument("directory", type=Path)
    restoring.add_argument("--force", action="store_true", help="replace a stack holding other data")
    args = parser.parse_args(argv)
    os.umask(0o077)  # a backup holds password hashes and sessions
    state_dir = Path(os.environ.get("KORRIGO_STATE_DIR", ROOT / ".korrigo"))
    target = use_target(state_dir)
    started = time.monotonic()
    try:
        if args.command == "backup":
            print(f"korrigo: backing up {target} to {args.directory}…", flush=True)
            manifest = backup(args.directory)
            print(f"korrigo: backup written: {summary(manifest)} in {time.monotonic() - started:.1f} s")
        else:
            print(f"korrigo: restoring {args.directory} into {target}…", flush=True)
            manifest = restore(args.directory, force=args.force)
            elapsed = time.monotonic() - started
            print(f"korrigo: restored and verified: {summary(manifest)} in {elapsed:.1f} s")
    except (BackupError, BotoCoreError, ClientError) as error:
        print(f"korrigo: {args.command} FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
