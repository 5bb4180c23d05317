"""process_scan on good scans: copies, page images, header crops, masked first pages."""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageChops, ImageStat

from functions.pdf import CopyImages, Layout, PageImage, ScanResult, process_scan
from functions.pdf.render import mask_height
from tests.support import scans

NAMES = [("DUPONT", "Élodie"), ("N'GUYEN", "Noé"), ("LEFÈVRE-MARTIN", "Anaïs")]
A4_PIXELS = (1240, 1754)


def near(size: tuple[int, int], expected: tuple[int, int]) -> bool:
    return abs(size[0] - expected[0]) <= 1 and abs(size[1] - expected[1]) <= 1


def write(tmp_path: Path, data: bytes, name: str = "scan.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def dark_runs(image: Image.Image, y: int) -> int:
    """How many dark stretches a horizontal line at row ``y`` crosses (the bar markers below)."""
    row = image.convert("L").crop((0, y, image.width, y + 1)).tobytes()
    runs, dark = 0, False
    for value in row:
        if value < 100 and not dark:
            runs += 1
        dark = value < 100
    return runs


def marker_pdf(numbers: list[int], *, a3: bool, scanner: bool, rotated: bool = False) -> bytes:
    """Pages marked with ``n`` black bars for page number ``n``; two numbers per sheet when ``a3``.

    ``scanner``: each sheet becomes one grey JPEG like a scanner's; ``rotated``: A3 sheets are stored
    portrait with /Rotate 90, so they display landscape.
    """
    per_sheet = 2 if a3 else 1
    out = pymupdf.open()
    for start in range(0, len(numbers), per_sheet):
        vector = pymupdf.open()
        width = scans.A4.width * per_sheet
        if rotated:
            page = vector.new_page(width=scans.A4.height, height=width)
            page.set_rotation(90)
        else:
            page = vector.new_page(width=width, height=scans.A4.height)
        for half, number in enumerate(numbers[start:start + per_sheet]):
            for bar in range(number):
                x = half * scans.A4.width + 100 + bar * 60
                shown = pymupdf.Rect(x, 300, x + 25, 500)
                page.draw_rect(shown * page.derotation_matrix, color=None, fill=(0, 0, 0))
        if scanner:
            pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
            buffer = io.BytesIO()
            Image.frombytes("L", (pix.width, pix.height), pix.samples).save(buffer, "JPEG", quality=85)
            sheet = out.new_page(width=page.rect.width, height=page.rect.height)
            sheet.insert_image(sheet.rect, stream=buffer.getvalue(), keep_proportion=False)
        else:
            out.insert_pdf(vector)
    return out.tobytes()


BAR_ROW = round(400 * 150 / 72)  # the middle of the bars, in pixels at 150 DPI


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, ScanResult, Path]:
    """Three copies of four pages, scanned and processed once for the module."""
    folder = tmp_path_factory.mktemp("batch")
    data = scans.make_scan(NAMES, pages_per_copy=4, seed=3)
    out = folder / "out"
    return data, process_scan(write(folder, data), out, Layout("BATCH", 4)), out


def test_batch_scan_gives_one_copy_per_student_with_its_pages_as_150_dpi_jpegs(batch) -> None:
    _, result, out = batch

    assert result.source_pages == 12
    assert len(result.copies) == 3
    for copy in result.copies:
        assert isinstance(copy, CopyImages)
        assert len(copy.pages) == 4
        for page in copy.pages:
            assert isinstance(page, PageImage)
            assert page.path.is_relative_to(out)
            with Image.open(page.path) as image:
                assert image.format == "JPEG"
                assert image.size == (page.width, page.height)
                assert near(image.size, A4_PIXELS)


def test_only_the_first_page_of_a_copy_has_a_masked_variant(batch) -> None:
    _, result, _ = batch

    for copy in result.copies:
        assert copy.pages[0].masked_path is not None and copy.pages[0].masked_path.is_file()
        assert [page.masked_path for page in copy.pages[1:]] == [None, None, None]


def test_pages_land_in_their_copy_in_scan_order(batch) -> None:
    data, result, _ = batch
    doc = pymupdf.open(stream=data)
    for number in (1, 2, 3, 5, 11):  # not first pages: passed through, so comparable byte for byte
        copy, index = divmod(number, 4)
        embedded = doc.xref_stream_raw(doc[number].get_images()[0][0])
        assert result.copies[copy].pages[index].path.read_bytes() == embedded


