"""Roster CSV parsing: columns found by their header names (French or English, any order).

Accepted: UTF-8 with or without BOM, else Windows-1252 (French Excel's "CSV (séparateur: point-virgule)");
``,``, ``;`` or tab between the columns, detected on the header line. Pronote's export (its combined
``Élèves`` column, NOM Prénom) is one such file. A structural problem (encoding, header, size) rejects
the whole file; a bad line is reported with its number and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_FIELD = 120

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = (";", ",", "\t")

#: Korrigo field → header names it is known by, as ``header_key`` writes them.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nom de famille", "nom eleve", "last name", "lastname", "surname", "family name"),
    "first_name": ("prenom", "prenoms", "prenom eleve", "first name", "firstname", "given name"),
    "full_name": ("eleves", "eleve", "nom prenom", "nom et prenom"),
    "email": (
        "email", "e-mail", "e mail", "mail", "courriel", "adresse e-mail", "adresse email", "adresse mail",
        "adresse courriel", "email address", "e-mail address",
    ),
    "class_name": ("classe", "class", "class name", "division"),
    "group": ("groupe", "groupes", "group", "groups"),
    "student_number": (
        "numero", "numero eleve", "n° eleve", "n°", "no eleve", "num eleve", "ine", "numero ine",
        "identifiant eleve", "student number", "student no", "student id",
    ),
    "birth_date": (
        "ne(e) le", "ne le", "nee le", "date de naissance", "naissance", "birth date", "birthdate",
        "date of birth", "dob",
    ),
}
_FIELD_OF = {name: key for key, names in COLUMN_NAMES.items() for name in names}
_EXPECTED = (
    "a last name (Nom, last_name) and a first name (Prénom, first_name), or Pronote's Élèves column; "
    "optional: e-mail (Adresse E-mail, email), class (Classe, class), group (Groupe, group), student "
    "number (Numéro, INE, student_number), birth date (Né(e) le, Date de naissance, birth_date)"
)


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
    """A skipped line and why: an English ``message``, a stable ``reason`` and the ``params`` it names."""

    line: int
    message: str
    #: ``roster_line_*``: the SPA words it in the user's language with ``params``.
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a line error (``reason`` and ``params`` when known)."""
        shape: dict[str, Any] = {"line": self.line, "message": self.message}
        if self.reason:
            shape["reason"] = self.reason
            shape["params"] = dict(self.params)
        return shape


class LineProblem(ValueError):
    """Why one line cannot be read (it becomes a ``LineError`` of that line)."""

    def __init__(self, message: str, reason: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params

    def at(self, line: int) -> LineError:
        """This problem as the line error of ``line``."""
        return LineError(line, str(self), self.reason, self.params)


@dataclass(frozen=True)
class RosterFile:
    """A parsed roster: its rows, its line errors and how its columns were read."""

    rows: list[RosterRow]
    errors: list[LineError]
    #: Korrigo field → the header of the file's column read for it (as written in the file).
    columns: dict[str, str]
    #: Headers of the columns that were not read.
    ignored: list[str] = field(default_factory=list)
    encoding: str = "UTF-8"
    delimiter: str = ","

    def mapping(self) -> dict:
        """How the file was read, for the import's answer (JSON-ready)."""
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "columns": dict(self.columns),
            "ignored": list(self.ignored),
        }


def fold(text: str) -> str:
    """Lower-case without accents and with single spaces (for headers and identity keys)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def header_key(cell: str) -> str:
    """``" Adresse_E-mail "`` → ``"adresse e-mail"``: how a header is looked up in ``COLUMN_NAMES``."""
    return re.sub(r"[\s_.:]+", " ", fold(cell)).strip()


def identity_key(last_name: str, first_name: str, birth_date: str | None) -> str:
    """How a student without an e-mail is recognised on a later import."""
    return f"{fold(last_name)}|{fold(first_name)}|{birth_date or ''}"


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and encoding name: UTF-8 (BOM or not), else Windows-1252; never binary."""
    if len(data) > MAX_BYTES:
        raise RosterFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    not_text = RosterFileError(
        "The file is not a CSV text file (it contains binary data or control characters). Save it from "
        "the spreadsheet as CSV (UTF-8, or “CSV (séparateur: point-virgule)”)."
    )
    if data.startswith(UTF8_BOM):
        candidates = (("utf-8", "UTF-8 with BOM", data[len(UTF8_BOM) :]),)
    else:
        candidates = (("utf-8", "UTF-8", data), ("cp1252", "Windows-1252", data))
    for codec, name, raw in candidates:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            raise not_text
        return text, name
    raise not_text


