"""The final PDF of a graded copy: the scanned pages with the teacher's annotations drawn in, then a summary.

Runs in the render function (workflow 8 "Finalise"). Its inputs are our own page JPEGs (made by the ingest)
and annotations the API has validated, never an uploaded file, so it runs in process, without the
ingest's sandbox. Annotations are checked again before drawing, by the same rules the API applies
(``chalicelib.domain.annotations``: one definition of a valid shape). MuPDF is imported on the first
call only: importing ``functions.pdf`` stays free of it.

Choices, from measurements on this platform:

* A scanned page is its stored JPEG inserted as is (DCTDecode pass-through, no second lossy compression,
  ~1 ms) on a page of the image's size at 150 DPI. Pages showing the same bytes share one image object.
* Annotations are page content (vector paths and text) drawn over the image, never PDF annotation
  objects: nothing a viewer could hide, edit or lose when flattening, and no ``bake()`` needed.
* Free text (comments, the summary) goes through MuPDF's HTML layout (Story, ``insert_htmlbox``): it
  wraps lines and finds glyphs for French (Nimbus Sans) and for maths symbols (Noto fallbacks). Each
  layout written to a page embeds whole fonts (~10 ms), so the comments of a copy are laid out together in
  one overlay PDF, a page per scanned page, stamped with ``show_pdf_page``: one font set a copy, not one a
  comment (4 pages with 2 comments each: 85 -> 20 ms). ``subset_fonts`` and duplicate-object removal on
  save (~10 ms) bring the fonts down to ~30 KB a copy. Short labels (footers) are set with
  a TextWriter in the same Nimbus Sans. Its text is extracted as written, ligatures included (see
  ``_spell_out_ligatures``).
* MuPDF's HTML tables drop rows when they cross a page break and ignore column widths, so the summary is
  paginated here: one table per page, as many rows as fit, measured with a Story before drawing.
  Two columns (question with its remark below, score), so the automatic widths come out right.
* Annotations carry no points (``chalicelib.domain.annotations``): a ``score_delta`` stored on an old
  annotation is ignored, never drawn. Points are the score sheet's, in the summary.
* Apart from the creation date the output depends only on the input (no random file ID).
"""

from __future__ import annotations

import functools
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from chalicelib.domain.annotations import check_text, normalise_geometry

if TYPE_CHECKING:
    import pymupdf

DPI = 150
POINTS_PER_PIXEL = 72 / DPI
JPEG_MAGIC = b"\xff\xd8\xff"

Colour = tuple[float, float, float]
RED: Colour = (0.85, 0.0, 0.0)
GREEN: Colour = (0.0, 0.6, 0.15)
RED_CSS = "#d90000"
# Sizes in points (1 pt = 2.08 px at 150 DPI).
RECT_WIDTH = 2.0
INK_WIDTH = 1.8
MARK_WIDTH = 2.8  # ticks and crosses
MARK_SIZE = 20.0
EDGE = 4.0  # keep drawn text this far from the page edges
COMMENT_MAX_WIDTH = 200.0
COMMENT_FONT_SIZE = 10.0
COMMENT_PADDING = 3.0
LABEL_GAP = 3.0
BACKING_OPACITY = 0.85  # white under drawn text, so it stays readable over handwriting
LONG_WORD = 24  # longer words get break opportunities (MuPDF would let them overflow the box)

A4 = (595.0, 842.0)
SUMMARY_MARGIN = 50.0
FOOTER_FONT_SIZE = 8.0
SCORE_COLUMN = 110.0  # MuPDF sizes table columns by their content: the question column is padded to the
# page width less this, so every summary table spans the page whatever its remarks
MIN_SUMMARY_SCALE = 0.7  # a summary that fits one page at >= 70 % is shrunk; a longer one is paginated

_HTML_FIX = "body {margin:1px;}"  # what insert_htmlbox prepends to the CSS: measure exactly as it draws
_COMMENT_CSS = (f"* {{font-family: sans-serif; font-size: {COMMENT_FONT_SIZE}pt; color: {RED_CSS};"
                " line-height: 1.2;} body {margin: 0;} p {margin: 0;}")