def test_header_crop_is_the_top_quarter_of_the_first_page(batch) -> None:
    _, result, _ = batch
    copy = result.copies[0]

    with Image.open(copy.header_path) as header, Image.open(copy.pages[0].path) as page:
        assert header.width == page.width
        assert header.height == -(-page.height // 4)  # ceil(25 %)
        top = page.crop((0, 0, page.width, header.height))
        assert ImageStat.Stat(ImageChops.difference(header, top)).mean[0] < 3  # same pixels, own JPEG
        assert header.getextrema()[0] < 60  # the printed name is in it


def test_masked_first_page_differs_only_in_a_uniform_identity_zone(batch) -> None:
    _, result, _ = batch
    first = result.copies[1].pages[0]

    with Image.open(first.path) as page, Image.open(first.masked_path) as masked:
        assert masked.size == page.size
        left, top, _right, bottom = ImageChops.difference(page, masked).getbbox()
        assert (left, top) == (0, 0)
        assert 0.25 * page.height <= bottom <= 0.26 * page.height  # 25 % rounded up to a 16-pixel block
        low, high = masked.crop((0, 0, page.width, bottom)).getextrema()
        assert high - low <= 2  # uniform: nothing of the name survives
        original_low, original_high = page.crop((0, 0, page.width, bottom)).getextrema()
        assert original_high - original_low > 100  # while the original zone held the printed name


def test_individual_upload_is_one_copy_with_all_its_pages(tmp_path: Path) -> None:
    data = scans.make_scan(NAMES[:1], pages_per_copy=6, seed=5)

    result = process_scan(write(tmp_path, data), tmp_path / "out", Layout("INDIVIDUAL"))

    assert len(result.copies) == 1
    assert len(result.copies[0].pages) == 6
    assert result.copies[0].pages[0].masked_path is not None
    assert result.copies[0].header_path.is_file()


@pytest.mark.parametrize("scanner", [True, False], ids=["scanner-jpeg", "vector"])
def test_a3_sheets_are_cut_into_a4_pages_left_then_right(tmp_path: Path, scanner: bool) -> None:
    data = marker_pdf([1, 2, 3, 4], a3=True, scanner=scanner)

    result = process_scan(write(tmp_path, data), tmp_path / "out", Layout("BATCH", 2, split_a3=True))

    assert result.source_pages == 2
    pages = [page for copy in result.copies for page in copy.pages]
    assert len(result.copies) == 2 and len(pages) == 4
    counts = []
    for page in pages:
        with Image.open(page.path) as image:
            assert near(image.size, A4_PIXELS)
            counts.append(dark_runs(image, BAR_ROW))
    assert counts == [1, 2, 3, 4]


def test_a3_sheet_stored_portrait_with_rotate_is_cut_as_displayed(tmp_path: Path) -> None:
    data = marker_pdf([1, 2], a3=True, scanner=False, rotated=True)

    result = process_scan(write(tmp_path, data), tmp_path / "out", Layout("INDIVIDUAL", split_a3=True))

    counts = []
    for page in result.copies[0].pages:
        with Image.open(page.path) as image:
            assert near(image.size, A4_PIXELS)
            counts.append(dark_runs(image, BAR_ROW))
    assert counts == [1, 2]


def test_upside_down_scanner_image_is_rendered_not_passed_through(tmp_path: Path) -> None:
    upright = pymupdf.open(stream=marker_pdf([1, 3], a3=False, scanner=True))
    # Re-place page 2's image rotated by 180 degrees: its bars must come out at the bottom, mirrored.
    raw = upright.xref_stream_raw(upright[1].get_images()[0][0])
    doc = pymupdf.open()
    doc.insert_pdf(upright, to_page=0)
    page = doc.new_page(width=scans.A4.width, height=scans.A4.height)
    page.insert_image(page.rect, stream=raw, keep_proportion=False, rotate=180)

    result = process_scan(write(tmp_path, doc.tobytes()), tmp_path / "out", Layout("INDIVIDUAL"))

    second = result.copies[0].pages[1]
    assert second.path.read_bytes() != raw
    with Image.open(second.path) as image:
        near_top = round(310 * 150 / 72)  # inside the bars (300-500 pt) upright, outside them upside down
        assert dark_runs(image, near_top) == 0
        assert dark_runs(image, image.height - 1 - near_top) == 3


def test_grey_scans_stay_grey_and_colour_pages_stay_colour(tmp_path: Path) -> None:
    doc = pymupdf.open(stream=scans.make_scan(NAMES[:1], pages_per_copy=1, seed=2))
    colour = doc.new_page(width=scans.A4.width, height=scans.A4.height)
    colour.draw_circle((300, 400), 80, color=None, fill=(0.1, 0.3, 0.9))  # a student's blue figure

    result = process_scan(write(tmp_path, doc.tobytes()), tmp_path / "out", Layout("INDIVIDUAL"))

    first, second = result.copies[0].pages
    with Image.open(first.path) as grey, Image.open(second.path) as blue:
        assert grey.mode == "L"
        assert blue.mode == "RGB"
        red, _green, b = blue.getpixel((round(300 * 150 / 72), round(400 * 150 / 72)))
        assert b > 180 and red < 80


def test_scan_at_300_dpi_is_delivered_at_150_dpi(tmp_path: Path) -> None:
    data = scans.make_scan(NAMES[:1], pages_per_copy=2, dpi=300, seed=4)

    result = process_scan(write(tmp_path, data), tmp_path / "out", Layout("BATCH", 2))

    for page in result.copies[0].pages:
        with Image.open(page.path) as image:
            assert near(image.size, A4_PIXELS)


def test_every_file_is_written_under_the_output_directory(tmp_path: Path) -> None:
    source = write(tmp_path, scans.make_scan(NAMES[:2], pages_per_copy=2, seed=6))
    out = tmp_path / "nested" / "out"

    result = process_scan(source, out, Layout("BATCH", 2))

    written = {path for path in out.rglob("*") if path.is_file()}
    listed = {page.path for copy in result.copies for page in copy.pages}
    listed |= {page.masked_path for copy in result.copies for page in copy.pages if page.masked_path}
    listed |= {copy.header_path for copy in result.copies}
    assert written == listed
    assert sorted(path.name for path in tmp_path.iterdir()) == ["nested", "scan.pdf"]


def test_scanner_jpeg_with_an_exif_rotation_is_not_passed_through(tmp_path: Path) -> None:
    doc = pymupdf.open(stream=marker_pdf([1, 2], a3=False, scanner=True))
    with Image.open(io.BytesIO(doc.xref_stream_raw(doc[1].get_images()[0][0]))) as upright:
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display": browsers obey it, PDF viewers ignore it
        buffer = io.BytesIO()
        upright.save(buffer, "JPEG", quality=85, exif=exif)
    tagged = buffer.getvalue()
    doc.delete_page(1)
    page = doc.new_page(width=scans.A4.width, height=scans.A4.height)
    page.insert_image(page.rect, stream=tagged, keep_proportion=False)

    result = process_scan(write(tmp_path, doc.tobytes()), tmp_path / "out", Layout("INDIVIDUAL"))

    second = result.copies[0].pages[1]
    assert second.path.read_bytes() != tagged
    with Image.open(second.path) as image:
        assert image.getexif().get(0x0112, 1) == 1
        assert near(image.size, A4_PIXELS) and dark_runs(image, BAR_ROW) == 2  # as the PDF shows it


def test_scanner_image_with_margins_is_rendered_with_its_margins(tmp_path: Path) -> None:
    doc = pymupdf.open(stream=marker_pdf([1, 2], a3=False, scanner=True))
    raw = doc.xref_stream_raw(doc[1].get_images()[0][0])
    doc.delete_page(1)
    page = doc.new_page(width=scans.A4.width, height=scans.A4.height)
    margins = pymupdf.Rect(72, 72, scans.A4.width - 72, scans.A4.height - 72)  # 1 inch all round
    page.insert_image(margins, stream=raw, keep_proportion=False)

    result = process_scan(write(tmp_path, doc.tobytes()), tmp_path / "out", Layout("INDIVIDUAL"))

    with Image.open(result.copies[0].pages[1].path) as image:
        assert near(image.size, A4_PIXELS)
        # The bars (300-500 pt on the scan) now start at 72 + 300 x 698/842 = 321 pt: not yet at 305 pt.
        assert dark_runs(image, round(305 * 150 / 72)) == 0
        assert dark_runs(image, round(400 * 150 / 72)) == 2


def test_decoding_a_scanner_jpeg_gives_the_pixels_mupdf_renders(tmp_path: Path) -> None:
    from functions.pdf import Limits
    from functions.pdf.worker import process_here

    source = write(tmp_path, scans.make_scan(NAMES[:1], pages_per_copy=2, dpi=300, seed=9, a3=True))
    layout = Layout("INDIVIDUAL", split_a3=True)
    fast = process_here(source, tmp_path / "fast", layout, Limits(), {"passthrough": False})
    slow = process_here(source, tmp_path / "slow", layout, Limits(),
                        {"passthrough": False, "direct_decode": False})

    for quick, reference in zip(fast.copies[0].pages, slow.copies[0].pages, strict=True):
        with Image.open(quick.path) as a, Image.open(reference.path) as b:
            assert a.size == b.size
            assert ImageStat.Stat(ImageChops.difference(a, b)).mean[0] < 4


def test_pages_left_over_are_rendered_like_first_pages_with_header_and_mask(tmp_path: Path) -> None:
    data = marker_pdf([1, 2, 3, 4, 5, 6, 7], a3=False, scanner=True)

    result = process_scan(write(tmp_path, data), tmp_path / "out", Layout("BATCH", 3))

    assert [[dark_runs(Image.open(page.path), BAR_ROW) for page in copy.pages] for copy in result.copies] == [
        [1, 2, 3], [4, 5, 6]]
    (loose,) = result.loose
    (page,) = loose.images.pages
    assert loose.source == 6 and page.path.is_relative_to(tmp_path / "out")
    with Image.open(page.path) as image:
        assert near(image.size, A4_PIXELS) and dark_runs(image, BAR_ROW) == 7
    assert page.masked_path is not None and page.masked_path.is_file()
    with Image.open(loose.images.header_path) as header:
        assert header.width == page.width and header.height == -(-page.height // 4)


def test_a_scan_that_divides_evenly_has_no_page_left_over(batch) -> None:
    assert batch[1].loose == []



def upside_down(data: bytes, numbers: set[int]) -> bytes:
    """The scan with pages ``numbers`` (0-based) fed upside down: their JPEG turned by 180 degrees."""
    source = pymupdf.open(stream=data)
    out = pymupdf.open()
    for number, page in enumerate(source):
        jpeg = source.xref_stream_raw(page.get_images()[0][0])
        if number in numbers:
            with Image.open(io.BytesIO(jpeg)) as image:
                buffer = io.BytesIO()
                image.transpose(Image.Transpose.ROTATE_180).save(buffer, "JPEG", quality=85)
            jpeg = buffer.getvalue()
        out.new_page(width=page.rect.width, height=page.rect.height).insert_image(
            page.rect, stream=jpeg, keep_proportion=False)
    return out.tobytes()


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]


def test_pages_of_a_plain_scan_fed_upside_down_are_stored_upright(tmp_path: Path) -> None:
    data = scans.make_scan(NAMES, pages_per_copy=4, seed=3)
    # The second copy's first page (the header) and third page went through the copier upside down.
    fed = upside_down(data, {4, 6})
    result = process_scan(write(tmp_path, fed), tmp_path / "out", Layout("BATCH", 4))

    doc = pymupdf.open(stream=data)
    scanned = [Image.open(io.BytesIO(doc.xref_stream_raw(page.get_images()[0][0]))) for page in doc]
    copy = result.copies[1]
    for index in (0, 2):
        with Image.open(copy.pages[index].path) as stored:
            assert stored.size == scanned[4 + index].size
            assert mean_difference(stored, scanned[4 + index]) < 3  # upright: the page as written
            assert mean_difference(stored, scanned[4 + index].rotate(180)) > 10
    with Image.open(copy.header_path) as header:
        top = scanned[4].crop((0, 0, header.width, header.height))
        assert mean_difference(header, top) < 3  # the header with the name, not the bottom of the page
    with Image.open(copy.pages[0].masked_path) as masked, Image.open(copy.pages[0].path) as page:
        below = (0, mask_height(page.height), page.width, page.height)
        assert mean_difference(masked.crop(below), page.crop(below)) < 2  # masked from the same pixels
    fed_doc = pymupdf.open(stream=fed)
    for number in (5, 7, 9):  # upright pages after the first are still passed through as scanned
        copy_index, index = divmod(number, 4)
        embedded = fed_doc.xref_stream_raw(fed_doc[number].get_images()[0][0])
        assert result.copies[copy_index].pages[index].path.read_bytes() == embedded


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_the_masked_page_is_the_page_itself_below_the_identity_zone(tmp_path: Path, mode: str) -> None:
    """The masked variant reuses the page's own encoded rows below the zone: the same pixels exactly."""
    from functions.pdf.render import _save_page

    doc = pymupdf.open(stream=scans.make_scan(NAMES[:1], pages_per_copy=1, seed=8))
    image = Image.open(io.BytesIO(doc.xref_stream_raw(doc[0].get_images()[0][0]))).convert(mode)

    saved = _save_page(image, tmp_path / "page-00.jpg", tmp_path / "header.jpg")

    assert saved.masked_path is not None
    with Image.open(saved.path) as page, Image.open(saved.masked_path) as masked:
        zone = mask_height(page.height)
        assert masked.size == page.size and masked.mode == mode
        below = (0, zone, page.width, page.height)
        assert ImageChops.difference(page.crop(below), masked.crop(below)).getbbox() is None
        low, high = masked.convert("L").crop((0, 0, page.width, zone)).getextrema()
        assert high - low <= 2  # nothing of the name survives
