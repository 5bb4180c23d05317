"""One way to move a copy: a conditional write with the audit event in the same transaction; a lost
race is one error that tells which item's condition failed, and changes nothing."""

from __future__ import annotations

import pytest

from chalicelib import aws
from chalicelib.domain import copy_status
from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy
from chalicelib.models.grading import Lock
from chalicelib.models.users import UniqueValue
from chalicelib.services import audit
from chalicelib.services.copy_transitions import TransitionLost, transition


@pytest.fixture
def copy(mocked_aws: None) -> Copy:
    aws.connect()
    stored = Copy("c1", exam_id="e1", upload_id="u1", anonymous_id="A-0001", status="READY")
    stored.save()
    return Copy.get("c1", consistent_read=True)


def stored() -> Copy:
    return Copy.get("c1", consistent_read=True)


def test_a_move_writes_status_time_version_and_its_audit_event_in_one_round_trip(copy):
    before = copy.updated_at
    aws.reset_round_trips()

    transition(copy, copy_status.LOCK, event=audit.copy_event("lock.acquire", copy, actor_role="system"))

    assert aws.round_trips() == 1
    after = stored()
    assert (after.status, after.version) == ("LOCKED", 2) and after.updated_at > before
    assert (copy.status, copy.version) == ("LOCKED", 2)
    assert [event.action for event in AuditEvent.copy_index.query("c1")] == ["lock.acquire"]


def test_a_move_from_a_status_it_does_not_allow_changes_nothing(copy):
    with pytest.raises(TransitionLost) as lost:
        transition(copy, copy_status.FINALISE, event=audit.copy_event("copy.finalize", copy))

    assert lost.value.copy_changed and lost.value.status == 409
    assert stored().status == "READY" and stored().version == 1
    assert list(AuditEvent.copy_index.query("c1")) == []


def test_a_lost_race_names_the_item_whose_condition_failed_in_call_order(copy):
    UniqueValue("claim", owner_id="someone").save()

    with pytest.raises(TransitionLost) as lost:
        transition(
            copy,
            copy_status.LOCK,
            items=[
                lambda write: write.save(Lock("c1", token="t", holder_id="h", holder_name="H",
                                              expires_at=copy.updated_at, ttl=copy.updated_at)),
                lambda write: write.save(UniqueValue("claim", owner_id="me"),
                                         condition=UniqueValue.value.does_not_exist()),
            ],
        )

    assert not lost.value.copy_changed and not lost.value.failed(1) and lost.value.failed(2)
    assert stored().status == "READY" and list(Lock.scan()) == []


def test_a_stale_version_loses(copy):
    with pytest.raises(TransitionLost):
        transition(copy, copy_status.LOCK, version=7)
    assert stored().status == "READY"
