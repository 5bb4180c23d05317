"""Personalised answer sheets: one printable A4 PDF of an exam's booklets, a QR code on every page.

Pure: exam and booklets in, PDF bytes out. Every page carries, in its top-right corner, the QR code of
``chalicelib.domain.sheet_codes`` (exam, booklet, page, check value) drawn as vector squares, 20 mm wide
with its 4-module quiet zone, everything inside a 10 mm margin that copiers print and scan safely; beside
it the same identity as readable text (exam, booklet id, "page 2 / 4").

Page 1 of a booklet has the name box inside the header band (the top quarter of the page, the band
ingest crops for identification and masks for the teachers, ``functions.pdf.render.HEADER_FRACTION``):
the pupil's name printed in it, or empty for an anonymous booklet. The pupil's name is printed nowhere
else: the other pages are never masked and teachers grade them anonymously, so they carry the booklet id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf
import segno

from chalicelib.domain.sheet_codes import MAX_PAGES, SheetCode, encode, printed_label
from functions.pdf.render import HEADER_FRACTION

A4 = pymupdf.paper_rect("a4")
MM = 72 / 25.4
MARGIN = 10 * MM  # copiers lose up to ~5 mm at the edges; nothing is printed closer than 10 mm
QR_SIZE = 20 * MM  # the symbol itself (a version 4 code: 33 modules of ~0.6 mm, ~3.6 px at 150 DPI)
QR_QUIET_MODULES = 4  # the quiet zone the QR standard requires around the symbol, kept blank
QR_ERROR = "m"
#: The bottom of page 1's header band (ingest masks this fraction of the page's height, rounded up).
BAND_BOTTOM = A4.height * HEADER_FRACTION
TEXT = (0.0, 0.0, 0.0)
GREY = (0.35, 0.35, 0.35)


@dataclass(frozen=True)
class SheetExam:
    """What the sheets say about the exam."""

    exam_id: str
    name: str
    subject: str
    date: str  # ISO date
    pages_per_copy: int


@dataclass(frozen=True)
class BookletSheet:
    """One booklet to print: a pupil's (``student_name``) or anonymous (``number``)."""

    sheet_id: str
    student_name: str | None = None  # "NOM Prénom"
    number: int | None = None  # anonymous booklets: 1..N

    def identity(self) -> str:
        """Who the booklet is for, as printed on its first page."""
        if self.student_name:
            return f"Élève : {self.student_name}"
        return f"Copie anonyme n° {self.number}"


def booklet_pages(exam: SheetExam, extra_pages: int = 0) -> int:
    """Pages of one booklet: the exam's pages per copy and the extra blank ones."""
    pages = exam.pages_per_copy + extra_pages
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"a booklet has 1 to {MAX_PAGES} pages")
    return pages


def french_date(iso: str) -> str:
    """``2026-03-12`` → ``12/03/2026`` (the text as given when it is not a date)."""
    try:
        return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def render_sheets(
    exam: SheetExam, booklets: Sequence[BookletSheet], key: bytes, extra_pages: int = 0
) -> bytes:
    """The PDF of ``booklets``, each ``pages_per_copy`` (+ ``extra_pages`` blank) A4 pages."""
    if not booklets:
        raise ValueError("no booklet to print")
    pages = booklet_pages(exam, extra_pages)
    fonts = _Fonts()
    doc = pymupdf.open()
    for booklet in booklets:
        for page_number in range(1, pages + 1):
            page = doc.new_page(width=A4.width, height=A4.height)
            code = SheetCode(exam.exam_id, booklet.sheet_id, page_number)
            _draw_qr(page, encode(code, key))
            writer = pymupdf.TextWriter(page.rect)
            if page_number == 1:
                _first_page(page, writer, fonts, exam, booklet, pages)
            else:
                extra = page_number > exam.pages_per_copy
                _other_page(writer, fonts, exam, booklet, page_number, pages, extra)
            _footer(writer, fonts, booklet, page_number, pages)
            writer.write_text(page, color=TEXT)
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


class _Fonts:
    """The embedded fonts (cover Latin names beyond Latin-1: Ł, Œ, ...)."""

    def __init__(self) -> None:
        self.regular = pymupdf.Font("helv")
        self.bold = pymupdf.Font("hebo")


def qr_rect() -> pymupdf.Rect:
    """Where the symbol is drawn: top-right, its quiet zone inside the margin."""
    quiet = QR_QUIET_MODULES * QR_SIZE / 33
    right = A4.width - MARGIN - quiet
    top = MARGIN + quiet
    return pymupdf.Rect(right - QR_SIZE, top, right, top + QR_SIZE)


