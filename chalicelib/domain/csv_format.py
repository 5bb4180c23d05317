"""The CSV dialect of every file Korrigo writes for people (exports, credentials sheets), in one place.

By default a file opens as columns in French Excel: UTF-8 with a BOM (without it Excel reads
Windows-1252), ``;`` between cells (the comma is the French decimal separator), decimal commas
(``14,25``) and CRLF. ``rfc`` is RFC 4180 for tools: ``,``, decimal points, CRLF, no BOM.
Cells are written as given: user text goes through :func:`chalicelib.domain.csv_safety.safe_cell` first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.errors import BadRequest

BOM = "\ufeff"
LINE_END = "\r\n"


@dataclass(frozen=True)
class CsvDialect:
    """How cells, numbers and the file itself are written."""

    name: str
    delimiter: str
    decimal_separator: str
    bom: bool

    def number(self, value: Decimal | float | int | str | None, places: int | None = None) -> str:
        """A number as this dialect writes it (``14.25`` → ``14,25`` in French Excel); ``None`` → ``""``.

        Without ``places`` the shortest exact form (``20``, ``11.75``); with it, that many decimals
        rounded half-up.
        """
        if value is None or value == "":
            return ""
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        if places is None:
            text = f"{exact.normalize():f}"
        else:
            text = f"{exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
        return text.replace(".", self.decimal_separator)

    def encode(self, rows: Iterable[Sequence[str]]) -> bytes:
        """The whole file (header included in ``rows``) as UTF-8 bytes."""
        buffer = io.StringIO()
        if self.bom:
            buffer.write(BOM)
        csv.writer(buffer, delimiter=self.delimiter, lineterminator=LINE_END).writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def decode(self, data: bytes) -> list[list[str]]:
        """The rows of a file written in this dialect."""
        text = data.decode("utf-8-sig" if self.bom else "utf-8")
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter))


FRENCH_EXCEL = CsvDialect("excel", delimiter=";", decimal_separator=",", bom=True)
RFC_4180 = CsvDialect("rfc", delimiter=",", decimal_separator=".", bom=False)
DEFAULT = FRENCH_EXCEL
DIALECTS = {dialect.name: dialect for dialect in (FRENCH_EXCEL, RFC_4180)}


def dialect_named(name: str | None) -> CsvDialect:
    """The dialect a ``?format=`` query parameter names (absent: the default); 400 for any other."""
    if name is None:
        return DEFAULT
    try:
        return DIALECTS[name]
    except KeyError:
        raise BadRequest(
            "Unknown CSV format. Use format=excel (the default: ';', decimal commas, for Excel in French)"
            " or format=rfc (',' and decimal points, for other tools).", reason="csv_format_unknown"
        ) from None


def rewrite(data: bytes, dialect: CsvDialect) -> bytes:
    """A file written in the default dialect, rewritten in ``dialect``; cells are kept as they are, so
    only for files without numbers (the credentials sheets, stored before the format is asked)."""
    if dialect == DEFAULT:
        return data
    return dialect.encode(DEFAULT.decode(data))