_SUMMARY_CSS = """
* {font-family: sans-serif; color: #111;}
body {font-size: 10.5pt; line-height: 1.25;}
h1 {font-size: 18pt; margin: 0 0 4pt 0;}
h2 {font-size: 13pt; margin: 14pt 0 4pt 0;}
p {margin: 0;}
.exam {font-size: 12pt; color: #333; margin: 0 0 8pt 0;}
.total {font-size: 24pt; font-weight: bold; margin: 4pt 0 14pt 0;}
.cont {font-size: 9pt; color: #555; margin: 0 0 8pt 0;}
table {width: 100%; border-collapse: collapse;}
th {text-align: left; background-color: #e6e6e6; padding: 4pt 6pt; font-size: 9.5pt;}
td {padding: 4pt 6pt; border-bottom: 0.5pt solid #aaa; vertical-align: top;}
.score {text-align: right; white-space: nowrap;}
.remark {font-size: 9.5pt; color: #444; margin-top: 2pt;}
"""

# MuPDF's HTML layout draws "fi", "ffl"... as ligature glyphs whose text is U+FB01...: search and copy in
# the student's viewer would miss "justifier". Their ToUnicode entries are rewritten to the letters.
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st",
              0xFB06: "st"}
_BFRANGE = re.compile(r"(\d+) beginbfrange\s(.*?)endbfrange", re.S)
_RANGE = re.compile(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFCHAR_LIGATURE = re.compile(r"(<[0-9a-fA-F]+>\s*)<(fb0[0-6])>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(rf"\S{{{LONG_WORD + 1},}}")


@dataclass(frozen=True)
class FinalPage:
    """One scanned page of the copy and the annotations drawn on it."""

    image: bytes  # JPEG of the scanned page at 150 DPI, as stored at ingest
    width: int  # pixels
    height: int
    # Dicts as stored: "type", "geometry" (normalised to [0, 1] of the page, origin top-left), optional
    # "text" (required for "text"); other keys (id, version, an old "score_delta"...) are ignored.
    annotations: list[dict]


@dataclass(frozen=True)
class QuestionLine:
    label: str  # "Exercice 1 › a)"
    score: float
    max_points: float
    remark: str = ""


@dataclass(frozen=True)
class Summary:
    anonymous_id: str  # "7F3A-001", never a student name
    exam_name: str
    subject: str
    total: float
    max_points: float
    questions: list[QuestionLine]
    appreciation: str = ""


class _Comment(NamedTuple):
    """A comment laid out on its page: the box (white, red border), the text area inside, the HTML."""

    box: pymupdf.Rect
    inner: pymupdf.Rect
    body: str


class _Mark(NamedTuple):
    """A validated annotation, geometry still normalised."""

    kind: str
    geometry: dict[str, Any]
    text: str


def render_final_pdf(pages: list[FinalPage], summary: Summary) -> bytes:
    """The final PDF: one page per scanned page with its annotations drawn in, then the summary (A4).

    Every input is checked before anything is drawn: a bad page or annotation raises ValueError naming
    the page index and annotation index (from 0), a bad summary number raises ValueError.
    """
    if not pages:
        raise ValueError("a copy has at least one page")
    marks = [_check_page(page, index) for index, page in enumerate(pages)]
    _check_summary(summary)

    import pymupdf

    doc = pymupdf.open()
    try:
        comments = [_scan_page(doc, page, index, page_marks)
                    for index, (page, page_marks) in enumerate(zip(pages, marks, strict=True))]
        _draw_comments(doc, comments)
        _summary_pages(doc, summary)
        doc.set_metadata({"title": f"Korrigo — copie {_clean(summary.anonymous_id)}", "creator": "Korrigo",
                          "producer": "Korrigo", "creationDate": pymupdf.get_pdf_now()})
        doc.subset_fonts()
        _spell_out_ligatures(doc)
        return doc.tobytes(garbage=4, deflate=True, no_new_id=True)
    finally:
        doc.close()
        pymupdf.TOOLS.store_shrink(100)


# ---------------------------------------------------------------------------------------------- checks


def _check_page(page: FinalPage, page_index: int) -> list[_Mark]:
    if not isinstance(page.image, bytes) or not page.image.startswith(JPEG_MAGIC):
        raise ValueError(f"page index {page_index}: the page image is not a JPEG")
    for name in ("width", "height"):
        value = getattr(page, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"page index {page_index}: {name} must be a positive number of pixels")
    if not isinstance(page.annotations, list):
        raise ValueError(f"page index {page_index}: annotations must be a list")
    marks = []
    for index, annotation in enumerate(page.annotations):
        try:
            marks.append(_check_annotation(annotation))
        except ValueError as exc:
            raise ValueError(f"page index {page_index}, annotation index {index}: {exc}") from None
    return marks


def _check_annotation(annotation: Any) -> _Mark:
    """An annotation as stored, checked by the rules the API applied when it was written."""
    if not isinstance(annotation, dict):
        raise ValueError("an annotation must be an object")
    kind = annotation.get("type")
    geometry = normalise_geometry(kind, annotation.get("geometry"))
    text = check_text(kind, annotation.get("text"))
    return _Mark(kind, geometry, _clean(text or "").strip())


def _check_summary(summary: Summary) -> None:
    numbers = [("total", summary.total), ("max_points", summary.max_points)]
    for index, line in enumerate(summary.questions):
        numbers += [(f"question {index} score", line.score),
                    (f"question {index} max_points", line.max_points)]
    for name, value in numbers:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"summary: {name} must be a finite number")
    texts = [summary.anonymous_id, summary.exam_name, summary.subject, summary.appreciation]
    texts += [text for line in summary.questions for text in (line.label, line.remark)]
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("summary: every label, remark and name must be a string")


# ------------------------------------------------------------------------------------------ scan pages


def _scan_page(doc: pymupdf.Document, page: FinalPage, index: int, marks: list[_Mark]) -> list[_Comment]:
    """The page with its image, strokes and comment boxes; returns the comments' text, drawn on top by
    ``_draw_comments``."""
    import pymupdf

    out = doc.new_page(width=page.width * POINTS_PER_PIXEL, height=page.height * POINTS_PER_PIXEL)
    try:  # the JPEG goes in as is; identical bytes on two pages become one image object
        xref = out.insert_image(out.rect, stream=page.image, keep_proportion=False)
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase) as exc:
        raise ValueError(f"page index {index}: the page image cannot be read ({exc})") from None
    size = (doc.xref_get_key(xref, "Width")[1], doc.xref_get_key(xref, "Height")[1])
    if size != (str(page.width), str(page.height)):
        raise ValueError(f"page index {index}: the image is {size[0]}x{size[1]} pixels, "
                         f"not {page.width}x{page.height}")
    if not marks:
        return []
    # Strokes, then the comments' white boxes, then the comments' text.
    shape = out.new_shape()
    boxes = [_draw_shape(shape, mark, out.rect) for mark in marks]
    comments: list[_Comment] = []
    for mark, box in zip(marks, boxes, strict=True):
        if mark.text:
            # a text comment starts at its point, a shape's label below the shape
            anchor = box.tl if mark.kind == "text" else pymupdf.Point(box.x0, box.y1 + LABEL_GAP)
            comment = _layout_comment(out.rect, mark.text, anchor)
            shape.draw_rect(comment.box)
            shape.finish(width=0.8, color=RED, fill=(1, 1, 1), fill_opacity=BACKING_OPACITY)
            comments.append(comment)
    shape.commit()
    return comments