def _delimiter(first_line: str) -> str:
    """The separator used most often outside quotes on the header line (``;`` wins a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(DELIMITERS, key=lambda d: counts[d])


def _columns(header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Field → column index, field → header as written, ignored headers; refuses an unusable header."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, cell in enumerate(header):
        name = cell.strip()
        key = _FIELD_OF.get(header_key(cell)) or _FIELD_OF.get(header_key(cell.replace("-", " ")))
        if key is None:
            if name:
                ignored.append(name)
            continue
        if key in index:
            raise RosterFileError(
                f"Two columns hold the same information: “{written[key]}” and “{name}”. Keep one of them."
            )
        index[key], written[key] = position, name
    has_names = "last_name" in index and "first_name" in index
    if not has_names and "full_name" not in index:
        found = ", ".join(f"“{cell.strip()}”" for cell in header if cell.strip()) or "none"
        raise RosterFileError(f"No name column found. Columns of the file: {found}. Expected: {_EXPECTED}.")
    unused = ("full_name",) if has_names else ("last_name", "first_name")
    for key in unused:
        if key in index:
            ignored.append(written.pop(key))
            del index[key]
    return index, written, ignored


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
            raise LineProblem(
                f"the birth date {value} is out of range", "roster_line_birth_date_range", value=value
            )
        return parsed.isoformat()
    raise LineProblem(
        f"the birth date {value!r} is not DD/MM/YYYY", "roster_line_birth_date_format", value=value
    )


def _email(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    from email_validator import EmailNotValidError, validate_email  # loaded on use, not at the API start

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise LineProblem(
            f"the e-mail {value!r} is not valid", "roster_line_email_invalid", value=value
        ) from error


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_FIELD:
        raise LineProblem(
            f"a field is longer than {MAX_FIELD} characters", "roster_line_field_too_long", max=MAX_FIELD
        )
    return value or None


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[LineError]]:
    """Parse a roster file into its rows and line errors (see ``read_roster``)."""
    roster = read_roster(data)
    return roster.rows, roster.errors


def read_roster(data: bytes) -> RosterFile:
    """Parse a roster file; raises ``RosterFileError`` when nothing can be imported."""
    text, encoding = _decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterFileError("The file is empty.")
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise RosterFileError(f"The header line cannot be read: {error}.") from error
    index, written, ignored = _columns(header)
    width = max(index.values()) + 1
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
                errors.append(
                    LineError(
                        line,
                        f"expected {width} columns, found {len(cells)}",
                        "roster_line_columns",
                        {"expected": width, "found": len(cells)},
                    )
                )
                continue
            try:
                row = _row({key: cells[position] for key, position in index.items()}, line)
            except LineProblem as error:
                errors.append(error.at(line))
                continue
            problem = _duplicate(row, seen)
            if problem:
                errors.append(problem)
                continue
            rows.append(row)
    except csv.Error as error:
        raise RosterFileError(f"Line {reader.line_num} cannot be read: {error}.") from error
    return RosterFile(rows, errors, written, ignored, encoding, delimiter)


def _duplicate(row: RosterRow, seen: dict[str, int]) -> LineError | None:
    """Why ``row`` repeats an earlier line of the file (its e-mail, number or name and birth date)."""
    keys = []
    if row.email:
        keys.append((f"e-mail#{row.email}", f"the e-mail {row.email}", "roster_line_email_repeated"))
    if row.student_number:
        keys.append(
            (
                f"number#{row.student_number}",
                f"the student number {row.student_number}",
                "roster_line_number_repeated",
            )
        )
    if not keys:
        keys.append(
            (
                f"identity#{identity_key(row.last_name, row.first_name, row.birth_date)}",
                "the same name and birth date (without e-mail or student number)",
                "roster_line_identity_repeated",
            )
        )
    for key, what, reason in keys:
        if key in seen:
            return LineError(
                row.line,
                f"{what} is already on line {seen[key]}",
                reason,
                {"first": seen[key], "email": row.email, "number": row.student_number},
            )
    for key, _, _ in keys:
        seen[key] = row.line
    return None


def _row(cells: dict[str, str], line: int) -> RosterRow:
    """One line's cells by Korrigo field → a valid row, or ``LineProblem`` saying what is wrong."""
    if "full_name" in cells:
        last_name, first_name = split_pronote_name(cells["full_name"].strip())
    else:
        last_name, first_name = cells["last_name"], cells["first_name"]
    last_name, first_name = _clean(last_name), _clean(first_name)
    if not last_name or not first_name:
        raise LineProblem("the last name and the first name are required", "roster_line_name_missing")
    row = RosterRow(
        line,
        last_name,
        first_name,
        _email(cells.get("email", "")),
        _birth_date(cells.get("birth_date", ""), line),
        _clean(cells.get("class_name")),
        _clean(cells.get("group")),
        _clean(cells.get("student_number")),
    )
    if not (row.email or row.student_number or row.birth_date):
        raise LineProblem(
            "an e-mail, a student number or a birth date is required: a name alone cannot tell two "
            "students apart",
            "roster_line_identity_missing",
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
            "roster_line_two_students",
            {"email": row.email, "number": row.student_number},
        )
    if by_number and row.email and by_number.email and by_number.email != row.email:
        return LineError(
            row.line,
            f"the student number {row.student_number} belongs to a student with another e-mail",
            "roster_line_number_other_email",
            {"number": row.student_number},
        )
    if (
        by_email
        and row.student_number
        and by_email.student_number
        and by_email.student_number != row.student_number
    ):
        return LineError(
            row.line,
            f"the e-mail {row.email} belongs to a student with another student number",
            "roster_line_email_other_number",
            {"email": row.email},
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
            "roster_line_namesakes",
            {"n": len(namesakes), "name": f"{row.first_name} {row.last_name}"},
        )
    return Update(namesakes[0]) if namesakes else Create()


