"""render_final_pdf: the graded copy as a PDF (the scanned pages with the annotations drawn in, a summary)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageChops, ImageStat

from functions.pdf.final import FinalPage, QuestionLine, Summary, render_final_pdf
from tests.support import scans

A4_PIXELS = (1240, 1754)
PAGE_POINTS = (1240 * 72 / 150, 1754 * 72 / 150)
A4_POINTS = (595, 842)

RECT = {"x": 0.10, "y": 0.10, "w": 0.30, "h": 0.08}
TICK = {"x": 0.25, "y": 0.30}
CROSS = {"x": 0.70, "y": 0.30}
COMMENT = {"x": 0.10, "y": 0.42}
INK = {"points": [[0.50, 0.12], [0.60, 0.18], [0.70, 0.12], [0.80, 0.18]]}
FIRST_PAGE_ANNOTATIONS = [
    # Old annotations stored before points left annotations may still carry a score_delta: never drawn.
    {"id": "a1", "version": 3, "type": "rect", "geometry": RECT, "score_delta": -1.5},
    {"type": "ink", "geometry": INK},
    {"type": "tick", "geometry": TICK, "score_delta": 2},
    {"type": "cross", "geometry": CROSS, "score_delta": -0.25},
    {"type": "text", "geometry": COMMENT, "text": "Bien, mais justifier", "score_delta": -1},
    {"type": "rect", "geometry": {"x": 0.60, "y": 0.45, "w": 0.25, "h": 0.05}, "text": "Voir le cours"},
]
FAR_FROM_ANNOTATIONS = (0.05, 0.65, 0.95, 0.95)  # x0, y0, x1, y1 as fractions of the page

SUMMARY = Summary(
    anonymous_id="7F3A-001",
    exam_name="DS n°3 — Fonctions affines",
    subject="Mathématiques",
    total=15.5,
    max_points=20,
    questions=[
        QuestionLine("Exercice 1 › a)", 1.5, 2, "Élodie : il faut justifier le signe"),
        QuestionLine("Exercice 1 › b)", 4, 4),
        QuestionLine("Exercice 2 › a)", 0.25, 3, "Leçon à revoir, cœur du chapitre — façon de rédiger"),
        QuestionLine("Exercice 2 › b)", 9.75, 11, "Très bien"),
    ],
    appreciation="Bon travail, soigné et efficace ; œuvre affirmée, à poursuivre en français aussi.",
)


def page_jpeg(number: int) -> bytes:
    """A grey A4 page at 150 DPI with printed lines, as the ingest stores it."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_POINTS[0], height=PAGE_POINTS[1])
    page.draw_rect(page.rect, color=None, fill=(0.88, 0.88, 0.88))
    for line in range(32):
        page.insert_text((50, 60 + line * 24), f"Page {number + 1}, ligne {line} : on résout 3x + 5 = 2x - 7",
                         fontsize=12)
    pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    assert (pix.width, pix.height) == A4_PIXELS
    return pix.tobytes("jpeg", jpg_quality=80)


@pytest.fixture(scope="module")
def jpegs() -> list[bytes]:
    return [page_jpeg(number) for number in range(4)]


@pytest.fixture(scope="module")
def copy_pages(jpegs: list[bytes]) -> list[FinalPage]:
    pages = [FinalPage(jpeg, *A4_PIXELS, []) for jpeg in jpegs]
    pages[0] = FinalPage(jpegs[0], *A4_PIXELS, FIRST_PAGE_ANNOTATIONS)
    pages[2] = FinalPage(jpegs[2], *A4_PIXELS, [{"type": "tick", "geometry": {"x": 0.5, "y": 0.5}}])
    return pages


@pytest.fixture(scope="module")
def final(copy_pages: list[FinalPage]) -> bytes:
    return render_final_pdf(copy_pages, SUMMARY)


@pytest.fixture
def doc(final: bytes) -> pymupdf.Document:
    return pymupdf.open("pdf", final)


def decoded(jpeg: bytes) -> Image.Image:
    pix = pymupdf.Pixmap(jpeg)  # MuPDF's decoder, as when the PDF page is rendered
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def rendered(page: pymupdf.Page, colour: bool = False) -> Image.Image:
    pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csRGB if colour else pymupdf.csGRAY, alpha=False)
    return Image.frombytes("RGB" if colour else "L", (pix.width, pix.height), pix.samples)


