"""The accounts function: one transaction per chunk, resumable, never applying a chunk twice."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.jobs import AccountJob, CredentialPart
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import UniqueValue
from chalicelib.services import account_jobs
from tests.unit.routes.test_exams import create_exam
from tests.unit.routes.test_roster import PLAIN, import_roster, job, run_account_jobs, sheet_rows

ROWS = 45  # three chunks of 20, 20 and 5


def cheap_hashes(monkeypatch) -> None:
    """Argon2id costs ~0.2 s a hash: these tests are about chunks, not hashing."""
    from chalicelib.services import passwords

    monkeypatch.setattr(passwords, "hash_password", lambda password: f"$argon2id$test${password}")


@pytest.fixture
def queued(api, admin, monkeypatch):
    """A roster import of ROWS new students, accepted by the API, its event not consumed yet."""
    cheap_hashes(monkeypatch)
    exam = create_exam(api, admin)
    text = PLAIN + "".join(f"ELEVE{i},Prénom{i},eleve{i}@lycee.example.org,3B,,N{i}\n" for i in range(ROWS))
    body = json.loads(import_roster(api, admin, exam["id"], text).body)
    return exam["id"], AccountJob.get(body["job_id"])


def counts() -> tuple[int, int, int, int]:
    claims = sum(1 for v in UniqueValue.scan() if v.value.startswith("student-"))
    return (sum(1 for _ in Student.scan()), sum(1 for _ in Enrolment.scan()), claims,
            sum(1 for _ in CredentialPart.scan()))


def test_a_job_interrupted_after_a_chunk_resumes_where_it_stopped(queued, monkeypatch, api, admin):
    exam_id, accepted = queued
    real_apply = account_jobs.apply_chunk
    calls = []

    def crash_on_second_chunk(job, chunk, start, renames=None):
        calls.append(start)
        if len(calls) == 2:
            raise RuntimeError("the function was killed")
        real_apply(job, chunk, start, renames)

    monkeypatch.setattr(account_jobs, "apply_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        account_jobs.run_job(accepted.input_key)
    stopped = AccountJob.get(accepted.id)
    assert (stopped.status, stopped.processed, stopped.created) == ("RUNNING", 20, 20)
    assert counts() == (20, 20, 40, 1)  # students, enrolments, e-mail + number claims, one sheet part

    monkeypatch.setattr(account_jobs, "apply_chunk", real_apply)
    account_jobs.run_job(accepted.input_key)  # the redelivery
    done = AccountJob.get(accepted.id)
    assert (done.status, done.processed, done.created, done.credentials) == ("DONE", ROWS, ROWS, ROWS)
    assert counts() == (ROWS, ROWS, 2 * ROWS, 3)
    rows = sheet_rows(api, admin, job(api, admin, exam_id, accepted.id)["credentials_csv_url"])
    assert sorted(r["sign_in"] for r in rows) == sorted(f"eleve{i}@lycee.example.org" for i in range(ROWS))


def test_a_redelivered_message_of_a_finished_job_does_nothing(queued):
    _, accepted = queued
    run_account_jobs()
    before = counts(), AccountJob.get(accepted.id).attribute_values
    account_jobs.run_job(accepted.input_key)
    assert (counts(), AccountJob.get(accepted.id).attribute_values) == before


def test_a_concurrent_run_with_a_stale_view_applies_nothing(queued):
    _, accepted = queued
    stale = AccountJob.get(accepted.id)
    stale.update(actions=[AccountJob.status.set("RUNNING")])
    rows = json.loads(account_jobs.storage.get_bytes(accepted.input_key))["rows"]
    account_jobs.apply_chunk(AccountJob.get(accepted.id), rows[:20], 0)
    assert counts() == (20, 20, 40, 1)
    account_jobs.apply_chunk(stale, rows[:20], 0)  # the other run, which read processed == 0
    assert counts() == (20, 20, 40, 1) and AccountJob.get(accepted.id).processed == 20


def test_the_last_failed_delivery_marks_the_job_failed_and_keeps_the_sheet_of_what_was_made(
        queued, monkeypatch, api, admin):
    from functions import accounts

    exam_id, accepted = queued
    real_apply = account_jobs.apply_chunk

    def fail_after_first_chunk(job, chunk, start, renames=None):
        if start > 0:
            raise RuntimeError("DynamoDB is unavailable")
        real_apply(job, chunk, start, renames)

    monkeypatch.setattr(account_jobs, "apply_chunk", fail_after_first_chunk)
    monkeypatch.setattr(accounts, "MAX_RECEIVES", 1)
    run_account_jobs()
    failed = job(api, admin, exam_id, accepted.id)
    assert (failed["status"], failed["processed"], failed["created"]) == ("FAILED", 20, 20)
    assert "DynamoDB is unavailable" in failed["error"]
    assert len(sheet_rows(api, admin, failed["credentials_csv_url"])) == 20


def test_running_out_of_time_hands_over_to_a_fresh_invocation(queued, api, admin):
    exam_id, accepted = queued
    account_jobs.run_job(accepted.input_key, time_left_ms=lambda: 1000)
    assert AccountJob.get(accepted.id).processed == 0  # stopped before taking a chunk
    run_account_jobs()  # the API's event and the function's hand-over event
    assert job(api, admin, exam_id, accepted.id)["status"] == "DONE" and counts()[0] == ROWS
