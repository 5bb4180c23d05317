"""Roster CSV parsing: the Pronote export and the plain header form, comma or semicolon, BOM or not.

A structural problem (encoding, header, size) rejects the whole file; a bad line is reported with its
number and skipped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_FIELD = 120

PRONOTE_HEADER = ("eleves", "ne(e) le", "adresse e-mail", "classe", "groupe")
PLAIN_HEADER = ("last_name", "first_name", "email", "class", "group", "student_number")


class RosterFileError(ValueError):
    """The file cannot be imported at all (nothing is written)."""


@dataclass(frozen=True)
class RosterRow:
    """One valid student line."""

    line: int
    last_name: str
    first_name: str
    email: str | None
    birth_date: str | None
    class_name: str | None
    group: str | None
    student_number: str | None


@dataclass(frozen=True)
class LineError:
    """A skipped line and why."""

    line: int
    message: str


def fold(text: str) -> str:
    """Lower-case without accents and with single spaces (for headers and identity keys)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def identity_key(last_name: str, first_name: str, birth_date: str | None) -> str:
    """How a student without an e-mail is recognised on a later import."""
    return f"{fold(last_name)}|{fold(first_name)}|{birth_date or ''}"


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RosterFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterFileError("The file is not UTF-8 text (export it as CSV UTF-8).") from error


def _dialect(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def split_pronote_name(cell: str) -> tuple[str, str]:
    """``"DE LA TOUR Jean-Baptiste"`` → (``"DE LA TOUR"``, ``"Jean-Baptiste"``): capitals are the name."""
    words = cell.split()
    last = []
    for word in words:
        letters = [ch for ch in word if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters) and len(last) < len(words) - 1:
            last.append(word)
        else:
            break
    if not last:
        last = words[:1]
    return " ".join(last), " ".join(words[len(last) :])


def _birth_date(value: str, line: int) -> str | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if not date(1900, 1, 1) <= parsed <= date.today():
            raise ValueError(f"the birth date {value} is out of range")
        return parsed.isoformat()
    raise ValueError(f"the birth date {value!r} is not DD/MM/YYYY")


def _email(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    from email_validator import EmailNotValidError, validate_email  # loaded on use, not at the API start

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(f"the e-mail {value!r} is not valid") from error


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_FIELD:
        raise ValueError(f"a field is longer than {MAX_FIELD} characters")
    return value or None


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[LineError]]:
    """Parse a roster file; raises ``RosterFileError`` when nothing can be imported."""
    text = _decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterFileError("The file is empty.")
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(lines[0]))
    try:
        header = tuple(fold(cell) for cell in next(reader))
    except csv.Error as error:
        raise RosterFileError(f"The header line cannot be read: {error}.") from error
    if header[: len(PRONOTE_HEADER)] == PRONOTE_HEADER:
        pronote = True
    elif header[: len(PLAIN_HEADER)] == PLAIN_HEADER:
        pronote = False
    else:
        raise RosterFileError(
            "Unknown header: expected the Pronote export (Élèves;Né(e) le;Adresse E-mail;Classe;Groupe) "
            "or last_name,first_name,email,class,group,student_number."
        )
    width = len(PRONOTE_HEADER if pronote else PLAIN_HEADER)
    rows: list[RosterRow] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                raise RosterFileError(f"The file has more than {MAX_ROWS} students.")
            if len(cells) < width:
                errors.append(LineError(line, f"expected {width} columns, found {len(cells)}"))
                continue
            try:
                row = _row(cells, line, pronote)
            except ValueError as error:
                errors.append(LineError(line, str(error)))
                continue
            problem = _duplicate(row, seen)
            if problem:
                errors.append(LineError(line, problem))
                continue
            rows.append(row)
    except csv.Error as error:
        raise RosterFileError(f"Line {reader.line_num} cannot be read: {error}.") from error
    return rows, errors


