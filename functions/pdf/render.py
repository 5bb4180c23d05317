"""Page images of a planned scan: a JPEG per page, the header crop and the masked first page.

Runs in the sandboxed child (see ``functions.pdf.worker``). Choices, from measurements on this platform:

* JPEG, never PNG (PNG of a noisy scan costs 200-400 ms a page). Pillow's libjpeg-turbo encodes a 150 DPI
  page in ~4 ms against ~50 ms for MuPDF's encoder, and decodes one in ~5 ms against ~30 ms.
* Colour follows the source. A page whose images are all single-channel (what school scanners produce)
  becomes a grey JPEG: 2-3x smaller, faster, and nothing is lost. A page with a colour image, or with no
  image at all (a digitally made PDF), stays in colour, so a student's coloured pen or a coloured figure
  reaches the teacher as written.
* A "scanner page" is one upright JPEG covering the whole page with nothing else visible (invisible OCR
  text allowed). It is decoded with Pillow (draft-mode DCT scaling, crop for an A3 half, resize to the
  exact size); every other page is rasterised by MuPDF through a clip, so only the visible pixels of an
  A3 half are ever produced.
* Every page is turned upright before anything uses it (issue 14): from its sheet code on an exam with
  personalised sheets, else by the orientation check (``functions.pdf.orientation.upright_turn``, on the
  decoded pixels, ~8 ms). A scanner page that needs no turn, is already at the render size, browser-safe
  and not the first page of a copy is passed through: its exact bytes are the page image (no second
  lossy compression, no encoding); only turned pages are re-encoded. The first page of a copy is never
  passed through: its page, header and masked images all come from the same pixels, so the masked
  variant differs only in the identity zone. A first page is encoded with a restart marker every MCU row,
  so its masked variant is spliced, not encoded: the mask's uniform rows, then the page's own encoded rows
  (the same pixels exactly below the zone; ~0.7 ms instead of ~4 ms; any other JPEG is encoded whole).
* An exam with sheets: the codes are searched in the page corners, on the whole page too while the scan
  has shown a code or is in its first ``WHOLE_PAGE_PAGES`` pages; a scan whose first ``NO_CODE_PAGES``
  pages carry no code has none and is cut as a plain scan (the pages read so far are rendered again).
* ``pymupdf.TOOLS.store_shrink(100)`` after every page keeps memory flat (600 pages: 145 MB, not 400 MB).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import struct
from pathlib import Path
from typing import NamedTuple

import pymupdf
from PIL import Image

from functions.pdf.codes import read_code, upright
from functions.pdf.errors import ScanRejected, short_error
from functions.pdf.layout import PagePart, ScanPlan
from functions.pdf.orientation import upright_turn
from functions.pdf.results import CodedPage, CopyImages, LoosePage, PageImage, ScanResult
from functions.pdf.validate import MUPDF_ERRORS

HEADER_FRACTION = 0.25
JPEG_BLOCK = 16  # a colour JPEG's largest MCU: masking whole block rows keeps identity pixels out of them
MASK_GREY = 200  # visibly "hidden", not mistakable for blank paper
PAGE_QUALITY = 80
HEADER_QUALITY = 90  # the header crop feeds OCR: sharper text for a few more KB
PASSTHROUGH_TOLERANCE = 0.01  # a scanner JPEG within 1 % of the render size counts as "at the DPI"
MAX_DECODE_FACTOR = 4  # decode scanner JPEGs of up to 4x the render size (600 DPI); MuPDF does the rest
PLACEMENT_TOLERANCE = 0.75  # points: a scanner image must sit on the page edges within a pixel or so
WHOLE_PAGE_PAGES = 4  # an exam with sheets: the whole page is searched for a code on the scan's first
#                       pages, then only once a code was found (corners: ~5 ms a page, whole page: ~11 ms)
NO_CODE_PAGES = 8  # an exam with sheets: no code on the scan's first 8 pages, it has none (a plain scan)

_BROWSER_SOF = {0xC0, 0xC1, 0xC2}  # baseline, extended and progressive Huffman (no arithmetic coding)
_MODES = {1: "L", 3: "RGB"}


def header_height(height: int) -> int:
    """Rows of the header crop: the top 25 % of the page."""
    return math.ceil(height * HEADER_FRACTION)


def mask_height(height: int) -> int:
    """Rows filled in the masked variant: the header zone rounded up to whole JPEG blocks."""
    return min(height, math.ceil(header_height(height) / JPEG_BLOCK) * JPEG_BLOCK)


class ScannerJpeg(NamedTuple):
    """The single full-page JPEG of a scanner page."""

    data: bytes
    width: int
    height: int
    components: int  # 1 (grey) or 3
    browser_safe: bool  # baseline/progressive Huffman and no EXIF rotation: the bytes display as in the PDF


class Rendered(NamedTuple):
    """One output page's pixels as the PDF shows them, and the scanner JPEG that may stand for them."""

    image: Image.Image
    original: ScannerJpeg | None  # set when these exact bytes may be the page image if it needs no turn


