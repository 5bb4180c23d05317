"""Scanner-like PDFs for tests and benchmarks, made with PyMuPDF and Pillow (no numpy, no system font).

``make_scan`` builds what a school photocopier produces: every page is one greyscale JPEG covering the
whole page (A4 at ``dpi``, or an A3 landscape sheet holding two A4 pages side by side), slightly skewed
(±1°), with sensor noise, dust specks, handwriting-like strokes and, on the first page of each copy, a
printed identity header in the top 25 % ("NOM : DUPONT", "Prénom : Élodie", "Classe : 3B" and the exam
title, in Helvetica, accents included). Everything is deterministic for a given seed.

The other helpers build the hostile files the ingest must reject: ``encrypted_pdf``, ``truncated_pdf``,
``not_a_pdf``, ``huge_page_pdf``, ``many_pages_pdf``, ``empty_pdf`` and ``xobject_bomb_pdf``.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import random
from collections.abc import Collection, Sequence
from statistics import NormalDist

import pymupdf
from PIL import Image

A4 = pymupdf.Rect(0, 0, 595.2756, 841.8898)  # 210 x 297 mm
A3_LANDSCAPE = pymupdf.Rect(0, 0, 2 * A4.width, A4.height)  # 420 x 297 mm
HEADER_FRACTION = 0.25

NOISE_SIGMA = 2.5  # sensor noise, in grey levels: ~250 KB a page at 150 DPI, like an office scanner
NOISE_RANGE = 16  # noise values span 0..16, so white paper comes out at about 247
JPEG_QUALITY = 80  # what office scanners typically use

_GAUSS = NormalDist(NOISE_RANGE / 2, NOISE_SIGMA)
_NOISE_TABLE = bytes(min(NOISE_RANGE, max(0, round(_GAUSS.inv_cdf((i + 0.5) / 256)))) for i in range(256))
_COMPRESS_TABLE = bytes(v * (255 - NOISE_RANGE) // 255 for v in range(256))

_QUESTIONS = (
    "Exercice {n} ({p} points)",
    "a) Résoudre l'équation 3x + 5 = 2x - 7 et vérifier le résultat.",
    "b) Développer et réduire l'expression (2x - 3)² - (x + 1)(x - 1).",
    "c) Justifier la réponse en citant la propriété utilisée.",
)


DEFAULT_TITLE = "Contrôle de mathématiques — 3e"


def make_scan(names: Sequence[tuple[str, str]], pages_per_copy: int = 4, dpi: int = 150, seed: int = 0,
              a3: bool = False, *, classe: str = "3B", title: str = DEFAULT_TITLE) -> bytes:
    """A batch scan of ``len(names)`` copies of ``pages_per_copy`` A4 pages; ``names`` are (last, first).

    With ``a3=True`` consecutive A4 pages are paired on A3 landscape sheets (left then right, in reading
    order), so the total number of A4 pages must be even. About 35 ms a page on this machine.
    """
    if pages_per_copy < 1:
        raise ValueError("pages_per_copy must be at least 1")
    rng = random.Random(seed)
    contents: list[tuple[str, str, int]] = []  # (last, first, page index in the copy)
    for last, first in names:
        contents.extend((last, first, index) for index in range(pages_per_copy))
    if a3 and len(contents) % 2:
        raise ValueError("an A3 scan needs an even number of A4 pages")
    step = 2 if a3 else 1
    sheet = A3_LANDSCAPE if a3 else A4
    out = pymupdf.open()
    out.set_metadata({"producer": "Korrigo test scanner", "creator": "tests/support/scans.py"})
    # 4 anti-aliasing levels instead of 8 halve the rasterisation time and look the same at 150 DPI.
    previous = pymupdf.TOOLS.show_aa_level()["graphics"]
    pymupdf.TOOLS.set_aa_level(4)
    try:
        for start in range(0, len(contents), step):
            ink = _Ink(sheet.height)
            for half, (last, first, index) in enumerate(contents[start:start + step]):
                _draw_a4(ink, half * A4.width, rng, last, first, index, pages_per_copy, classe, title)
            jpeg = _scan_sheet(ink, sheet, dpi, rng)
            target = out.new_page(width=sheet.width, height=sheet.height)
            target.insert_image(target.rect, stream=jpeg, keep_proportion=False)
    finally:
        pymupdf.TOOLS.set_aa_level(previous)
    data = out.tobytes(garbage=1, no_new_id=True)  # no random file ID: same seed, same bytes
    out.close()
    return data


class _Ink:
    """A raw PDF content stream in top-left page coordinates (much faster than Shape for many paths)."""

    def __init__(self, page_height: float) -> None:
        self.height = page_height
        self.ops: list[bytes] = [b"1 J 1 j"]

    def text(self, x: float, y: float, text: str, size: float, bold: bool = False,
             max_width: float = 480) -> None:
        """Printed Helvetica text on one line (WinAnsi, so French accents work), shrunk to fit."""
        width = _text_length(text, "hebo" if bold else "helv", size)
        if width > max_width:
            size *= max_width / width
        raw = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        font = b"/F2" if bold else b"/F1"
        self.ops.append(b"0 g BT %s %.2f Tf %.2f %.2f Td (%s) Tj ET" % (font, size, x, self.height - y, raw))

    def stroke(self, points: Sequence[tuple[float, float]], width: float, grey: float,
               curve: bool = False) -> None:
        """A polyline, or one cubic Bézier curve (4 points) when ``curve``."""
        h = self.height
        (x, y), rest = points[0], points[1:]
        path = [b"%.2f G %.2f w %.2f %.2f m" % (grey, width, x, h - y)]
        if curve:
            path.append(b"%.2f %.2f %.2f %.2f %.2f %.2f c" % (rest[0][0], h - rest[0][1], rest[1][0],
                                                              h - rest[1][1], rest[2][0], h - rest[2][1]))
        else:
            path.extend(b"%.2f %.2f l" % (px, h - py) for px, py in rest)
        path.append(b"S")
        self.ops.append(b" ".join(path))

    def place(self, path: bytes, x: float, y: float, slant: float, scale: float, grey: float) -> None:
        """Stroke a prepared path (baseline at y = 0) at (x, y), sheared by ``slant`` like handwriting."""
        self.ops.append(b"q %.2f G 1.1 w %.3f 0 %.3f %.3f %.2f %.2f cm %s Q"
                        % (grey, scale, slant * scale, scale, x, self.height - y, path))

    def rect(self, x0: float, y0: float, x1: float, y1: float, width: float) -> None:
        self.ops.append(b"0 G %.2f w %.2f %.2f %.2f %.2f re S"
                        % (width, x0, self.height - y1, x1 - x0, y1 - y0))

    def speck(self, x: float, y: float, radius: float, grey: float) -> None:
        """A dust or toner speck: a small filled disc (four Bézier arcs)."""
        k, r, y = 0.5523 * radius, radius, self.height - y
        self.ops.append(
            b"%.2f g %.2f %.2f m %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c "
            b"%.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c f"
            % (grey, x + r, y, x + r, y + k, x + k, y + r, x, y + r, x - k, y + r, x - r, y + k, x - r, y,
               x - r, y - k, x - k, y - r, x, y - r, x + k, y - r, x + r, y - k, x + r, y))

    def page(self, width: float) -> tuple[pymupdf.Document, pymupdf.Page]:
        """A one-page document holding this drawing."""
        doc = pymupdf.open()
        page = doc.new_page(width=width, height=self.height)
        fonts = []
        for name in (b"Helvetica", b"Helvetica-Bold"):
            xref = doc.get_new_xref()
            doc.update_object(xref, f"<< /Type /Font /Subtype /Type1 /BaseFont /{name.decode()} "
                                    "/Encoding /WinAnsiEncoding >>")
            fonts.append(xref)
        contents = doc.get_new_xref()
        doc.update_object(contents, "<< >>")
        doc.update_stream(contents, b"\n".join(self.ops), compress=0)
        doc.xref_set_key(page.xref, "Resources", f"<< /Font << /F1 {fonts[0]} 0 R /F2 {fonts[1]} 0 R >> >>")
        doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
        return doc, page


@functools.lru_cache(maxsize=4096)
def _text_length(text: str, font: str, size: float) -> float:
    return pymupdf.get_text_length(text, fontname=font, fontsize=size)


def _draw_a4(ink: _Ink, x0: float, rng: random.Random, last: str, first: str, index: int, pages: int,
             classe: str, title: str) -> None:
    """Draw one A4 page of a copy with its left edge at ``x0`` (0 on an A4 sheet, 0 or 595 on A3)."""
    top = 40.0
    if index == 0:
        ink.rect(x0 + 40, 28, x0 + A4.width - 40, A4.height * HEADER_FRACTION - 12, 1.2)
        ink.text(x0 + 58, 62, title, 16, bold=True, max_width=A4.width - 116)
        ink.text(x0 + 58, 106, f"NOM : {last}", 24, max_width=A4.width - 116)
        ink.text(x0 + 58, 142, f"Prénom : {first}", 24, max_width=A4.width - 116)
        ink.text(x0 + 58, 176, f"Classe : {classe}", 16, max_width=220)
        ink.text(x0 + 330, 176, "Date : 14/03/2026", 16, max_width=200)
        top = A4.height * HEADER_FRACTION + 20
    y = top + 18
    exercise = index + 1
    while y < A4.height - 120:
        ink.text(x0 + 56, y, _QUESTIONS[0].format(n=exercise, p=rng.choice((3, 4, 5, 6))), 13, bold=True)
        y += 20
        for line in _QUESTIONS[1:]:
            ink.text(x0 + 56, y, line, 11)
            y += 16
        y += 14
        for _ in range(rng.randint(3, 6)):  # the student's answer
            if y > A4.height - 90:
                break
            _handwriting_line(ink, rng, x0 + 60, y, x0 + rng.uniform(300, A4.width - 60))
            y += rng.uniform(24, 30)
        y += 24
        exercise += pages
    for _ in range(rng.randint(2, 4)):  # crossings-out, arrows, underlines
        x, y = x0 + rng.uniform(60, 500), rng.uniform(top, A4.height - 80)
        curve = [(x, y)] + [(x + rng.uniform(-80, 80), y + rng.uniform(-40, 40)) for _ in range(3)]
        ink.stroke(curve, 1.2, 0.1, curve=True)
    for _ in range(rng.randint(15, 40)):  # dust and toner specks
        ink.speck(x0 + rng.uniform(5, A4.width - 5), rng.uniform(5, A4.height - 5), rng.uniform(0.25, 1.1),
                  rng.uniform(0.05, 0.4))
    ink.text(x0 + A4.width / 2 - 20, A4.height - 30, f"Page {index + 1}/{pages}", 9)


def _handwriting_line(ink: _Ink, rng: random.Random, x: float, baseline: float, end: float) -> None:
    """A line of cursive-looking words, each a slanted run of looped letters drawn as Bézier curves."""
    words = _word_shapes()
    while x < end:
        word, width = words[rng.randrange(len(words))]
        scale = rng.uniform(0.85, 1.15)
        ink.place(word, x, baseline, slant=rng.uniform(0.1, 0.35), scale=scale, grey=0.08)
        x += width * scale + rng.uniform(6, 12)


@functools.cache
def _word_shapes() -> tuple[tuple[bytes, float], ...]:
    """A fixed vocabulary of 64 handwritten-looking words: path operators with the baseline at y = 0."""
    rng = random.Random(1789)
    words = []
    for _ in range(64):
        ops = [b"0 0 m"]
        x = 0.0
        for _ in range(rng.randint(2, 9)):
            height = rng.uniform(4.5, 9.0) if rng.random() < 0.8 else rng.uniform(11, 15)
            w = rng.uniform(4.5, 7.5)
            top = x + 0.5 * w
            up = (x + 0.9 * w, 0.35 * height, top + 0.3 * w, height, top, height)
            down = (top - 0.35 * w, height, x + 0.1 * w, 0.15 * height, x + w, 0)
            ops.append(b"%.2f %.2f %.2f %.2f %.2f %.2f c" % up)
            ops.append(b"%.2f %.2f %.2f %.2f %.2f %.2f c" % down)
            x += w
        words.append((b" ".join([*ops, b"S"]), x))
    return tuple(words)


def _scan_sheet(ink: _Ink, sheet: pymupdf.Rect, dpi: int, rng: random.Random) -> bytes:
    """Rasterise a drawing like a scanner: skewed, off-centre, greyscale, noisy, JPEG-compressed."""
    angle = math.radians(rng.uniform(-1.0, 1.0))
    cx, cy = sheet.width / 2, sheet.height / 2
    dx, dy = rng.uniform(-2, 2), rng.uniform(-2, 2)  # the sheet is never perfectly centred
    cos, sin = math.cos(angle), math.sin(angle)
    # Rotate about the centre of the sheet, then shift: one "cm" in front of the whole drawing.
    shift = (cx + dx - cos * cx + sin * cy, cy - dy - sin * cx - cos * cy)
    ink.ops.insert(0, b"%.6f %.6f %.6f %.6f %.3f %.3f cm" % (cos, sin, -sin, cos, *shift))
    doc, page = ink.page(sheet.width)
    zoom = dpi / 72
    width, height = round(sheet.width * zoom), round(sheet.height * zoom)
    clip = pymupdf.Rect(0, 0, width / zoom, height / zoom)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, colorspace=pymupdf.csGRAY,
                          alpha=False)
    doc.close()
    if (pix.width, pix.height) != (width, height):
        raise AssertionError(f"rendered {pix.width}x{pix.height}, expected {width}x{height}")
    buffer = io.BytesIO()
    Image.frombytes("L", (width, height), _noisy(pix.samples, rng)).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _noisy(samples: bytes, rng: random.Random) -> bytes:
    """Gaussian sensor noise on grey pixels, deterministic and without numpy.

    Pixel values are first compressed into 0..231, then a noise byte in 0..24 is added to each one: as no
    byte can overflow, adding the two buffers as big integers adds them byte by byte, in C. The noise is a
    window at a random offset into one shared pool (drawing fresh random bytes for every page is slow).
    """
    size = len(samples)
    pool = _noise_pool(size)
    offset = rng.randrange(len(pool) - size)
    base = int.from_bytes(samples.translate(_COMPRESS_TABLE), "big")
    noise = int.from_bytes(pool[offset:offset + size], "big")
    return (base + noise).to_bytes(size, "big")


@functools.cache
def _noise_pool(size: int) -> bytes:
    return random.Random(size).randbytes(size + (1 << 20)).translate(_NOISE_TABLE)


# ---------------------------------------------------------------------------------------------------------
# Hostile and edge-case files
# ---------------------------------------------------------------------------------------------------------

ENCRYPTED_PASSWORD = "secret"


def encrypted_pdf() -> bytes:
    """A one-page PDF that needs a password (``ENCRYPTED_PASSWORD``) to open (AES-256)."""
    doc = pymupdf.open()
    doc.new_page(width=A4.width, height=A4.height).insert_text((72, 72), "Confidentiel", fontsize=20)
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=ENCRYPTED_PASSWORD,
                       owner_pw=ENCRYPTED_PASSWORD + "!")
    doc.close()
    return data


def truncated_pdf(fraction: float = 0.6) -> bytes:
    """A real two-page scan cut short, as an interrupted upload or copy leaves it."""
    data = make_scan([("DUPONT", "Élodie")], pages_per_copy=2, seed=1)
    return data[: int(len(data) * fraction)]


def not_a_pdf() -> bytes:
    """A JPEG photo of a page, which an admin may upload by mistake."""
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 280), False)
    pix.clear_with(230)
    return pix.tobytes("jpg", jpg_quality=80)


def huge_page_pdf(side_points: float = 14400) -> bytes:
    """A tiny file declaring a 200 x 200 inch page: 900 million pixels at 150 DPI."""
    doc = pymupdf.open()
    doc.new_page(width=side_points, height=side_points).insert_text((72, 72), "Bombe", fontsize=20)
    data = doc.tobytes()
    doc.close()
    return data


def many_pages_pdf(n: int) -> bytes:
    """``n`` A4 pages with a page number each (vector only, fast to build)."""
    doc = pymupdf.open()
    for number in range(n):
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_text((72, 72), f"Page {number + 1}", fontsize=12)
    data = doc.tobytes(garbage=1, deflate=True)
    doc.close()
    return data


def empty_pdf() -> bytes:
    """A syntactically valid PDF whose page tree has no page (PyMuPDF refuses to save one, so hand-made)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def xobject_bomb_pdf(depth: int = 8, fanout: int = 10) -> bytes:
    """A few-KB page that draws ``fanout ** depth`` rectangles through nested form XObjects.

    Opening it and reading its page size is instant; rendering it takes minutes.
    """
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    leaf = doc.get_new_xref()
    doc.update_object(leaf, "<< /Type /XObject /Subtype /Form /BBox [0 0 20 20] >>")
    doc.update_stream(leaf, b"0 0 20 20 re f")
    child = leaf
    for _ in range(depth):
        xref = doc.get_new_xref()
        doc.update_object(xref, "<< /Type /XObject /Subtype /Form /BBox [0 0 20 20] "
                                f"/Resources << /XObject << /X {child} 0 R >> >> >>")
        doc.update_stream(xref, b"q 1 0 0 1 0.1 0.1 cm /X Do Q " * fanout)
        child = xref
    contents = doc.get_new_xref()
    doc.update_object(contents, "<< >>")
    doc.update_stream(contents, b"q 20 0 0 20 50 50 cm /X Do Q")
    doc.xref_set_key(page.xref, "Resources", f"<< /XObject << /X {child} 0 R >> >>")
    doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
    data = doc.tobytes()
    doc.close()
    return data