def _text_right() -> float:
    """The right edge of text beside the code (the code's quiet zone stays blank)."""
    quiet = QR_QUIET_MODULES * QR_SIZE / 33
    return qr_rect().x0 - quiet - 2 * MM


def _draw_qr(page: pymupdf.Page, text: str) -> None:
    """The code as filled squares, one rectangle a run of dark modules in a row, scaled to the rect."""
    qr = segno.make(text, error=QR_ERROR, micro=False, boost_error=False)
    matrix = qr.matrix
    rect = qr_rect()
    # A longer payload (ids near 64 characters) is a larger version: same width, smaller modules.
    module = rect.width / len(matrix)
    shape = page.new_shape()
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            y = rect.y0 + row_index * module
            shape.draw_rect(pymupdf.Rect(rect.x0 + start * module, y, rect.x0 + column * module, y + module))
    shape.finish(color=None, fill=TEXT, width=0)
    shape.commit()


def _fit(font: pymupdf.Font, text: str, size: float, width: float) -> float:
    """``size``, shrunk so ``text`` fits in ``width`` (never below 6 pt)."""
    length = font.text_length(text, fontsize=size)
    return size if length <= width else max(6.0, size * width / length)


def _put(writer: pymupdf.TextWriter, font: pymupdf.Font, text: str, x: float, y: float, size: float,
         width: float) -> None:
    writer.append((x, y), text, font=font, fontsize=_fit(font, text, size, width))


def _exam_line(exam: SheetExam) -> str:
    return " · ".join(part for part in (exam.subject.strip(), french_date(exam.date)) if part)


def _first_page(page: pymupdf.Page, writer: pymupdf.TextWriter, fonts: _Fonts, exam: SheetExam,
                booklet: BookletSheet, pages: int) -> None:
    """Exam, identity and the name box, all inside the header band; a rule marks the band's bottom."""
    width = _text_right() - MARGIN
    _put(writer, fonts.bold, exam.name, MARGIN, MARGIN + 16, 14, width)
    _put(writer, fonts.regular, _exam_line(exam), MARGIN, MARGIN + 32, 10, width)
    _put(writer, fonts.regular, f"{booklet.identity()} · {printed_label(booklet.sheet_id, 1, pages)}",
         MARGIN, MARGIN + 48, 10, width)
    box = pymupdf.Rect(MARGIN, MARGIN + 64, _text_right(), BAND_BOTTOM - 24)
    page.draw_rect(box, color=TEXT, width=1.2)
    _put(writer, fonts.regular, "Nom et prénom :", box.x0 + 6, box.y0 + 13, 9, box.width - 12)
    if booklet.student_name:
        _put(writer, fonts.bold, booklet.student_name, box.x0 + 10, box.y0 + 40, 18, box.width - 20)
    else:
        _put(writer, fonts.regular, "Écrivez vos nom et prénom en capitales dans ce cadre.", box.x0 + 6,
             box.y1 - 6, 8, box.width - 12)
    rule_y = BAND_BOTTOM + 4
    page.draw_line((MARGIN, rule_y), (A4.width - MARGIN, rule_y), color=GREY, width=0.5, dashes="[3 3] 0")
    _put(writer, fonts.regular, "Au-dessus de ce trait : masqué aux correcteurs. Répondez en dessous.",
         MARGIN, rule_y + 10, 7.5, A4.width - 2 * MARGIN)


def _other_page(writer: pymupdf.TextWriter, fonts: _Fonts, exam: SheetExam, booklet: BookletSheet,
                page_number: int, pages: int, extra: bool) -> None:
    """Exam and booklet id (never the pupil's name: these pages are not masked)."""
    width = _text_right() - MARGIN
    _put(writer, fonts.bold, exam.name, MARGIN, MARGIN + 14, 11, width)
    anonymous = f"Copie anonyme n° {booklet.number} · " if not booklet.student_name else ""
    sheet = " · feuille supplémentaire" if extra else ""
    _put(writer, fonts.regular, f"{anonymous}{printed_label(booklet.sheet_id, page_number, pages)}{sheet}",
         MARGIN, MARGIN + 30, 10, width)


def _footer(writer: pymupdf.TextWriter, fonts: _Fonts, booklet: BookletSheet, page_number: int,
            pages: int) -> None:
    text = f"Korrigo · {printed_label(booklet.sheet_id, page_number, pages)} · ne pas écrire dans les marges"
    _put(writer, fonts.regular, text, MARGIN, A4.height - MARGIN - 2, 7, A4.width - 2 * MARGIN)
