"""The formula-injection guard of every CSV cell that carries user text (exports, credential sheets).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or with a tab or carriage return
before one) as a formula: ``=HYPERLINK(...)`` typed as a pupil's name would run on the admin's computer.
"""

from __future__ import annotations

import re

INJECTION_PREFIX = re.compile(r"^[\s=+\-@]+")


def safe_cell(text: str | None, limit: int | None = None) -> str:
    """One line, without the leading characters spreadsheets execute (``= + - @``, spaces), capped."""
    flat = re.sub(r"\s+", " ", (text or "").replace("\r", " ").replace("\n", " ")).strip()
    flat = INJECTION_PREFIX.sub("", flat)
    return flat[:limit] if limit else flat
