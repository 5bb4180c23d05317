"""Roster import: upsert students by identity, enrol them in the exam, issue initial passwords."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import aws
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roster import LineError, RosterFileError, RosterRow, identity_key, parse_roster
from chalicelib.errors import BadRequest
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import UniqueValue
from chalicelib.services import audit, credentials, exams, passwords, ratelimit
from chalicelib.settings import get_settings


@dataclass
class ImportReport:
    """What an import did."""

    created: int
    updated: int
    errors: list[LineError]
    credentials_token: str | None


def serialise_student(student: Student) -> dict[str, Any]:
    """The admin-facing shape of a student (never the password hash)."""
    return {
        "id": student.id,
        "last_name": student.last_name,
        "first_name": student.first_name,
        "email": student.email,
        "class_name": student.class_name,
        "group": student.group,
        "student_number": student.student_number,
        "birth_date": student.birth_date,
    }


def _existing(row: RosterRow) -> Student | None:
    if row.email:
        match = next(iter(Student.email_index.query(row.email, limit=1)), None)
        if match:
            return match
    key = identity_key(row.last_name, row.first_name, row.birth_date)
    return next(iter(Student.identity_index.query(key, limit=1)), None)


def _create(row: RosterRow, exam_id: str) -> tuple[Student, str]:
    password = passwords.generate_password()
    student = Student(
        uuid.uuid4().hex,
        last_name=row.last_name,
        first_name=row.first_name,
        email=row.email,
        identity_key=identity_key(row.last_name, row.first_name, row.birth_date),
        birth_date=row.birth_date,
        class_name=row.class_name,
        group=row.group,
        student_number=row.student_number,
        password_hash=passwords.hash_password(password),
        must_change_password=True,
    )
    with aws.transact_write() as transaction:
        transaction.save(student, condition=Student.id.does_not_exist())
        if row.email:
            transaction.save(
                UniqueValue(f"student-email#{row.email}", owner_id=student.id),
                condition=UniqueValue.value.does_not_exist(),
            )
        transaction.save(Enrolment(exam_id, student.id))
    return student, password


def _update(student: Student, row: RosterRow, exam_id: str) -> None:
    actions = [
        Student.last_name.set(row.last_name),
        Student.first_name.set(row.first_name),
        Student.identity_key.set(identity_key(row.last_name, row.first_name, row.birth_date)),
        Student.updated_at.set(utcnow()),
        Student.version.add(1),
    ]
    for attribute, value in (
        (Student.class_name, row.class_name),
        (Student.group, row.group),
        (Student.student_number, row.student_number),
        (Student.birth_date, row.birth_date),
    ):
        if value is not None:
            actions.append(attribute.set(value))
    with aws.transact_write() as transaction:
        transaction.update(student, actions=actions, condition=Student.version == student.version)
        transaction.save(Enrolment(exam_id, student.id))


def import_roster(exam_id: str, data: bytes, *, actor: Principal, origin: Origin) -> ImportReport:
    """Import a roster file into an exam; a structural error imports nothing (400)."""
    settings = get_settings()
    exams.get_exam(exam_id)
    ratelimit.consume(
        f"roster-import:{actor.id}",
        settings.imports_per_hour,
        3600,
        "Too many roster imports. Try again later.",
    )
    try:
        rows, errors = parse_roster(data)
    except RosterFileError as error:
        audit.record(
            "roster.import",
            actor=actor,
            origin=origin,
            outcome="failure",
            target_type="exam",
            target_id=exam_id,
            exam_id=exam_id,
            metadata={"reason": str(error)},
        )
        raise BadRequest(str(error), extra={"errors": []}) from error
    created, updated = 0, 0
    sheet: list[tuple[str, str, str, str]] = []
    for row in rows:
        existing = _existing(row)
        try:
            if existing:
                _update(existing, row, exam_id)
                updated += 1
            else:
                student, password = _create(row, exam_id)
                sheet.append((student.last_name, student.first_name, student.email or "", password))
                created += 1
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            errors.append(LineError(row.line, "changed by another import meanwhile; import again"))
    token = credentials.store_sheet(exam_id, actor, sheet) if sheet else None
    errors.sort(key=lambda error: error.line)
    audit.record(
        "roster.import",
        actor=actor,
        origin=origin,
        target_type="exam",
        target_id=exam_id,
        exam_id=exam_id,
        metadata={"created": created, "updated": updated, "errors": len(errors)},
    )
    return ImportReport(created, updated, errors, token)


def exam_students(exam_id: str) -> list[Student]:
    """The students enrolled in an exam, sorted by name."""
    ids = [enrolment.student_id for enrolment in Enrolment.query(exam_id)]
    students = list(Student.batch_get(ids)) if ids else []
    return sorted(students, key=lambda s: (s.last_name.lower(), s.first_name.lower()))