def _duplicate(row: RosterRow, seen: dict[str, int]) -> str | None:
    """Why ``row`` repeats an earlier line of the file (its e-mail, number or name and birth date)."""
    keys = []
    if row.email:
        keys.append((f"e-mail#{row.email}", f"the e-mail {row.email}"))
    if row.student_number:
        keys.append((f"number#{row.student_number}", f"the student number {row.student_number}"))
    if not keys:
        keys.append(
            (f"identity#{identity_key(row.last_name, row.first_name, row.birth_date)}",
             "the same name and birth date (without e-mail or student number)")
        )
    for key, what in keys:
        if key in seen:
            return f"{what} is already on line {seen[key]}"
    for key, _ in keys:
        seen[key] = row.line
    return None


def _row(cells: list[str], line: int, pronote: bool) -> RosterRow:
    if pronote:
        name, born, email, class_name, group = cells[:5]
        last_name, first_name = split_pronote_name(name.strip())
        number = None
    else:
        last_name, first_name, email, class_name, group, number = cells[:6]
        born = ""
    last_name, first_name = _clean(last_name), _clean(first_name)
    if not last_name or not first_name:
        raise ValueError("the last name and the first name are required")
    row = RosterRow(
        line,
        last_name,
        first_name,
        _email(email),
        _birth_date(born, line),
        _clean(class_name),
        _clean(group),
        _clean(number),
    )
    if not (row.email or row.student_number or row.birth_date):
        raise ValueError(
            "an e-mail, a student number or a birth date is required: a name alone cannot tell two "
            "students apart"
        )
    return row


# --------------------------------------------------------------------------------- identity rules


@dataclass(frozen=True)
class Known:
    """What the rules need to know about an existing student."""

    id: str
    email: str | None
    student_number: str | None


@dataclass(frozen=True)
class Create:
    """The row is a new student."""


@dataclass(frozen=True)
class Update:
    """The row is this existing student."""

    student_id: str


Decision = Create | Update | LineError


def decide(
    row: RosterRow,
    *,
    by_email: Known | None,
    by_number: Known | None,
    namesakes: list[str],
) -> Decision:
    """Which student a row is: matched by e-mail or student number only, never by name alone.

    ``by_email`` / ``by_number`` own the row's e-mail / student number claims; ``namesakes`` are the
    students of this exam's roster with the row's name and birth date (used only when the row has
    neither an e-mail nor a student number). An ambiguous row is a line error and changes nothing.
    """
    if by_email and by_number and by_email.id != by_number.id:
        return LineError(
            row.line,
            f"the e-mail {row.email} and the student number {row.student_number} belong to two "
            "different students",
        )
    if by_number and row.email and by_number.email and by_number.email != row.email:
        return LineError(
            row.line, f"the student number {row.student_number} belongs to a student with another e-mail"
        )
    if (
        by_email
        and row.student_number
        and by_email.student_number
        and by_email.student_number != row.student_number
    ):
        return LineError(
            row.line, f"the e-mail {row.email} belongs to a student with another student number"
        )
    match = by_email or by_number
    if match:
        return Update(match.id)
    if row.email or row.student_number:
        return Create()
    if len(namesakes) > 1:
        return LineError(
            row.line,
            f"{len(namesakes)} students of this exam are called {row.first_name} {row.last_name} with "
            "this birth date: add an e-mail or a student number",
        )
    return Update(namesakes[0]) if namesakes else Create()


def login_base(first_name: str, last_name: str) -> str:
    """``("Élodie", "DE LA TOUR")`` → ``"elodie.de-la-tour"``: lower-case ASCII, never an ``@``."""

    def part(text: str) -> str:
        ascii_text = fold(text).encode("ascii", "ignore").decode()
        words = re.findall(r"[a-z0-9]+", ascii_text)
        return "-".join(words)[:30].strip("-")

    return ".".join(filter(None, (part(first_name), part(last_name)))) or "student"


def login_id(base: str, number: int) -> str:
    """A generated sign-in id: ``lucas.martin.482``."""
    return f"{base}.{number}"
