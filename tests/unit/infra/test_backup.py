"""``infra.backup``: every item and object, verified checksums; a restore is all or nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib import aws
from chalicelib.domain.principal import Origin
from chalicelib.models import Exam, User
from chalicelib.services.demo import seed_demo_accounts
from chalicelib.settings import get_settings
from infra import backup as backups
from infra.backup import BackupError, NotEmpty, Snapshots, canonical
from tests.unit.conftest import make_user


def bucket() -> str:
    return get_settings().files_bucket


def put(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type,
                                Metadata={"origin": "test"})


def objects() -> dict[str, bytes]:
    s3 = aws.client("s3")
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket()).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket(), Key=key)["Body"].read() for key in keys}


def wipe() -> None:
    """Every table and the bucket emptied, like a fresh stack."""
    dynamodb = aws.client("dynamodb")
    for table in backups.stack_tables():
        for item in backups.scan(table):
            dynamodb.delete_item(TableName=table.name, Key={key: item[key] for key in table.keys})
    for key in objects():
        aws.client("s3").delete_object(Bucket=bucket(), Key=key)


def ingest_messages() -> list[dict]:
    """Messages waiting on the ingest queue, the configuration's ``s3:TestEvent`` left out."""
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().queue_name("ingest"))["QueueUrl"]
    bodies = [json.loads(message["Body"]) for message in
              sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    return [body for body in bodies if body.get("Event") != "s3:TestEvent"]


@pytest.fixture(autouse=True)
def empty_stack() -> Iterator[None]:
    wipe()
    ingest_messages()
    yield
    wipe()


@pytest.fixture
def data() -> dict[str, bytes]:
    """A stack with a user, an exam (a string set), and objects under an event prefix and elsewhere."""
    make_user("marie")
    Exam("exam-1", name="Histoire", date="2026-11-26", upload_mode="BATCH", pages_per_copy=2,
         anonymous_prefix="7F3A", teacher_ids={"t2", "t1"}).save()
    files = {"scans/exam-1/u1.pdf": b"%PDF-1.7 scan", "final/copy-1.pdf": b"%PDF-1.7 final",
             "pages/copy-1/0.jpg": b"\xff\xd8 jpeg"}
    for key, body in files.items():
        put(key, body)
    ingest_messages()  # the scan's own event: not what a restore must (not) cause
    return files


def items() -> dict[str, list[str]]:
    return {table.entity: sorted(canonical(item) for item in backups.scan(table))
            for table in backups.stack_tables()}


def test_canonical_items_ignore_set_order_and_keep_binaries():
    one = {"id": {"S": "a"}, "tags": {"SS": ["b", "a"]}, "blob": {"B": b"\x00\xff"},
           "nested": {"M": {"n": {"NS": ["2", "1"]}, "l": {"L": [{"BS": [b"z", b"y"]}]}}}}
    other = {"nested": {"M": {"l": {"L": [{"BS": [b"y", b"z"]}]}, "n": {"NS": ["1", "2"]}}},
             "blob": {"B": b"\x00\xff"}, "tags": {"SS": ["a", "b"]}, "id": {"S": "a"}}

    assert canonical(one) == canonical(other)
    decoded = {name: backups._from_json(value) for name, value in json.loads(canonical(one)).items()}
    assert decoded["blob"] == {"B": b"\x00\xff"}
    assert canonical(decoded) == canonical(one)


def test_table_digest_does_not_depend_on_scan_order():
    assert backups.table_digest(["b", "a"]) == backups.table_digest(["a", "b"])
    assert backups.table_digest(["a"]) != backups.table_digest(["a", "a"])


def test_a_backup_restores_every_item_and_object_into_an_empty_stack(tmp_path: Path, data):
    before = items()
    manifest = backups.backup(tmp_path / "b")
    wipe()

    backups.restore(tmp_path / "b")

    assert items() == before
    assert objects() == data
    assert (manifest["tables"]["users"]["count"], manifest["tables"]["unique-values"]["count"]) == (1, 2)
    assert {entry["key"] for entry in manifest["objects"]} == set(data)
    head = aws.client("s3").head_object(Bucket=bucket(), Key="final/copy-1.pdf")
    assert (head["ContentType"], head["Metadata"]) == ("application/octet-stream", {"origin": "test"})


def test_the_manifest_counts_and_checksums_each_table_and_object(tmp_path: Path, data):
    manifest = backups.backup(tmp_path / "b")

    assert manifest["format"] == backups.FORMAT
    users = manifest["tables"]["users"]
    lines = (tmp_path / "b" / "tables" / "users.jsonl").read_text().splitlines()
    assert users["count"] == len(lines) and users["sha256"] == backups.table_digest(lines)
    for entry in manifest["objects"]:
        assert backups.file_sha256(tmp_path / "b" / "objects" / entry["sha256"]) == entry["sha256"]
        assert entry["size"] == len(data[entry["key"]])


def test_restoring_objects_under_event_prefixes_does_not_rerun_the_pipeline(tmp_path: Path, data):
    s3 = aws.client("s3")
    routes = s3.get_bucket_notification_configuration(Bucket=bucket())["QueueConfigurations"]
    backups.backup(tmp_path / "b")
    wipe()

    backups.restore(tmp_path / "b")

    assert ingest_messages() == []
    assert s3.get_bucket_notification_configuration(Bucket=bucket())["QueueConfigurations"] == routes
    put("scans/exam-1/u2.pdf", b"%PDF new")  # and new uploads are routed again
    assert len(ingest_messages()) == 1


def test_the_demo_accounts_of_make_dev_do_not_count_as_data(tmp_path: Path):
    seed_demo_accounts()
    original = User.username_index.query("admin").next().id
    make_user("marie")
    backups.backup(tmp_path / "b")
    wipe()
    seed_demo_accounts()  # a fresh make dev: the same usernames, other ids

    backups.restore(tmp_path / "b")

    assert [user.id for user in User.username_index.query("admin")] == [original]
    assert {user.username for user in User.scan()} == {"admin", "teacher1", "teacher2", "marie"}


def test_a_stack_holding_other_data_is_refused_and_nothing_is_written(tmp_path: Path, data):
    backups.backup(tmp_path / "b")
    wipe()
    make_user("intruder")
    before = items()

    with pytest.raises(NotEmpty, match="users"):
        backups.restore(tmp_path / "b")

    assert items() == before
    assert objects() == {}


def test_force_replaces_other_data_with_the_backup(tmp_path: Path, data):
    expected = items()
    backups.backup(tmp_path / "b")
    make_user("intruder")
    put("exports/stray.csv", b"x")

    backups.restore(tmp_path / "b", force=True, say=lambda _: None)

    assert items() == expected
    assert objects() == data


def test_restoring_twice_is_harmless(tmp_path: Path, data):
    backups.backup(tmp_path / "b")

    backups.restore(tmp_path / "b")  # the stack already holds exactly the backup: not "other data"

    assert objects() == data


@pytest.mark.parametrize("damage", ["object", "table", "manifest"])
def test_a_tampered_backup_is_refused_before_anything_is_written(tmp_path: Path, data, damage: str):
    manifest = backups.backup(tmp_path / "b")
    wipe()
    if damage == "object":
        blob = tmp_path / "b" / "objects" / manifest["objects"][0]["sha256"]
        blob.write_bytes(blob.read_bytes() + b"!")
    elif damage == "table":
        path = tmp_path / "b" / "tables" / "exams.jsonl"
        path.write_text(path.read_text().replace("Histoire", "Géographie"))
    else:
        (tmp_path / "b" / "manifest.json").unlink()

    with pytest.raises(BackupError, match=r"damaged|missing"):
        backups.restore(tmp_path / "b")

    assert all(lines == [] for lines in items().values())
    assert objects() == {}


def test_a_backup_never_overwrites_a_directory_holding_files(tmp_path: Path, data):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")

    with pytest.raises(BackupError, match="not empty"):
        backups.backup(tmp_path / "b")

    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"
    assert [path.name for path in tmp_path.iterdir()] == ["b"]  # no partial directory left behind


def test_the_cli_exits_non_zero_naming_what_failed(tmp_path: Path, data, capsys, monkeypatch):
    monkeypatch.setattr(backups, "use_target", lambda _state_dir: "the test stack")
    assert backups.main(["backup", str(tmp_path / "b")]) == 0
    make_user("intruder")

    assert backups.main(["restore", str(tmp_path / "b")]) == 1

    assert "restore FAILED: the target stack is not empty" in capsys.readouterr().err


# --- snapshots ------------------------------------------------------------------------------------------

def test_an_unchanged_stack_is_not_snapshotted_again(tmp_path: Path, data):
    snapshots = Snapshots(tmp_path / "state")

    first = snapshots.take()

    assert first is not None and snapshots.latest() == first
    assert snapshots.take() is None


def test_an_unchanged_stack_moves_the_moment_the_latest_snapshot_covers(tmp_path: Path, data):
    snapshots = Snapshots(tmp_path / "state")
    first = snapshots.take()
    taken = snapshots.covers_since()
    before_check = datetime.now(UTC)

    assert snapshots.take() is None

    assert snapshots.latest() == first
    assert taken == datetime.fromisoformat(backups.read_manifest(first)["captured_at"])
    assert snapshots.covers_since() >= before_check > taken
    backups.verify_files(first)  # the confirmation is no part of the backup's contents


def test_a_new_snapshot_copies_only_new_objects_and_replaces_the_previous_one(tmp_path: Path, data):
    snapshots = Snapshots(tmp_path / "state")
    first = snapshots.take()
    kept = {entry["key"]: entry["sha256"] for entry in backups.read_manifest(first)["objects"]}
    inode = (first / "objects" / kept["scans/exam-1/u1.pdf"]).stat().st_ino
    put("final/copy-2.pdf", b"%PDF-1.7 another")

    second = snapshots.take()

    assert second is not None and second != first and not first.exists()
    assert (second / "objects" / kept["scans/exam-1/u1.pdf"]).stat().st_ino == inode  # linked, not copied
    assert {entry["key"] for entry in backups.read_manifest(second)["objects"]} == {*data, "final/copy-2.pdf"}


def test_a_snapshot_cut_short_leaves_the_previous_one_as_the_latest(tmp_path: Path, data):
    snapshots = Snapshots(tmp_path / "state")
    first = snapshots.take()
    shutil.copytree(first, tmp_path / "state" / ".snap-later.partial-x")  # killed before the rename
    (tmp_path / "state" / ".snap-later.partial-x" / "manifest.json").unlink()
    later = tmp_path / "state" / "snap-99999999"
    later.mkdir()  # a directory without its manifest is never taken for a snapshot

    assert snapshots.latest() == first
    snapshots.prune()
    assert sorted(path.name for path in (tmp_path / "state").iterdir()) == [first.name]


def test_audit_of_the_seed_is_recognised_only_for_the_demo_users(tmp_path: Path):
    seed_demo_accounts()
    backups.backup(tmp_path / "empty-but-demo")
    wipe()
    from chalicelib.services import audit

    audit.record("user.create", actor=None, origin=Origin(ip="seed"), target_type="user", target_id="someone")

    with pytest.raises(NotEmpty, match="audit"):
        backups.restore(tmp_path / "empty-but-demo")


def test_sign_ins_of_the_demo_accounts_do_not_count_as_data(tmp_path: Path, data):
    backups.backup(tmp_path / "b")
    wipe()
    seed_demo_accounts()
    admin = User.username_index.query("admin").next()
    from chalicelib.services import audit

    audit.record("auth.login", actor=None, origin=Origin(ip="127.0.0.1"), target_type="user",
                 target_id=admin.id)

    backups.restore(tmp_path / "b")

    assert objects() == data
    assert {user.username for user in User.scan()} == {"marie"}  # the backup's accounts only