def _draw_shape(shape: pymupdf.Shape, mark: _Mark, page: pymupdf.Rect) -> pymupdf.Rect:
    """Draw a rect, ink stroke, tick or cross; returns its bounding box (a text comment: its anchor)."""
    import pymupdf

    geometry, width, height = mark.geometry, page.width, page.height
    if mark.kind == "rect":
        rect = pymupdf.Rect(geometry["x"] * width, geometry["y"] * height,
                            (geometry["x"] + geometry["w"]) * width, (geometry["y"] + geometry["h"]) * height)
        shape.draw_rect(rect)
        shape.finish(width=RECT_WIDTH, color=RED, fill=None, lineJoin=1)
        return rect
    if mark.kind == "ink":
        points = [pymupdf.Point(x * width, y * height) for x, y in geometry["points"]]
        shape.draw_polyline(points)
        shape.finish(width=INK_WIDTH, color=RED, fill=None, lineCap=1, lineJoin=1, closePath=False)
        return pymupdf.Rect(min(p.x for p in points), min(p.y for p in points),
                            max(p.x for p in points), max(p.y for p in points))
    centre = pymupdf.Point(geometry["x"] * width, geometry["y"] * height)
    if mark.kind == "text":
        return pymupdf.Rect(centre, centre)
    s = MARK_SIZE

    def at(dx: float, dy: float) -> pymupdf.Point:
        return pymupdf.Point(centre.x + dx * s, centre.y + dy * s)

    if mark.kind == "tick":
        shape.draw_polyline([at(-0.45, 0), at(-0.12, 0.35), at(0.45, -0.4)])
        shape.finish(width=MARK_WIDTH, color=GREEN, fill=None, lineCap=1, lineJoin=1, closePath=False)
    else:
        shape.draw_line(at(-0.35, -0.35), at(0.35, 0.35))
        shape.draw_line(at(-0.35, 0.35), at(0.35, -0.35))
        shape.finish(width=MARK_WIDTH, color=RED, fill=None, lineCap=1, closePath=False)
    return pymupdf.Rect(centre.x - 0.45 * s, centre.y - 0.4 * s, centre.x + 0.45 * s, centre.y + 0.4 * s)


