"""Page images of a planned scan: a JPEG per page, the header crop and the masked first page.

Runs in the sandboxed child (see ``functions.pdf.worker``). Choices, from measurements on this platform:

* JPEG, never PNG (PNG of a noisy scan costs 200-400 ms a page). Pillow's libjpeg-turbo encodes a 150 DPI
  page in ~4 ms against ~50 ms for MuPDF's encoder, and decodes one in ~5 ms against ~30 ms.
* Colour follows the source. A page whose images are all single-channel (what school scanners produce)
  becomes a grey JPEG: 2-3x smaller, faster, and nothing is lost. A page with a colour image, or with no
  image at all (a digitally made PDF), stays in colour, so a student's coloured pen or a coloured figure
  reaches the teacher as written.
* A "scanner page" is one upright JPEG covering the whole page with nothing else visible (invisible OCR
  text allowed). Such a page is either passed through (its exact bytes are the page image: ~1 ms, no
  second lossy compression) when it is already at the render size, browser-safe and not the first page
  of a copy, or decoded with Pillow (draft-mode DCT scaling, crop for an A3 half, resize to the exact
  size). Every other page is rasterised by MuPDF through a clip, so only the visible pixels of an A3 half
  are ever produced. The first page of a copy is never passed through: its page, header and masked
  images all come from the same pixels, so the masked variant differs only in the identity zone.
* ``pymupdf.TOOLS.store_shrink(100)`` after every page keeps memory flat (600 pages: 145 MB, not 400 MB).
"""

from __future__ import annotations

import io
import math
import struct
from pathlib import Path
from typing import NamedTuple

import pymupdf
from PIL import Image

from functions.pdf.codes import read_code, upright
from functions.pdf.errors import ScanRejected, short_error
from functions.pdf.layout import PagePart, ScanPlan
from functions.pdf.results import CodedPage, CopyImages, LoosePage, PageImage, ScanResult
from functions.pdf.validate import MUPDF_ERRORS

try:  # the orientation check of pages without a code (issue 14, point 3)
    from functions.pdf.orientation import upright_turn
except ImportError:  # pragma: no cover - until it lands
    def upright_turn(image: Image.Image) -> int:
        """No orientation check available: leave the page as it is."""
        return 0

HEADER_FRACTION = 0.25
JPEG_BLOCK = 16  # a colour JPEG's largest MCU: masking whole block rows keeps identity pixels out of them
MASK_GREY = 200  # visibly "hidden", not mistakable for blank paper
PAGE_QUALITY = 80
HEADER_QUALITY = 90  # the header crop feeds OCR: sharper text for a few more KB
PASSTHROUGH_TOLERANCE = 0.01  # a scanner JPEG within 1 % of the render size counts as "at the DPI"
MAX_DECODE_FACTOR = 4  # decode scanner JPEGs of up to 4x the render size (600 DPI); MuPDF does the rest
PLACEMENT_TOLERANCE = 0.75  # points: a scanner image must sit on the page edges within a pixel or so

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


def render_plan(doc: pymupdf.Document, plan: ScanPlan, out_dir: Path, dpi: int, *,
                passthrough: bool = True, direct_decode: bool = True) -> ScanResult:
    """Write every page of every copy, then every page left over, under ``out_dir``; returns the manifest.

    ``passthrough`` and ``direct_decode`` exist for benchmarks and tests; production keeps both on.
    """
    renderer = _Renderer(doc, dpi, passthrough=passthrough, direct_decode=direct_decode)
    if plan.code_key is not None:
        return _render_coded(renderer, plan, plan.code_key, out_dir)
    copies = [_render_copy(renderer, parts, out_dir / f"copy-{number:03d}")
              for number, parts in enumerate(plan.copies)]
    loose = [LoosePage(part.source, _render_copy(renderer, (part,), out_dir / f"loose-{number:03d}"))
             for number, part in enumerate(plan.leftover)]
    return ScanResult(plan.source_pages, copies, loose)