def render_plan(doc: pymupdf.Document, plan: ScanPlan, out_dir: Path, dpi: int, *,
                passthrough: bool = True, direct_decode: bool = True) -> ScanResult:
    """Write every page of every copy, then every page left over, under ``out_dir``; returns the manifest.

    ``passthrough`` and ``direct_decode`` exist for benchmarks and tests; production keeps both on.
    """
    renderer = _Renderer(doc, dpi, passthrough=passthrough, direct_decode=direct_decode)
    if plan.code_key is not None:
        coded = _render_coded(renderer, plan, plan.code_key, out_dir)
        if coded is not None:
            return coded
    copies = [_render_copy(renderer, parts, out_dir / f"copy-{number:03d}")
              for number, parts in enumerate(plan.copies)]
    loose = [LoosePage(part.source, _render_copy(renderer, (part,), out_dir / f"loose-{number:03d}"))
             for number, part in enumerate(plan.leftover)]
    return ScanResult(plan.source_pages, copies, loose)


def _render_copy(renderer: _Renderer, parts: tuple[PagePart, ...], folder: Path) -> CopyImages:
    """One copy's pages under ``folder``, each turned upright by the orientation check; its first page also
    as the header crop and the masked page."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    header_path = folder / "header.jpg"
    for index, part in enumerate(parts):
        path = folder / f"page-{index:02d}.jpg"
        produced = renderer.page(part, allow_passthrough=index > 0)
        turn = upright_turn(produced.image)
        if turn == 0 and produced.original is not None:
            path.write_bytes(produced.original.data)
            pages.append(PageImage(path, produced.original.width, produced.original.height, None))
            continue
        pages.append(_save_page(upright(produced.image, turn), path, header_path if index == 0 else None))
    return CopyImages(pages, header_path)


def _save_page(image: Image.Image, path: Path, header_path: Path | None) -> PageImage:
    """Write a page image; with ``header_path`` (a first page) also its header crop and masked variant."""
    if header_path is None:
        image.save(path, "JPEG", quality=PAGE_QUALITY)
        return PageImage(path, image.width, image.height, None)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=PAGE_QUALITY, restart_marker_rows=1)
    page = buffer.getvalue()
    path.write_bytes(page)
    image.crop((0, 0, image.width, header_height(image.height))).save(
        header_path, "JPEG", quality=HEADER_QUALITY)
    masked_path = path.with_name(f"{path.stem}-masked.jpg")
    fill = MASK_GREY if image.mode == "L" else (MASK_GREY,) * 3
    spliced = _masked_jpeg(page, Image.new(image.mode, (image.width, mask_height(image.height)), fill))
    if spliced is not None:
        masked_path.write_bytes(spliced)
    else:
        masked = image.copy()
        masked.paste(fill, (0, 0, image.width, mask_height(image.height)))
        masked.save(masked_path, "JPEG", quality=PAGE_QUALITY)
    return PageImage(path, image.width, image.height, masked_path)


def _masked_jpeg(page: bytes, mask: Image.Image) -> bytes | None:
    """The masked variant of ``page`` (saved with a restart marker every MCU row) without encoding the page
    again: the uniform ``mask`` rows encoded alone, then the page's own entropy-coded rows below them
    (restart markers reset the DC prediction, so rows are independent). None when the two JPEGs do not
    fit together (tables, MCU height, markers), and the caller encodes the masked image whole."""
    buffer = io.BytesIO()
    mask.save(buffer, "JPEG", quality=PAGE_QUALITY, restart_marker_rows=1)
    page_parts, mask_parts = _jpeg_rows(page), _jpeg_rows(buffer.getvalue())
    if page_parts is None or mask_parts is None:
        return None
    page_head, page_tables, mcu_height, page_rows = page_parts
    _, mask_tables, mask_mcu, mask_rows = mask_parts
    top = mask.height // mcu_height
    if (page_tables != mask_tables or mask_mcu != mcu_height or mask.height % mcu_height
            or len(mask_rows) != top or top >= len(page_rows)):
        return None
    rows = mask_rows + page_rows[top:]
    body = b"".join(row + (b"\xff" + bytes([0xD0 + index % 8]) if index < len(rows) - 1 else b"")
                    for index, row in enumerate(rows))
    return page_head + body + b"\xff\xd9"


def _jpeg_rows(data: bytes) -> tuple[bytes, bytes, int, list[bytes]] | None:
    """(everything up to the scan data, the table segments, MCU height, the entropy-coded MCU rows) of a
    single-scan baseline JPEG with a restart marker after every MCU row; None for any other JPEG."""
    position, tables, mcu_height = 2, b"", 0
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        segment = data[position:position + 2 + length]
        if marker in (0xDB, 0xC4):  # quantisation and Huffman tables
            tables += segment
        elif marker == 0xC0:
            components = segment[9]
            mcu_height = 8 * max(segment[11 + 3 * n] & 0x0F for n in range(components))
        elif marker == 0xDA:
            if not mcu_height or not data.endswith(b"\xff\xd9"):
                return None
            start = position + 2 + length
            rows = re.split(rb"\xff[\xd0-\xd7]", data[start:-2])
            return data[:start], tables, mcu_height, rows
        elif marker not in (0xE0, 0xDD):  # JFIF header, restart interval
            return None
        position += 2 + length
    return None


def _render_coded(renderer: _Renderer, plan: ScanPlan, key: bytes, out_dir: Path) -> ScanResult | None:
    """Every page read for its code and turned upright (from the code, else the orientation check) before
    its images are made, each rendered like a loose page; the image is decoded once for both.

    None when the scan has no code: none on its first ``NO_CODE_PAGES`` pages (the whole page is only
    searched on the first ``WHOLE_PAGE_PAGES`` ones while no code was found) or on all of them if fewer.
    The pages written so far are then removed, and the caller cuts the scan as a plain scan."""
    parts = [part for copy in plan.copies for part in copy] + list(plan.leftover)
    coded: list[CodedPage] = []
    seen_code = False
    for number, part in enumerate(parts):
        if number >= NO_CODE_PAGES and not seen_code:
            break
        produced = renderer.page(part, allow_passthrough=False).image
        found = read_code(produced, key, whole_page=seen_code or number < WHOLE_PAGE_PAGES)
        seen_code = seen_code or found is not None
        turn = found.turn if found is not None else upright_turn(produced)
        folder = out_dir / f"page-{number:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        page = _save_page(upright(produced, turn), folder / "page-00.jpg", folder / "header.jpg")
        coded.append(CodedPage(part.source, found.code if found else None, turn,
                               CopyImages([page], folder / "header.jpg")))
    if seen_code:
        return ScanResult(plan.source_pages, [], [], coded)
    for number in range(len(coded)):
        shutil.rmtree(out_dir / f"page-{number:03d}")
    return None


class _Renderer:
    """Produces each output page by the cheapest exact means; keeps one decoded A3 sheet for its halves."""

    def __init__(self, doc: pymupdf.Document, dpi: int, *, passthrough: bool, direct_decode: bool) -> None:
        self.doc = doc
        self.zoom = dpi / 72
        self.passthrough = passthrough
        self.direct_decode = direct_decode
        self._sheet: tuple[int, Image.Image] | None = None

    def page(self, part: PagePart, *, allow_passthrough: bool) -> Rendered:
        """The part's pixels; with ``allow_passthrough``, also the scanner JPEG that may stand for them."""
        try:
            page = self.doc.load_page(part.source)
            scanned = scanner_jpeg(self.doc, page) if self.passthrough or self.direct_decode else None
            original = None
            if (scanned and self.passthrough and allow_passthrough and part.whole and scanned.browser_safe
                    and _close(scanned.width, part.width) and _close(scanned.height, part.height)):
                original = scanned
            if scanned and (self.direct_decode or original) and _decodable(scanned, page.rect, self.zoom):
                image = self._decode(scanned, page, part)
                if image is not None:
                    return Rendered(image, original)
            return Rendered(self._rasterise(page, part), None)  # Pillow could not: never pass it through
        except MUPDF_ERRORS as exc:
            if "malloc" in str(exc) or "out of memory" in str(exc):
                raise MemoryError(str(exc)) from exc
            raise ScanRejected(f"Page {part.source + 1} cannot be rendered ({short_error(exc)}): the PDF is "
                               "damaged; export or scan it again.", reason="page_unrenderable",
                               params={"page": part.source + 1, "detail": short_error(exc)}) from None
        finally:
            pymupdf.TOOLS.store_shrink(100)

    def _rasterise(self, page: pymupdf.Page, part: PagePart) -> Image.Image:
        grey = is_greyscale(self.doc, page)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(self.zoom, self.zoom), clip=pymupdf.Rect(part.clip),
                              alpha=False, annots=True, colorspace=pymupdf.csGRAY if grey else pymupdf.csRGB)
        image = Image.frombytes("L" if grey else "RGB", (pix.width, pix.height), pix.samples)
        del pix
        return image

    def _decode(self, scanned: ScannerJpeg, page: pymupdf.Page, part: PagePart) -> Image.Image | None:
        """The part's pixels from the page's JPEG with Pillow; None when Pillow cannot decode it as the PDF
        declares it, and MuPDF renders the page instead."""
        rect = page.rect
        if self._sheet is not None and self._sheet[0] == part.source:
            image = self._sheet[1]
        else:
            mode = _MODES[scanned.components]
            try:
                with Image.open(io.BytesIO(scanned.data)) as source:
                    if source.format != "JPEG" or source.size != (scanned.width, scanned.height):
                        return None
                    full_size = (math.ceil(rect.width * self.zoom), math.ceil(rect.height * self.zoom))
                    source.draft(mode, full_size)  # DCT-domain downscaling, never below full_size
                    image = source.convert(mode)
            except (Image.DecompressionBombError, OSError, SyntaxError, ValueError):
                return None  # Pillow cannot decode it whole (e.g. a truncated JPEG): MuPDF renders it
            self._sheet = None if part.whole else (part.source, image)
        scale_x, scale_y = image.width / rect.width, image.height / rect.height
        x0, y0, x1, y1 = part.clip
        box = (round(x0 * scale_x), round(y0 * scale_y), min(image.width, round(x1 * scale_x)),
               min(image.height, round(y1 * scale_y)))
        if box != (0, 0, image.width, image.height):
            image = image.crop(box)
        if image.size != (part.width, part.height):
            image = image.resize((part.width, part.height), Image.Resampling.BICUBIC, reducing_gap=2.0)
        return image