def colours(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.convert("RGB").tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


def pixels(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    width, height = A4_PIXELS
    return round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height)


def around(point: dict[str, float], radius: int = 25) -> tuple[int, int, int, int]:
    x, y = round(point["x"] * A4_PIXELS[0]), round(point["y"] * A4_PIXELS[1])
    return x - radius, y - radius, x + radius, y + radius


def all_text(doc: pymupdf.Document, first: int = 0) -> str:
    return "".join(doc[number].get_text() for number in range(first, doc.page_count))


def test_one_page_per_scanned_page_then_an_a4_summary_page(doc: pymupdf.Document) -> None:
    assert doc.page_count == 5
    for number in range(4):
        assert doc[number].rect.width == pytest.approx(PAGE_POINTS[0])
        assert doc[number].rect.height == pytest.approx(PAGE_POINTS[1])
    assert (round(doc[4].rect.width), round(doc[4].rect.height)) == A4_POINTS


def test_scanned_pages_show_the_stored_jpeg_unchanged(doc: pymupdf.Document, jpegs: list[bytes]) -> None:
    for number, jpeg in enumerate(jpegs):
        images = doc[number].get_images(full=True)
        assert len(images) == 1
        assert doc.xref_stream_raw(images[0][0]) == jpeg  # passed through, not re-encoded
        assert pymupdf.Rect(doc[number].get_image_info()[0]["bbox"]) == doc[number].rect
    assert doc[4].get_images() == []


def test_annotations_are_drawn_as_page_content_not_pdf_annotations(doc: pymupdf.Document,
                                                                    final: bytes) -> None:
    for page in doc:
        assert list(page.annots()) == []
        assert page.first_widget is None
    assert b"/Annot" not in final
    assert doc[0].get_drawings()  # the vector strokes are in the page itself


def test_drawn_rect_changes_pixels_inside_its_box_and_nothing_far_away(doc: pymupdf.Document,
                                                                      jpegs: list[bytes]) -> None:
    original, output = decoded(jpegs[0]), rendered(doc[0])
    assert output.size == original.size == A4_PIXELS
    difference = ImageChops.difference(original, output)
    x0, y0, x1, y1 = pixels((RECT["x"], RECT["y"], RECT["x"] + RECT["w"], RECT["y"] + RECT["h"]))
    stroke = difference.crop((x0 - 3, y0 - 3, x1 + 3, y1 + 3))  # the box with its border (2 pt, 4 px wide)
    changed = sum(stroke.point(lambda value: 255 if value > 60 else 0).histogram()[255:])
    assert changed > 3000  # 4 px around a 372 x 140 px box
    far = difference.crop(pixels(FAR_FROM_ANNOTATIONS))
    assert ImageStat.Stat(far).mean[0] < 0.5
    assert far.getextrema()[1] <= 8
    # a page without annotations renders as its scan
    untouched = ImageChops.difference(decoded(jpegs[1]), rendered(doc[1]))
    assert ImageStat.Stat(untouched).mean[0] < 0.5


def test_cross_is_red_and_tick_is_green(doc: pymupdf.Document) -> None:
    output = rendered(doc[0], colour=True)
    red = [rgb for rgb in colours(output.crop(around(CROSS))) if rgb[0] > 150 and rgb[1] < 80 and rgb[2] < 80]
    green = [rgb for rgb in colours(output.crop(around(TICK))) if rgb[1] > 110 and rgb[0] < 80]
    assert len(red) > 50
    assert len(green) > 50
    # a page showing only a grey scan has no colour anywhere else
    assert not [rgb for rgb in colours(output.crop(pixels(FAR_FROM_ANNOTATIONS))) if max(rgb) - min(rgb) > 30]


def test_comments_are_extractable_text_where_they_were_put_and_old_score_deltas_are_not_drawn(
        doc: pymupdf.Document) -> None:
    page = doc[0]
    text = page.get_text()
    assert "Bien, mais justifier" in text
    assert "Voir le cours" in text  # a shape's own label
    for delta in ("−1,5", "+2", "−0,25", "−1", "1,5", "0,25"):
        assert delta not in text  # annotations carry no points
    found = page.search_for("Bien, mais justifier")
    assert len(found) == 1
    assert found[0].x0 == pytest.approx(COMMENT["x"] * page.rect.width, abs=8)
    assert found[0].y0 == pytest.approx(COMMENT["y"] * page.rect.height, abs=8)
    assert [doc[number].get_text().strip() for number in (1, 2, 3)] == ["", "", ""]  # no hidden text layer


def test_summary_page_shows_id_total_scores_remarks_and_appreciation_with_accents(
        doc: pymupdf.Document) -> None:
    summary = doc[4]
    text = summary.get_text()
    assert "Korrigo — copie 7F3A-001" in text
    assert "DS n°3 — Fonctions affines" in text
    assert "Mathématiques" in text
    assert "Total : 15,5 / 20" in text
    assert summary.search_for("Total : 15,5 / 20")
    lines = text.splitlines()
    for question, score in zip(SUMMARY.questions, ("1,5 / 2", "4 / 4", "0,25 / 3", "9,75 / 11"), strict=True):
        assert question.label in lines
        assert lines[lines.index(question.label):].index(score) <= 2  # the score is on the question's row
        if question.remark:
            assert question.remark in text
    assert "Élodie : il faut justifier le signe" in text  # and "fi" is letters, not the U+FB01 ligature
    assert not re.search("[\ufb00-\ufb06]", all_text(doc))  # nor "ff", "ffi"... of the appreciation
    assert SUMMARY.appreciation in text
    assert "page 1/1" in text


def test_scores_are_written_in_french_rounded_half_up_to_two_decimals(copy_pages: list[FinalPage]) -> None:
    questions = [QuestionLine("Q1", 0.125, 0.5), QuestionLine("Q2", 2.0, 2.5), QuestionLine("Q3", 1 / 3, 1)]
    summary = Summary("7F3A-006", "DS", "Maths", 12.345, 20, questions)
    lines = render_final_text(copy_pages, summary).splitlines()
    assert "Total : 12,35 / 20" in lines
    assert lines[lines.index("Q1") + 1] == "0,13 / 0,5"
    assert lines[lines.index("Q2") + 1] == "2 / 2,5"
    assert lines[lines.index("Q3") + 1] == "0,33 / 1"


def render_final_text(pages: list[FinalPage], summary: Summary) -> str:
    return all_text(pymupdf.open("pdf", render_final_pdf(pages[:1], summary)), first=1)


def test_importing_the_module_does_not_load_mupdf() -> None:
    code = "import sys, functions.pdf.final; assert 'pymupdf' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


def test_pdf_names_only_the_anonymous_id(doc: pymupdf.Document) -> None:
    metadata = doc.metadata
    assert metadata["title"] == "Korrigo — copie 7F3A-001"
    assert metadata["creator"] == "Korrigo"
    assert metadata["author"] == ""
    assert metadata["subject"] == ""
    assert "7F3A-001" in all_text(doc, first=4)


def test_long_summary_flows_onto_several_pages_without_losing_a_question(copy_pages: list[FinalPage]) -> None:
    remark = "une remarque assez longue sur la rédaction "
    questions = [QuestionLine(f"Exercice {n // 6 + 1} › question {n:02d}", 1.25, 2,
                              f"Remarque {n:02d} : " + remark * (n % 5 + 2)) for n in range(60)]
    summary = Summary("7F3A-002", "Bac blanc", "Physique-chimie", 61.5, 120, questions,
                      "À retravailler. " * 30)
    doc = pymupdf.open("pdf", render_final_pdf(copy_pages[:1], summary))
    summary_pages = doc.page_count - 1
    assert summary_pages > 1
    text = all_text(doc, first=1)
    for question in questions:
        assert text.count(question.label) == 1
        assert f"Remarque {question.label[-2:]} :" in text
    assert text.count("1,25 / 2") == 60
    assert "Total : 61,5 / 120" in doc[1].get_text()
    assert "À retravailler." in doc[-1].get_text()
    for number in range(1, doc.page_count):
        page = doc[number]
        assert (round(page.rect.width), round(page.rect.height)) == A4_POINTS
        assert f"page {number}/{summary_pages}" in page.get_text()
        for block in page.get_text("blocks"):  # nothing drawn outside the page
            assert page.rect.contains(pymupdf.Rect(block[:4]))


def test_summary_slightly_too_long_for_a_page_is_shrunk_onto_one(copy_pages: list[FinalPage]) -> None:
    questions = [QuestionLine(f"Question {n:02d}", 1, 1, "Correct, mais la rédaction est à améliorer")
                 for n in range(22)]
    summary = Summary("7F3A-003", "DS", "Maths", 22, 22, questions)
    doc = pymupdf.open("pdf", render_final_pdf(copy_pages[:1], summary))
    assert doc.page_count == 2
    text = doc[1].get_text()
    assert all(question.label in text for question in questions)
    sizes = {span["size"] for block in doc[1].get_text("dict")["blocks"] for line in block.get("lines", ())
             for span in line["spans"] if span["text"].startswith("Question ")}
    assert 0.69 * 10.5 < max(sizes) < 10.5


def test_huge_remark_and_empty_fields_still_render(copy_pages: list[FinalPage]) -> None:
    questions = [QuestionLine("Exercice 1", 0, 5, "très long " * 1500), QuestionLine("Exercice 2", 5, 5)]
    summary = Summary("7F3A-004", "DS", "", 5, 10, questions)
    doc = pymupdf.open("pdf", render_final_pdf(copy_pages[:1], summary))
    text = all_text(doc, first=1)
    assert "Exercice 1" in text
    assert "Exercice 2" in text
    assert "Appréciation" not in text
    summary = Summary("7F3A-005", "DS", "Maths", 0, 20, [])
    empty = pymupdf.open("pdf", render_final_pdf(copy_pages[:1], summary))
    assert empty.page_count == 2
    assert "Total : 0 / 20" in empty[1].get_text()


def test_comment_near_the_corner_is_moved_onto_the_page(jpegs: list[bytes]) -> None:
    comment = "Attention aux unités " * 8
    page = FinalPage(jpegs[0], *A4_PIXELS, [
        {"type": "text", "geometry": {"x": 0.98, "y": 0.99}, "text": comment, "score_delta": -3},
        {"type": "cross", "geometry": {"x": 1, "y": 0}, "score_delta": -0.5},
        {"type": "ink", "geometry": {"points": [[0, 1], [1, 1]]}},
    ])
    doc = pymupdf.open("pdf", render_final_pdf([page], SUMMARY))
    text = " ".join(doc[0].get_text().split())
    assert comment.strip() in text
    assert "−3" not in text and "−0,5" not in text
    for block in doc[0].get_text("blocks"):
        assert doc[0].rect.contains(pymupdf.Rect(block[:4]))


def test_maths_symbols_in_a_short_comment_are_kept_on_one_line(jpegs: list[bytes]) -> None:
    comments = ["x ∈ ℝ ⇒ x² ≥ 0", "√(x²) = |x|", "π ≈ 3,14 ≠ 22/7"]  # ℝ and ⇒ come from a fallback font
    page = FinalPage(jpegs[0], *A4_PIXELS, [{"type": "text", "geometry": {"x": 0.2, "y": 0.2 + 0.1 * n},
                                             "text": comment} for n, comment in enumerate(comments)])
    doc = pymupdf.open("pdf", render_final_pdf([page], SUMMARY))
    assert doc[0].get_text().splitlines() == comments


GOOD = {"type": "tick", "geometry": {"x": 0.5, "y": 0.5}}


@pytest.mark.parametrize(("annotation", "reason"), [
    ({"type": "rect", "geometry": {"x": 1.5, "y": 0.1, "w": 0.1, "h": 0.1}}, "x must be between 0 and 1"),
    ({"type": "rect", "geometry": {"x": 0.8, "y": 0.1, "w": 0.3, "h": 0.1}}, "stay on the page"),
    ({"type": "rect", "geometry": {"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}}, "have a size"),
    ({"type": "tick", "geometry": {"x": float("nan"), "y": 0.1}}, "x must be a number"),
    ({"type": "cross", "geometry": {"x": 0.1, "y": float("inf")}}, "y must be a number"),
    ({"type": "tick", "geometry": {"x": True, "y": 0.1}}, "x must be a number"),
    ({"type": "tick", "geometry": {"x": "0.1", "y": 0.1}}, "x must be a number"),
    ({"type": "tick", "geometry": {"x": 0.1}}, "geometry needs exactly x, y"),
    ({"type": "text", "geometry": {"x": 0.1, "y": 0.1, "w": 0.1}, "text": "a"}, "needs exactly x, y"),
    ({"type": "ink", "geometry": {"points": [[0.1, 0.1]]}}, "2 to 2000 points"),
    ({"type": "ink", "geometry": {"points": [[0.1, 0.1], [0.2]]}}, "point 1 must be"),
    ({"type": "ink", "geometry": {"points": [[0.1, 0.1], [0.2, -0.1]]}}, "point 1 y must be between"),
    ({"type": "circle", "geometry": {"x": 0.1, "y": 0.1}}, "type must be one of"),
    ({"geometry": {"x": 0.1, "y": 0.1}}, "type must be one of"),
    ({"type": "tick", "geometry": [0.1, 0.1]}, "geometry must be an object"),
    ({"type": "text", "geometry": {"x": 0.1, "y": 0.1}, "text": "   "}, "needs its text"),
    ({"type": "text", "geometry": {"x": 0.1, "y": 0.1}, "text": "x" * 2001}, "2000 characters"),
    ({"type": "tick", "geometry": {"x": 0.1, "y": 0.1}, "text": 5}, "text must be a string"),
    ("tick", "must be an object"),
])
def test_invalid_annotation_raises_value_error_naming_page_and_index(
        jpegs: list[bytes], annotation: object, reason: str) -> None:
    pages = [FinalPage(jpeg, *A4_PIXELS, [GOOD]) for jpeg in jpegs]
    pages[2] = FinalPage(jpegs[2], *A4_PIXELS, [GOOD, annotation])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"^page index 2, annotation index 1: ") as raised:
        render_final_pdf(pages, SUMMARY)
    assert reason in str(raised.value)


def test_annotations_are_checked_by_the_domains_rules_the_api_applies(
        jpegs: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.domain import annotations

    comment = {"type": "text", "geometry": {"x": 0.1, "y": 0.1}, "text": "justifier"}
    monkeypatch.setattr(annotations, "MAX_TEXT", 5)  # one rule: changing the domain's changes the renderer's
    with pytest.raises(ValueError, match=r"^page index 0, annotation index 0: text is limited to 5 char"):
        render_final_pdf([FinalPage(jpegs[0], *A4_PIXELS, [comment])], SUMMARY)


def test_bad_page_or_summary_raises_value_error(jpegs: list[bytes]) -> None:
    with pytest.raises(ValueError, match="page index 0: the page image is not a JPEG"):
        render_final_pdf([FinalPage(b"%PDF-1.7", *A4_PIXELS, [])], SUMMARY)
    with pytest.raises(ValueError, match="page index 1: the image is 1240x1754 pixels, not 1240x1700"):
        render_final_pdf([FinalPage(jpegs[0], *A4_PIXELS, []), FinalPage(jpegs[1], 1240, 1700, [])], SUMMARY)
    with pytest.raises(ValueError, match="page index 0: width must be a positive"):
        render_final_pdf([FinalPage(jpegs[0], 0, 1754, [])], SUMMARY)
    with pytest.raises(ValueError, match="at least one page"):
        render_final_pdf([], SUMMARY)
    bad = Summary("7F3A-001", "DS", "Maths", float("nan"), 20, [])
    with pytest.raises(ValueError, match="summary: total must be a finite number"):
        render_final_pdf([FinalPage(jpegs[0], *A4_PIXELS, [])], bad)


def test_same_input_gives_the_same_bytes_apart_from_the_date(copy_pages: list[FinalPage],
                                                              final: bytes) -> None:
    def undated(data: bytes) -> bytes:
        return re.sub(rb"D:\d{14}[^)]*", b"D:", data)

    assert undated(render_final_pdf(copy_pages, SUMMARY)) == undated(final)


def test_render_time_of_a_four_page_scanned_copy(capsys: pytest.CaptureFixture[str]) -> None:
    """Reported, not asserted: scanner-like pages (noise, specks, ~280 KB each), 6 annotations a page."""
    scan = pymupdf.open("pdf", scans.make_scan([("X", "Y")], pages_per_copy=4, seed=5))
    pages = []
    for page in scan:
        xref, _, width, height = page.get_images(full=True)[0][:4]
        pages.append(FinalPage(scan.xref_stream_raw(xref), width, height, FIRST_PAGE_ANNOTATIONS))
    render_final_pdf(pages, SUMMARY)  # warm-up: MuPDF's fonts and HTML engine
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        data = render_final_pdf(pages, SUMMARY)
        runs.append(time.perf_counter() - start)
    images = sum(len(page.image) for page in pages)
    with capsys.disabled():
        print(f"\n4-page copy, {len(FIRST_PAGE_ANNOTATIONS)} annotations a page: {min(runs) * 1000:.0f} ms "
              f"(median {sorted(runs)[2] * 1000:.0f} ms), {len(data) / 1024:.0f} KB "
              f"({images / 1024:.0f} KB of page JPEGs)")


@pytest.mark.parametrize("delta", [float("nan"), "1", True, 1001, -0.5])
def test_a_stored_score_delta_is_ignored_whatever_its_value(jpegs: list[bytes], delta: object) -> None:
    tick = {"type": "tick", "geometry": {"x": 0.1, "y": 0.1}, "score_delta": delta}
    page = FinalPage(jpegs[0], *A4_PIXELS, [tick])
    doc = pymupdf.open("pdf", render_final_pdf([page], SUMMARY))
    assert doc[0].get_text().strip() == ""
