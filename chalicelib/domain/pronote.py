"""The Pronote grade import file: UTF-8 BOM, ``;``, CRLF, grades on 20 with a decimal comma."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)).replace(".", ",")


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def pronote_csv(lines: list[PronoteLine]) -> bytes:
    """The whole file, bytes exactly as Pronote imports them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow(
            (
                safe_cell(line.last_name),
                safe_cell(line.first_name),
                _date(line.birth_date),
                safe_cell(line.subject),
                french_decimal(grade_on_20(line.total, line.max_points)),
                french_decimal(line.coefficient).removesuffix(",00"),
                safe_cell(line.comment, COMMENT_LIMIT),
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
