"""Append-only audit trail: every state change and sensitive read becomes one immutable event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pynamodb.models import Model

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.models.audit import AuditEvent
from chalicelib.models.base import utcnow
from chalicelib.models.exams import Exam
from chalicelib.models.students import Student
from chalicelib.models.users import User
from chalicelib.observability import logger


def build_event(
    action: str,
    *,
    actor: Principal | None = None,
    origin: Origin | None = None,
    outcome: str = "success",
    target_type: str | None = None,
    target_id: str | None = None,
    exam_id: str | None = None,
    copy_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    actor_id: str | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    """An unsaved audit event (to add to a transaction); ``record`` saves one on its own."""
    origin = origin or Origin()
    at = utcnow()
    event_id = uuid.uuid4().hex
    return AuditEvent(
        at.strftime("%Y-%m"),
        f"{at.isoformat()}#{event_id}",
        id=event_id,
        at=at,
        action=action,
        outcome=outcome,
        actor_id=actor.id if actor else actor_id,
        actor_role=str(actor.role) if actor else actor_role,
        ip=origin.ip,
        request_id=origin.request_id,
        target_type=target_type,
        target_id=target_id,
        exam_id=exam_id,
        copy_id=copy_id,
        metadata=metadata or {},
    )


def copy_event(
    action: str,
    copy: Any,
    *,
    actor: Principal | None = None,
    origin: Origin | None = None,
    outcome: str = "success",
    metadata: dict[str, Any] | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    """The unsaved event of something that happened to ``copy`` (anything with ``id`` and ``exam_id``).

    The one shape of copy events: target the copy, indexed by its exam and by the copy itself.
    """
    return build_event(
        action,
        actor=actor,
        origin=origin,
        outcome=outcome,
        target_type="copy",
        target_id=copy.id,
        exam_id=copy.exam_id,
        copy_id=copy.id,
        metadata=metadata,
        actor_role=actor_role,
    )


UNIQUE = AuditEvent.sort_key.does_not_exist()  # the condition every audit write carries


def record(action: str, **fields: Any) -> AuditEvent:
    """Save one audit event (never overwriting another) and log it."""
    return save(build_event(action, **fields))


def save(event: AuditEvent) -> AuditEvent:
    """Save a built event on its own (one round trip) and log it."""
    event.save(condition=UNIQUE)
    announce(event)
    return event


def announce(event: AuditEvent) -> None:
    """The log line of a stored event (after the write or transaction that stored it)."""
    logger.info(
        "audit",
        extra={
            "audit_action": event.action,
            "outcome": event.outcome,
            "target_id": event.target_id,
            "actor_id": event.actor_id,
        },
    )


def serialise(event: AuditEvent) -> dict[str, Any]:
    """The API shape of an audit event."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "action": event.action,
        "outcome": event.outcome,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "ip": event.ip,
        "request_id": event.request_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "exam_id": event.exam_id,
        "copy_id": event.copy_id,
        "metadata": event.metadata,
    }


TARGET_MODELS: dict[str, type[Model]] = {"user": User, "staff": User, "student": Student, "exam": Exam}


def _display_name(item: Model) -> str:
    if isinstance(item, Student):
        return f"{item.first_name} {item.last_name}".strip()
    if isinstance(item, Exam):
        return item.name
    return item.username


def _actor_model(event: AuditEvent) -> type[Model]:
    return Student if event.actor_role == "student" else User


def resolve_names(events: list[AuditEvent]) -> dict[tuple[type[Model], str], str]:
    """Names of the accounts and exams ``events`` mention, read in one BatchGetItem per 100 of them.

    Staff accounts by username, students as "First Last" (the audit trail is for admins only), exams by
    name. An account or exam deleted since is simply missing.
    """
    wanted: dict[tuple[type[Model], str], None] = {}
    for event in events:
        if event.actor_id:
            wanted[(_actor_model(event), event.actor_id)] = None
        if event.exam_id:
            wanted[(Exam, event.exam_id)] = None
        target = TARGET_MODELS.get(event.target_type or "")
        if target and event.target_id:
            wanted[(target, event.target_id)] = None
    keys = list(wanted)
    names: dict[tuple[type[Model], str], str] = {}
    found = aws.batch_get(*(model(key) for model, key in keys))
    names.update({key: _display_name(item) for key, item in zip(keys, found, strict=True) if item})
    return names


def serialise_named(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """The API shape of a page of events, each with the names of its actor, exam and target (or None)."""
    names = resolve_names(events)
    out = []
    for event in events:
        target = TARGET_MODELS.get(event.target_type or "")
        out.append(
            {
                **serialise(event),
                "actor_name": names.get((_actor_model(event), event.actor_id)) if event.actor_id else None,
                "exam_name": names.get((Exam, event.exam_id)) if event.exam_id else None,
                "target_name": names.get((target, event.target_id)) if target and event.target_id else None,
            }
        )
    return out


def _months_between(since: datetime, until: datetime) -> list[str]:
    months = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def query(
    *,
    since: datetime,
    until: datetime,
    exam_id: str | None = None,
    copy_id: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """Events in ``[since, until]`` for one copy, exam or actor (or all), of one action (or any),
    newest first, no Scan."""
    sort_range = AuditEvent.sort_key.between(since.isoformat(), until.isoformat() + "~")
    options: dict[str, Any] = {"scan_index_forward": False}
    if action:
        options["filter_condition"] = AuditEvent.action == action
    if copy_id:
        pages = [AuditEvent.copy_index.query(copy_id, sort_range, **options)]
    elif exam_id:
        pages = [AuditEvent.exam_index.query(exam_id, sort_range, **options)]
    elif actor_id:
        pages = [AuditEvent.actor_index.query(actor_id, sort_range, **options)]
    else:
        pages = [
            AuditEvent.query(month, sort_range, **options)
            for month in reversed(_months_between(since, until))
        ]
    events: list[AuditEvent] = []
    for page in pages:
        for event in page:
            if exam_id and event.exam_id != exam_id:
                continue
            if actor_id and event.actor_id != actor_id:
                continue
            events.append(event)
            if len(events) >= limit:
                return events
    return events