def _layout_comment(page: pymupdf.Rect, text: str, anchor: pymupdf.Point) -> _Comment:
    """A comment's box: as wide as its longest line up to COMMENT_MAX_WIDTH, starting at ``anchor``, moved
    left or up to stay on the page. A comment too high for the page (~2000 characters or hundreds of
    lines) is widened up to its longest line, then its font shrunk, until it fits."""
    import pymupdf

    area = _inset(page, EDGE, EDGE)
    size, widest = COMMENT_FONT_SIZE, area.width - 2 * COMMENT_PADDING
    longest = max(_text_width("helv", line, size) for line in text.split("\n"))
    inner = min(longest + 2, COMMENT_MAX_WIDTH, widest)
    while True:
        body = f'<p style="font-size: {size:.2f}pt">{_html_text(text)}</p>'
        height = _html_height(body, _COMMENT_CSS, inner) + 1
        if height + 2 * COMMENT_PADDING <= area.height or size < 1:
            break
        if inner < min(longest + 2, widest):  # long lines: fewer of them in a wider box
            inner = min(longest + 2, widest)
        else:
            size *= max(0.5, min(0.95, area.height / (height + 2 * COMMENT_PADDING)))
    width, height = inner + 2 * COMMENT_PADDING, min(height + 2 * COMMENT_PADDING, area.height)
    x0 = max(area.x0, min(anchor.x, area.x1 - width))
    y0 = max(area.y0, min(anchor.y, area.y1 - height))
    box = pymupdf.Rect(x0, y0, x0 + width, y0 + height)
    return _Comment(box, _inset(box, COMMENT_PADDING, COMMENT_PADDING), body)


def _draw_comments(doc: pymupdf.Document, comments: list[list[_Comment]]) -> None:
    """The comments' text of every scanned page, laid out by MuPDF's HTML engine in one overlay PDF (a page
    per scanned page) stamped on its page: the fonts are embedded once a copy, not once a comment."""
    import pymupdf

    if not any(comments):
        return
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    for number, page_comments in enumerate(comments):
        device = writer.begin_page(doc[number].rect)
        for comment in page_comments:
            story = pymupdf.Story(comment.body, user_css=_COMMENT_CSS)
            # placed where it was measured; the rect runs to the page bottom so no line can be cut
            inner = comment.inner
            story.place(pymupdf.Rect(inner.x0, inner.y0, inner.x1, doc[number].rect.y1))
            story.draw(device)
        writer.end_page()
    writer.close()
    with pymupdf.open("pdf", buffer.getvalue()) as overlay:
        for number, page_comments in enumerate(comments):
            if page_comments:
                doc[number].show_pdf_page(doc[number].rect, overlay, number)


# --------------------------------------------------------------------------------------- summary pages