# ---------------------------------------------------------------------------------------------------------
# Personalised answer sheets, as a copier scans them (issue 14)
# ---------------------------------------------------------------------------------------------------------

QR_MARGIN_MM = 12  # the code's distance from the top and right edges of the printed page


@dataclasses.dataclass(frozen=True)
class SheetPage:
    """One printed page of a coded scan and what happened to it at the copier.

    ``code``: the QR text printed at its top right (None: a plain page). ``turn``: how the page went
    through the scanner, in degrees clockwise (180: upside down, 90/270: sideways). ``smudged``: a blot
    of ink over the code. ``name``: printed in the name box of the header.
    """

    code: str | None
    label: str = ""
    name: str = ""
    turn: int = 0
    smudged: bool = False
    skew: float = 0.0  # degrees, the sheet's slight slant on the glass


def sheet_page_image(page: SheetPage, dpi: int = 150, seed: int = 0, *, extra_code: Image.Image | None = None
                     ) -> Image.Image:
    """The grey image a copier makes of one printed page (noise, skew, turn, smudge), at ``dpi``."""
    import segno
    from PIL import ImageDraw, ImageFont

    rng = random.Random(seed)
    width, height = round(A4.width * dpi / 72), round(A4.height * dpi / 72)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    mm = dpi / 25.4
    draw.rectangle((round(15 * mm), round(15 * mm), round(120 * mm), round(45 * mm)), outline=0, width=2)
    draw.text((round(18 * mm), round(18 * mm)), f"NOM : {page.name}", fill=0)
    # the booklet's printed line, 10 pt like the real sheets' (ingest reads it when the code is smudged)
    ten_points = ImageFont.load_default(round(10 / 72 * dpi))
    draw.text((round(18 * mm), round(50 * mm)), page.label, fill=0, font=ten_points)
    for line in range(8):  # answers, roughly
        y = round((90 + 22 * line) * mm)
        x = round(20 * mm)
        while x < width - 30 * mm:
            step = rng.randint(20, 80)
            draw.line((x, y + rng.randint(-4, 4), x + step, y + rng.randint(-4, 4)), fill=60, width=2)
            x += step + rng.randint(10, 30)
    if page.code is not None:
        symbol = segno.make(page.code, error="m")
        buffer = io.BytesIO()
        symbol.save(buffer, kind="png", scale=max(2, round(0.7 * mm)), border=0)
        code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        left, top = width - round(QR_MARGIN_MM * mm) - code.width, round(QR_MARGIN_MM * mm)
        image.paste(code, (left, top))
        if page.smudged:
            draw.ellipse((left + code.width // 5, top + code.height // 5, left + 4 * code.width // 5,
                          top + 4 * code.height // 5), fill=20)
    if extra_code is not None:
        image.paste(extra_code, (round(20 * mm), height - round(20 * mm) - extra_code.height))
    if page.skew:
        image = image.rotate(-page.skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    noisy = Image.frombytes("L", image.size, _noisy(image.tobytes(), rng))
    turns = {0: None, 90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}
    transpose = turns[page.turn]
    return noisy.transpose(transpose) if transpose is not None else noisy


def make_coded_scan(pages: Sequence[SheetPage], dpi: int = 150, seed: int = 0) -> bytes:
    """A scanner PDF of these pages in this order: one grey JPEG (quality 80) per page, sideways pages
    landscape. Deterministic for a given seed."""
    out = pymupdf.open()
    for number, page in enumerate(pages):
        image = sheet_page_image(page, dpi, seed * 1000 + number)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
        width, height = (A4.height, A4.width) if page.turn in (90, 270) else (A4.width, A4.height)
        target = out.new_page(width=width, height=height)
        target.insert_image(target.rect, stream=buffer.getvalue(), keep_proportion=False)
    data = out.tobytes(garbage=1, no_new_id=True)
    out.close()
    return data


def copier_scan(printed: bytes, order: Sequence[int] | None = None, upside_down: Collection[int] = (),
                dpi: int = 150, seed: int = 0, *, smudged: Collection[int] = ()) -> bytes:
    """A copier's scan of a printed PDF: each page rendered grey at ``dpi``, slightly skewed (±0.8°) and
    noisy, as a JPEG page (quality 80). ``order``: the printed pages' indices in scan order (default: as
    printed); ``upside_down``: indices of printed pages fed upside down; ``smudged``: indices of printed
    answer-sheet pages with a blot of ink over their QR code. Deterministic for a given seed."""
    from functions.pdf.sheets import qr_rect

    rng = random.Random(seed)
    source = pymupdf.open(stream=printed, filetype="pdf")
    out = pymupdf.open()
    for index in order if order is not None else range(source.page_count):
        page = source[index]
        if index in smudged:
            qr = qr_rect()
            blot = pymupdf.Rect(qr.x0 + qr.width / 5, qr.y0 + qr.height / 5, qr.x1 - qr.width / 5,
                                qr.y1 - qr.height / 5)
            page.draw_oval(blot, color=(0.1, 0.1, 0.1), fill=(0.1, 0.1, 0.1))
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
        image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
        image = image.rotate(rng.uniform(-0.8, 0.8), resample=Image.Resampling.BICUBIC, fillcolor=255)
        image = Image.frombytes("L", image.size, _noisy(image.tobytes(), rng))
        if index in upside_down:
            image = image.transpose(Image.Transpose.ROTATE_180)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
        target = out.new_page(width=page.rect.width, height=page.rect.height)
        target.insert_image(target.rect, stream=buffer.getvalue(), keep_proportion=False)
    source.close()
    data = out.tobytes(garbage=1, no_new_id=True)
    out.close()
    return data