@dataclass(frozen=True)
class Rename:
    """A roster line that would give an existing student another name (applied only once confirmed)."""

    line: int
    student_id: str
    old: tuple[str, str]  # last name, first name, as stored
    new: tuple[str, str]  # last name, first name, as in the file
    email: str | None = None
    student_number: str | None = None
    login_id: str | None = None

    def as_dict(self) -> dict:
        """The JSON shape of a rename, in the import's answers and the job's input."""
        return {
            "line": self.line,
            "student_id": self.student_id,
            "old": {"last_name": self.old[0], "first_name": self.old[1]},
            "new": {"last_name": self.new[0], "first_name": self.new[1]},
            "email": self.email,
            "student_number": self.student_number,
            "login_id": self.login_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Rename:
        """The rename ``as_dict`` wrote."""
        return cls(
            int(data["line"]),
            data["student_id"],
            (data["old"]["last_name"], data["old"]["first_name"]),
            (data["new"]["last_name"], data["new"]["first_name"]),
            data.get("email"),
            data.get("student_number"),
            data.get("login_id"),
        )


def renames(row: RosterRow, last_name: str, first_name: str) -> bool:
    """Whether applying ``row`` to a student called ``last_name first_name`` changes their name."""
    return (row.last_name, row.first_name) != (last_name, first_name)


def renames_token(changes: list[Rename]) -> str:
    """What confirms exactly this list of renames (the same renames give the same token)."""
    canonical = sorted((r.student_id, *r.old, *r.new) for r in changes)
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()[:32]


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