def _summary_pages(doc: pymupdf.Document, summary: Summary) -> None:
    """The summary on A4 pages: one page, shrunk to at most 70 % if needed, or as many as it takes."""
    import pymupdf

    page_rect = pymupdf.Rect(0, 0, *A4)
    content = pymupdf.Rect(SUMMARY_MARGIN, 0.8 * SUMMARY_MARGIN, page_rect.x1 - SUMMARY_MARGIN,
                           page_rect.y1 - SUMMARY_MARGIN)
    anonymous_id = _html_text(summary.anonymous_id)
    exam = " — ".join(_html_text(part) for part in (summary.exam_name, summary.subject) if part.strip())
    head = (f"<h1>Korrigo — copie {anonymous_id}</h1>" + (f'<p class="exam">{exam}</p>' if exam else "")
            + f'<p class="total">Total : {_points(summary.total)} / {_points(summary.max_points)}</p>')
    follow = f'<p class="cont">Korrigo — copie {anonymous_id} — récapitulatif (suite)</p>'
    rows = [f'<tr><td><b>{_html_text(line.label)}</b>'
            + (f'<div class="remark">{_html_text(line.remark)}</div>' if line.remark.strip() else "")
            + f'</td><td class="score">{_points(line.score)} / {_points(line.max_points)}</td></tr>'
            for line in summary.questions]
    tail = (f"<h2>Appréciation</h2><p>{_html_text(summary.appreciation)}</p>"
            if summary.appreciation.strip() else "")

    padding = content.width - SCORE_COLUMN - _text_width("hebo", "Question", 9.5)

    def table(chunk: list[str]) -> str:
        header = (f'<tr><th style="padding-right: {padding:.1f}pt">Question</th>'
                  '<th class="score">Note</th></tr>')
        return f'<table>{header}{"".join(chunk)}</table>' if chunk else ""

    whole = head + table(rows) + tail
    if _fits(whole, content / MIN_SUMMARY_SCALE):
        chunks = [whole]  # insert_htmlbox shrinks it to fit (to 70 % at most)
    else:
        chunks = _paginate(head, follow, rows, tail, content, table)
    font = _font("helv")
    for number, chunk in enumerate(chunks, start=1):
        page = doc.new_page(width=page_rect.width, height=page_rect.height)
        page.insert_htmlbox(content, chunk, css=_SUMMARY_CSS, scale_low=0)  # scale 1 unless shrunk above
        text = f"Korrigo — copie {_clean(summary.anonymous_id)} — récapitulatif, page {number}/{len(chunks)}"
        width = _text_width("helv", text, FOOTER_FONT_SIZE)
        writer = pymupdf.TextWriter(page.rect)
        writer.append(((page_rect.width - width) / 2, page_rect.height - SUMMARY_MARGIN / 2), text, font=font,
                      fontsize=FOOTER_FONT_SIZE)
        writer.write_text(page, color=(0.4, 0.4, 0.4))


def _paginate(head: str, follow: str, rows: list[str], tail: str, content: pymupdf.Rect,
              table: Callable[[list[str]], str]) -> list[str]:
    """HTML for each summary page at full size: the most table rows that fit on each, the appreciation
    after the last one (on a page of its own if it does not fit). A row too high for a page alone gets
    a page of its own and is shrunk there."""
    pages, start, top = [], 0, head
    while True:
        if _fits(top + table(rows[start:]) + tail, content):
            pages.append(top + table(rows[start:]) + tail)
            return pages
        low, high = start, len(rows)  # rows[start:low] fit (trivially when low == start); find the most
        while low < high:
            middle = (low + high + 1) // 2
            if _fits(top + table(rows[start:middle]), content):
                low = middle
            else:
                high = middle - 1
        end = max(low, start + 1) if start < len(rows) else start
        if end > start:
            pages.append(top + table(rows[start:end]))
        else:  # no row left: the appreciation alone does not fit a page; it is shrunk
            pages.append(top + tail)
            return pages
        start, top = end, follow
        if start == len(rows) and not tail:
            return pages


def _inset(rect: pymupdf.Rect, dx: float, dy: float) -> pymupdf.Rect:
    import pymupdf

    return pymupdf.Rect(rect.x0 + dx, rect.y0 + dy, rect.x1 - dx, rect.y1 - dy)


def _fits(body: str, rect: pymupdf.Rect) -> bool:
    """Whether ``body`` fits ``rect``'s size at full scale, laid out exactly as insert_htmlbox does."""
    import pymupdf

    story = pymupdf.Story(body, user_css=_HTML_FIX + _SUMMARY_CSS)
    more, _ = story.place(pymupdf.Rect(0, 0, rect.width, rect.height))
    return not more


def _html_height(body: str, css: str, width: float) -> float:
    import pymupdf

    story = pymupdf.Story(body, user_css=_HTML_FIX + css)
    _, filled = story.place(pymupdf.Rect(0, 0, width, 100_000))
    return filled[3]