def _render_copy(renderer: _Renderer, parts: tuple[PagePart, ...], folder: Path) -> CopyImages:
    """One copy's pages under ``folder``; its first page also as the header crop and the masked page."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    header_path = folder / "header.jpg"
    for index, part in enumerate(parts):
        path = folder / f"page-{index:02d}.jpg"
        produced = renderer.page(part, allow_passthrough=index > 0)
        if isinstance(produced, ScannerJpeg):
            path.write_bytes(produced.data)
            pages.append(PageImage(path, produced.width, produced.height, None))
            continue
        pages.append(_save_page(produced, path, header_path if index == 0 else None))
    return CopyImages(pages, header_path)


def _save_page(image: Image.Image, path: Path, header_path: Path | None) -> PageImage:
    """Write a page image; with ``header_path`` (a first page) also its header crop and masked variant."""
    image.save(path, "JPEG", quality=PAGE_QUALITY)
    if header_path is None:
        return PageImage(path, image.width, image.height, None)
    image.crop((0, 0, image.width, header_height(image.height))).save(
        header_path, "JPEG", quality=HEADER_QUALITY)
    masked = image.copy()
    masked.paste(MASK_GREY if image.mode == "L" else (MASK_GREY,) * 3,
                 (0, 0, image.width, mask_height(image.height)))
    masked_path = path.with_name(f"{path.stem}-masked.jpg")
    masked.save(masked_path, "JPEG", quality=PAGE_QUALITY)
    return PageImage(path, image.width, image.height, masked_path)


def _render_coded(renderer: _Renderer, plan: ScanPlan, key: bytes, out_dir: Path) -> ScanResult:
    """Every page read for its code and turned upright (from the code, else the orientation check) before
    its images are made, each rendered like a loose page. When no page has a code, the pages are cut into
    copies as the plan says, as a plain scan."""
    parts = [part for copy in plan.copies for part in copy] + list(plan.leftover)
    coded: list[CodedPage] = []
    for number, part in enumerate(parts):
        produced = renderer.page(part, allow_passthrough=False)
        assert isinstance(produced, Image.Image)  # a scanner JPEG is only passed through when allowed
        found = read_code(produced, key)
        turn = found.turn if found is not None else upright_turn(produced)
        image = upright(produced, turn)
        folder = out_dir / f"page-{number:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        page = _save_page(image, folder / "page-00.jpg", folder / "header.jpg")
        coded.append(CodedPage(part.source, found.code if found else None, turn,
                               CopyImages([page], folder / "header.jpg")))
    if any(page.code is not None for page in coded):
        return ScanResult(plan.source_pages, [], [], coded)
    copies, position = [], 0
    for copy in plan.copies:
        chunk = coded[position:position + len(copy)]
        position += len(copy)
        first = chunk[0].images
        rest = [PageImage(p.images.pages[0].path, p.images.pages[0].width, p.images.pages[0].height)
                for p in chunk[1:]]
        copies.append(CopyImages([first.pages[0], *rest], first.header_path))
    loose = [LoosePage(page.source, page.images) for page in coded[position:]]
    return ScanResult(plan.source_pages, copies, loose)


class _Renderer:
    """Produces each output page by the cheapest exact means; keeps one decoded A3 sheet for its halves."""

    def __init__(self, doc: pymupdf.Document, dpi: int, *, passthrough: bool, direct_decode: bool) -> None:
        self.doc = doc
        self.zoom = dpi / 72
        self.passthrough = passthrough
        self.direct_decode = direct_decode
        self._sheet: tuple[int, Image.Image] | None = None

    def page(self, part: PagePart, *, allow_passthrough: bool) -> Image.Image | ScannerJpeg:
        try:
            page = self.doc.load_page(part.source)
            scanned = scanner_jpeg(self.doc, page) if self.passthrough or self.direct_decode else None
            if (scanned and self.passthrough and allow_passthrough and part.whole and scanned.browser_safe
                    and _close(scanned.width, part.width) and _close(scanned.height, part.height)):
                return scanned
            if scanned and self.direct_decode and _decodable(scanned, page.rect, self.zoom):
                image = self._decode(scanned, page, part)
                if image is not None:
                    return image
            return self._rasterise(page, part)
        except MUPDF_ERRORS as exc:
            if "malloc" in str(exc) or "out of memory" in str(exc):
                raise MemoryError(str(exc)) from exc
            raise ScanRejected(f"Page {part.source + 1} cannot be rendered ({short_error(exc)}): the PDF is "
                               "damaged; export or scan it again.") from None
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
