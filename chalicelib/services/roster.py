"""The roster's students: who a roster row is (identity rules), the writes of a chunk of rows.

A roster import runs as an account job (``services.account_jobs``): the API parses the file, the
accounts function applies it chunk by chunk. This module plans one chunk: it reads the identity claims
(``student-email#``, ``student-number#``, ``student-login#`` in ``unique-values``, consistent reads),
decides per row with ``domain.roster.decide``, and lists the items of the chunk's transaction. The
transaction, never the reads, decides: every new claim is conditional on not existing and every update
on the student's version.

A row that gives an existing student another name (same e-mail or student number) is a rename: the API
lists them (``find_renames``) and starts the job only once the admin confirmed that list; the job then
applies exactly the confirmed renames (each audited in its chunk's transaction) and makes any other a
line error.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.domain.roster import (
    Create,
    Known,
    LineError,
    Rename,
    RosterRow,
    Update,
    decide,
    identity_key,
    login_base,
    login_id,
    renames,
)
from chalicelib.models.students import Enrolment, Student
from chalicelib.models.users import UniqueValue
from chalicelib.settings import get_settings

LOGIN_ATTEMPTS = 20


def email_claim(email: str) -> str:
    """The unique-values key that gives an e-mail to one student."""
    return f"student-email#{email}"


def number_claim(number: str) -> str:
    """The unique-values key that gives a student number to one student."""
    return f"student-number#{number}"


def login_claim(login: str) -> str:
    """The unique-values key that gives a generated sign-in id to one student."""
    return f"student-login#{login}"


def exam_students(exam_id: str) -> list[Student]:
    """The students enrolled in an exam, sorted by name."""
    ids = [enrolment.student_id for enrolment in Enrolment.query(exam_id)]
    students = list(Student.batch_get(ids)) if ids else []
    return sorted(students, key=lambda s: (s.last_name.lower(), s.first_name.lower()))


def initial_password_expiry(now: datetime) -> datetime:
    """When an initial password issued ``now`` stops working if never changed."""
    return now + timedelta(days=get_settings().initial_password_days)


@dataclass
class PlannedRow:
    """One row's writes in a chunk's transaction, and its line on the credentials sheet."""

    line: int
    student: Student
    created: bool
    claims: list[str]
    actions: list[Action] = field(default_factory=list)
    password: str | None = None
    #: The confirmed rename this update makes (audited with the chunk), if any.
    rename: Rename | None = None

    @property
    def sign_in(self) -> str:
        """What the student types to sign in: the e-mail, else the generated sign-in id."""
        return self.student.email or self.student.login_id or ""


def _claim_owners(values: set[str]) -> dict[str, str]:
    """Claimed value → owner id, for the values that are claimed (strongly consistent)."""
    if not values:
        return {}
    return {claim.value: claim.owner_id for claim in UniqueValue.batch_get(values, consistent_read=True)}


def _students(ids: set[str]) -> dict[str, Student]:
    return {s.id: s for s in Student.batch_get(ids, consistent_read=True)} if ids else {}


def _namesakes(row: RosterRow, exam_id: str) -> list[str]:
    """Students of this exam's roster with the row's name and birth date."""
    key = identity_key(row.last_name, row.first_name, row.birth_date)
    candidates = {student.id for student in Student.identity_index.query(key)}
    return sorted(
        student_id
        for student_id in candidates
        if Enrolment.count(exam_id, Enrolment.student_id == student_id, consistent_read=True)
    )


def _free_login(row: RosterRow, taken: set[str]) -> str:
    """A sign-in id nobody holds now (the transaction's claim makes it final)."""
    base = login_base(row.first_name, row.last_name)
    for attempt in range(LOGIN_ATTEMPTS):
        upper = 1000 if attempt < LOGIN_ATTEMPTS // 2 else 100000
        candidate = login_id(base, 100 + secrets.randbelow(upper - 100))
        if candidate in taken:
            continue
        if not _claim_owners({login_claim(candidate)}):
            return candidate
    raise RuntimeError(f"no free sign-in id for {base}")


def _known(student: Student | None) -> Known | None:
    return Known(student.id, student.email, student.student_number) if student else None


@dataclass
class _Match:
    """A row and the rules' decision on it, with the existing student it updates."""

    row: RosterRow
    decision: Create | Update | LineError
    student: Student | None = None
    claim_email: bool = False
    claim_number: bool = False


def _matches(rows: list[RosterRow], exam_id: str) -> list[_Match]:
    """Decide every row (``domain.roster.decide``) from consistent reads of the claims."""
    claims = {email_claim(r.email) for r in rows if r.email}
    claims |= {number_claim(r.student_number) for r in rows if r.student_number}
    owners = _claim_owners(claims)
    students = _students(set(owners.values()))
    matches: list[_Match] = []
    for row in rows:
        by_email = _known(students.get(owners.get(email_claim(row.email), ""))) if row.email else None
        by_number = (
            _known(students.get(owners.get(number_claim(row.student_number), "")))
            if row.student_number
            else None
        )
        namesakes = [] if (row.email or row.student_number) else _namesakes(row, exam_id)
        decision = decide(row, by_email=by_email, by_number=by_number, namesakes=namesakes)
        match = _Match(row, decision)
        if isinstance(decision, Update):
            match.student = students.get(decision.student_id) or Student.get(
                decision.student_id, consistent_read=True
            )
            match.claim_email, match.claim_number = by_email is None, by_number is None
        matches.append(match)
    return matches


def _rename(match: _Match) -> Rename | None:
    """The rename an update would make, or None."""
    student, row = match.student, match.row
    if student is None or not renames(row, student.last_name, student.first_name):
        return None
    return Rename(
        row.line,
        student.id,
        (student.last_name, student.first_name),
        (row.last_name, row.first_name),
        student.email,
        student.student_number,
        student.login_id,
    )


def find_renames(rows: list[RosterRow], exam_id: str) -> list[Rename]:
    """The existing students this roster would give another name (same e-mail or number, other name)."""
    return [rename for match in _matches(rows, exam_id) if (rename := _rename(match))]


def _unconfirmed(rename: Rename) -> LineError:
    old, new = " ".join(rename.old), " ".join(rename.new)
    return LineError(
        rename.line,
        f"renaming {old} to {new} was not confirmed: import the file again",
        "roster_line_rename_unconfirmed",
        {"old": old, "new": new},
    )


def _is_confirmed(rename: Rename, confirmed: dict[str, Rename]) -> bool:
    known = confirmed.get(rename.student_id)
    return known is not None and (known.old, known.new) == (rename.old, rename.new)


def plan_rows(
    rows: list[RosterRow],
    exam_id: str,
    now: datetime,
    new_password: Any,
    confirmed: dict[str, Rename] | None = None,
) -> tuple[list[PlannedRow], list[LineError]]:
    """Decide every row of a chunk; ``new_password()`` gives each new student's initial password.

    A row that renames a student is applied only if ``confirmed`` (student id → rename) holds that
    very rename (same old and new name); otherwise it is a line error and changes nothing.
    """
    planned: list[PlannedRow] = []
    errors: list[LineError] = []
    touched: dict[str, int] = {}
    logins: set[str] = set()
    for match in _matches(rows, exam_id):
        row, decision = match.row, match.decision
        if isinstance(decision, LineError):
            errors.append(decision)
            continue
        rename = _rename(match)
        if rename and not _is_confirmed(rename, confirmed or {}):
            errors.append(_unconfirmed(rename))
            continue
        if isinstance(decision, Create):
            entry = _create(row, now, new_password(), logins)
        else:
            assert match.student is not None
            entry = _update(
                row, match.student, now, claim_email=match.claim_email, claim_number=match.claim_number
            )
            entry.rename = rename
        if entry.student.id in touched:
            first = touched[entry.student.id]
            errors.append(
                LineError(
                    row.line,
                    f"this is the same student as line {first}",
                    "roster_line_same_student",
                    {"first": first},
                )
            )
            continue
        touched[entry.student.id] = row.line
        planned.append(entry)
    return planned, errors


def _create(row: RosterRow, now: datetime, password: str, logins: set[str]) -> PlannedRow:
    login = None if row.email else _free_login(row, logins)
    if login:
        logins.add(login)
    student = Student(
        uuid.uuid4().hex,
        last_name=row.last_name,
        first_name=row.first_name,
        email=row.email,
        login_id=login,
        identity_key=identity_key(row.last_name, row.first_name, row.birth_date),
        birth_date=row.birth_date,
        class_name=row.class_name,
        group=row.group,
        student_number=row.student_number,
        must_change_password=True,
        initial_password_expires_at=initial_password_expiry(now),
        created_at=now,
        updated_at=now,
    )
    claims = [email_claim(row.email) if row.email else login_claim(login or "")]
    if row.student_number:
        claims.append(number_claim(row.student_number))
    return PlannedRow(row.line, student, True, claims, password=password)


def _update(
    row: RosterRow, student: Student, now: datetime, *, claim_email: bool, claim_number: bool
) -> PlannedRow:
    actions: list[Action] = [
        Student.last_name.set(row.last_name),
        Student.first_name.set(row.first_name),
        Student.identity_key.set(identity_key(row.last_name, row.first_name, row.birth_date)),
        Student.updated_at.set(now),
        Student.version.add(1),
    ]
    for attribute, value in (
        (Student.class_name, row.class_name),
        (Student.group, row.group),
        (Student.birth_date, row.birth_date),
    ):
        if value is not None:
            actions.append(attribute.set(value))
    claims = []
    if row.email and claim_email:
        actions.append(Student.email.set(row.email))
        claims.append(email_claim(row.email))
    if row.student_number and claim_number:
        actions.append(Student.student_number.set(row.student_number))
        claims.append(number_claim(row.student_number))
    return PlannedRow(row.line, student, False, claims, actions=actions)


def add_to_transaction(transaction: Any, entry: PlannedRow, exam_id: str, password_hash: str | None) -> None:
    """Add one planned row's writes: the student (new or updated), its new claims, its enrolment."""
    if entry.created:
        entry.student.password_hash = password_hash
        transaction.save(entry.student, condition=Student.id.does_not_exist())
    else:
        transaction.update(
            entry.student, actions=entry.actions, condition=Student.version == entry.student.version
        )
    for value in entry.claims:
        transaction.save(
            UniqueValue(value, owner_id=entry.student.id), condition=UniqueValue.value.does_not_exist()
        )
    transaction.save(Enrolment(exam_id, entry.student.id))