# ------------------------------------------------------------------------------------------------ text


def _spell_out_ligatures(doc: pymupdf.Document) -> None:
    """Make every ligature glyph's text its letters ("fi", not U+FB01) in the fonts' ToUnicode CMaps.

    A glyph mapping to several characters is what the PDF format provides for ligatures (bfchar with a
    multi-character destination). Runs after ``subset_fonts``, which rewrites the CMaps.
    """
    seen = set()
    for xref in range(1, doc.xref_length()):
        kind, value = doc.xref_get_key(xref, "ToUnicode")
        if kind != "xref":
            continue
        cmap = int(value.split()[0])
        if cmap in seen:
            continue
        seen.add(cmap)
        text = doc.xref_stream(cmap).decode("latin-1")
        fixed = _cmap_without_ligatures(text)
        if fixed != text:
            doc.update_stream(cmap, fixed.encode("latin-1"))


@functools.lru_cache(maxsize=64)  # the same few CMaps come back in every copy
def _cmap_without_ligatures(text: str) -> str:
    """A ToUnicode CMap with ligature destinations spelt out; ranges holding one are split into chars."""
    if not re.search(r"<f[0-9a-f]{3}>", text, re.I):  # a range cannot cross a 256-code block: any
        return text  # destination at or near U+FB00 starts with <f
    extra: list[str] = []

    def letters(code: int) -> str:
        return "".join(f"{ord(char):04x}" for char in _LIGATURES[code])

    def split_ranges(block: re.Match[str]) -> str:
        ranges, kept = _RANGE.findall(block[2]), []
        for low, high, first in ranges:
            start, end, base = int(low, 16), int(high, 16), int(first, 16)
            if any(base + offset in _LIGATURES for offset in range(end - start + 1)):
                width = len(low)
                for offset in range(end - start + 1):
                    target = base + offset
                    destination = letters(target) if target in _LIGATURES else f"{target:04x}"
                    extra.append(f"<{start + offset:0{width}x}> <{destination}>")
            else:
                kept.append(f"<{low}> <{high}> <{first}>")
        if len(kept) == len(ranges):
            return block[0]
        return f"{len(kept)} beginbfrange\n" + "\n".join(kept) + "\nendbfrange" if kept else ""

    text = _BFRANGE.sub(split_ranges, text)
    text = _BFCHAR_LIGATURE.sub(lambda match: match[1] + "<" + letters(int(match[2], 16)) + ">", text)
    if extra:
        chunks = [extra[i:i + 100] for i in range(0, len(extra), 100)]  # at most 100 entries a block
        blocks = "".join(f"{len(chunk)} beginbfchar\n{chr(10).join(chunk)}\nendbfchar\n" for chunk in chunks)
        text = text.replace("endcmap", blocks + "endcmap", 1)
    return text


def _text_width(font: str, text: str, size: float) -> float:
    """Width of one line in a built-in font, 1 em for a character it lacks (drawn from a fallback font).

    As ``Font.text_length`` (no kerning), which costs ~40 µs a character against ~0.2 µs here.
    """
    return size * sum(_advance(font, char) for char in text)


@functools.lru_cache(maxsize=4096)
def _advance(font: str, char: str) -> float:
    built_in = _font(font)
    return built_in.glyph_advance(ord(char)) if built_in.has_glyph(ord(char)) else 1.0


@functools.cache
def _font(name: str) -> pymupdf.Font:
    """A built-in font with its Unicode map ("helv" is Nimbus Sans: Latin, accents, ligatures, dashes)."""
    import pymupdf

    return pymupdf.Font(name)


def _clean(text: str) -> str:
    """Text without control characters (newlines kept), as MuPDF would draw boxes for them."""
    return _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def _html_text(text: str) -> str:
    """Escaped HTML of user text: newlines kept, break opportunities inside very long words."""
    text = _WORD.sub(lambda word: "\u200b".join(word[0][i:i + LONG_WORD]
                                                for i in range(0, len(word[0]), LONG_WORD)), _clean(text))
    return html.escape(text.strip()).replace("\n", "<br>")


def _points(value: float) -> str:
    """A score in French: at most two decimals, half up, comma ("15,5", "20", "0,25")."""
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0").rstrip(".")  # always has 2 decimals: "20.00" -> "20"
    return "0" if text == "-0" else text.replace(".", ",")