def is_greyscale(doc: pymupdf.Document, page: pymupdf.Page) -> bool:
    """True when the page shows images only, all single-channel (reads resources, not the contents)."""
    images = page.get_images(full=True)
    return bool(images) and all(_components(doc, item[0]) == 1 for item in images)


def scanner_jpeg(doc: pymupdf.Document, page: pymupdf.Page) -> ScannerJpeg | None:
    """The page's JPEG when the page is exactly that image, upright and covering it; otherwise None."""
    if page.rotation or page.first_annot is not None or page.first_widget is not None:
        return None
    images = page.get_images(full=True)
    if len(images) != 1:
        return None
    xref, smask, width, height, bpc = images[0][:5]
    if smask or bpc != 8 or doc.xref_get_key(xref, "Filter") != ("name", "/DCTDecode"):
        return None
    if any(doc.xref_get_key(xref, key)[0] != "null" for key in ("Decode", "Mask", "DecodeParms", "SMask")):
        return None
    components = _components(doc, xref)
    if components not in _MODES:
        return None
    # Exactly one visible thing on the page, the image (runs the contents once: cheap for a scan page).
    if [kind for kind, _ in page.get_bboxlog() if kind != "ignore-text"] != ["fill-image"]:
        return None
    info = page.get_image_info()
    if len(info) != 1:
        return None
    a, b, c, d, _, _ = info[0]["transform"]
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        return None  # rotated or mirrored on the page
    offsets = [abs(got - want) for got, want in zip(info[0]["bbox"], page.rect, strict=True)]
    if max(offsets) > PLACEMENT_TOLERANCE:
        return None  # does not cover the page exactly (a margin, or overhanging parts the PDF clips)
    data = doc.xref_stream_raw(xref)
    header = _jpeg_header(data)
    if header is None or header[:4] != (width, height, components, 8):
        return None
    browser_safe = header[4] in _BROWSER_SOF and (not header[5] or _exif_orientation(data) == 1)
    return ScannerJpeg(data, width, height, components, browser_safe)


