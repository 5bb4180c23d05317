"""The Pronote grade import file: UTF-8 BOM, ``;``, CRLF, grades on 20 with a decimal comma."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.csv_format import FRENCH_EXCEL  # Pronote's own dialect, whatever the default
from chalicelib.domain.csv_safety import safe_cell  # the one guard; still importable from here

__all__ = [
    "COMMENT_LIMIT", "HEADER", "PronoteLine", "french_decimal", "grade_on_20", "pronote_csv", "safe_cell"
]

HEADER = ("NOM", "PRENOM", "DATE_NAISSANCE", "MATIERE", "NOTE", "COEFF", "COMMENTAIRE")
COMMENT_LIMIT = 500


@dataclass(frozen=True)
class PronoteLine:
    """One student's grade."""

    last_name: str
    first_name: str
    birth_date: str | None  # ISO date
    subject: str
    total: Decimal
    max_points: Decimal
    coefficient: Decimal
    comment: str


def grade_on_20(total: Decimal, max_points: Decimal) -> Decimal:
    """The grade scaled to 20 (not rounded)."""
    return total * 20 / max_points


def french_decimal(value: Decimal) -> str:
    """Two decimals, rounded half-up, with a decimal comma: ``15.555`` → ``"15,56"``."""
    return FRENCH_EXCEL.number(value, places=2)


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def pronote_csv(lines: list[PronoteLine]) -> bytes:
    """The whole file, bytes exactly as Pronote imports them (never another dialect)."""
    return FRENCH_EXCEL.encode(
        [
            HEADER,
            *(
                (
                    safe_cell(line.last_name),
                    safe_cell(line.first_name),
                    _date(line.birth_date),
                    safe_cell(line.subject),
                    french_decimal(grade_on_20(line.total, line.max_points)),
                    french_decimal(line.coefficient).removesuffix(",00"),
                    safe_cell(line.comment, COMMENT_LIMIT),
                )
                for line in lines
            ),
        ]
    )