def _components(doc: pymupdf.Document, xref: int) -> int | None:
    """Colour channels of an image XObject from its dictionary; None when unknown or special."""
    if doc.xref_get_key(xref, "ImageMask")[1] == "true":
        return None  # a stencil painted in the current fill colour, which may be anything
    kind, value = doc.xref_get_key(xref, "ColorSpace")
    if kind == "xref":  # an indirect colour space object
        try:
            value = doc.xref_object(int(value.split()[0]), compressed=True).strip()
        except (ValueError, IndexError):
            return None
        kind = "array" if value.startswith("[") else "name"
    if kind == "name":
        return {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4}.get(value)
    if kind == "array" and value.startswith("[/ICCBased"):
        try:
            return int(doc.xref_get_key(int(value.split()[1]), "N")[1])
        except (ValueError, IndexError):
            return None
    return None


def _decodable(scanned: ScannerJpeg, rect: pymupdf.Rect, zoom: float) -> bool:
    """Not more than MAX_DECODE_FACTOR times the render size: bigger ones are left to MuPDF's limits."""
    return (scanned.width <= MAX_DECODE_FACTOR * rect.width * zoom
            and scanned.height <= MAX_DECODE_FACTOR * rect.height * zoom)


def _close(actual: int, target: int) -> bool:
    return abs(actual - target) <= max(1, target * PASSTHROUGH_TOLERANCE)


def _jpeg_header(data: bytes) -> tuple[int, int, int, int, int, bool] | None:
    """(width, height, components, bits, SOF marker, has EXIF) from the JPEG markers; None if malformed."""
    if not data.startswith(b"\xff\xd8"):
        return None
    position, exif = 2, False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        segment = data[position + 4:position + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            exif = True
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if len(segment) < 6:
                return None
            bits, height, width, components = struct.unpack(">BHHB", segment[:6])
            return width, height, components, bits, marker, exif
        if marker == 0xDA:  # start of scan before any frame header
            return None
        position += 2 + length
    return None


def _exif_orientation(data: bytes) -> int:
    """EXIF orientation (1 = upright); browsers apply it to a JPEG, PDF viewers do not."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.getexif().get(0x0112, 1))
    except (OSError, ValueError, SyntaxError):  # an unreadable EXIF block: never pass it through
        return 0
