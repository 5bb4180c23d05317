"""The local OCR engine (RapidOCR, model inside the wheel) on headers rendered here with PyMuPDF.

Slow-ish by nature (model load ~1 s once, ~0.5 s a header on 2 cores): one engine for the module, and every
header is rendered and read once (``read`` fixture caches by header). Deselect with ``-k "not local_engine"``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("rapidocr_onnxruntime", reason="the local OCR engine is not installed")
pymupdf = pytest.importorskip("pymupdf")

from chalicelib.domain.matching import RosterEntry, assign_one_to_one, normalise, rank_candidates  # noqa: E402
from functions.ocr_engines import engines  # noqa: E402
from functions.ocr_engines.engines import LocalOcrEngine  # noqa: E402

A4_WIDTH, A4_HEIGHT = 595, 842


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """No mocked AWS account needed here (overrides the unit suite's fixture)."""
    yield


def render_header(last: str, first: str, *, fontsize: float = 24, fontname: str = "helv",
                  title: str = "Collège Jean Moulin - Devoir surveillé de mathématiques") -> bytes:
    """The top 25 % of an A4 page with a printed header, rasterised at 150 DPI to JPEG bytes."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4_WIDTH, height=A4_HEIGHT * 0.25)
    page.insert_text((40, 45), title, fontsize=13, fontname=fontname)
    page.insert_text((40, 100), f"NOM : {last}   Prénom : {first}", fontsize=fontsize, fontname=fontname)
    page.insert_text((40, 160), "Classe : 3B        Date : 12/03/2026", fontsize=14, fontname=fontname)
    jpeg = page.get_pixmap(dpi=150).tobytes("jpeg", jpg_quality=80)
    doc.close()
    return jpeg


@pytest.fixture(scope="module")
def engine() -> LocalOcrEngine:
    """One engine for the module; the model is loaded here, once."""
    engine = LocalOcrEngine()
    engine.read_text(render_header("WARM", "Up"))
    return engine


@pytest.fixture(scope="module")
def read(engine: LocalOcrEngine) -> Callable[..., str]:
    """Render and read a header, each distinct header once per module."""
    cache: dict[tuple, str] = {}

    def read(last: str, first: str, **style: object) -> str:
        key = (last, first, tuple(sorted(style.items())))
        if key not in cache:
            cache[key] = engine.read_text(render_header(last, first, **style))
        return cache[key]

    return read


def test_reads_a_printed_name_with_accents(read: Callable[..., str]) -> None:
    text = normalise(read("DUPONT", "Élodie"))
    assert "DUPONT" in text
    assert "ELODIE" in text


def test_pieces_on_one_row_come_out_on_one_line(read: Callable[..., str]) -> None:
    lines = read("DUPONT", "Élodie").splitlines()
    assert len(lines) == 3
    assert "MOULIN" in normalise(lines[0])
    assert normalise(lines[1]).replace(" ", "").startswith("NOMDUPONT")
    assert "ELODIE" in normalise(lines[1])
    assert "CLASSE" in normalise(lines[2])


def test_the_model_is_loaded_once_per_process(engine: LocalOcrEngine) -> None:
    model = engines._local_model()
    assert model is engines._local_model()
    LocalOcrEngine().read_text(render_header("MARTIN", "Léa", fontsize=20))
    assert engines._rapidocr is model


def test_a_blank_header_reads_as_no_text(engine: LocalOcrEngine) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=A4_WIDTH, height=A4_HEIGHT * 0.25)
    png = page.get_pixmap(dpi=150).tobytes("png")
    assert engine.read_text(png) == ""


def test_bytes_that_are_not_an_image_are_refused(engine: LocalOcrEngine) -> None:
    with pytest.raises(ValueError, match="not a readable image"):
        engine.read_text(b"%PDF-1.7 this is not an image")
    with pytest.raises(ValueError, match="empty"):
        engine.read_text(b"")


LAST = ["Dupont", "Martin", "Martinez", "Leroy", "Leroyer", "Lefèvre", "Guérin", "de la Tour", "Le Goff",
        "N'Diaye", "Saint-Just", "Lemaître", "Noël", "Moreau", "Fournier", "Girard", "Bonnet", "Faure"]
FIRST = ["Élodie", "Anne", "Jeanne", "Léa", "Léo", "Jean-Baptiste", "Marie-Ève", "Chloé", "Zoé", "Inès",
         "Maël", "Hélène", "Jérôme", "Françoise", "Raphaël", "Océane", "Benoît", "Paul"]


def roster_of(size: int, seed: int) -> list[RosterEntry]:
    rng = random.Random(seed)
    pairs: dict[tuple[str, str], None] = {("Dupont", "Anne"): None, ("Dupont", "Jeanne"): None,
                                          ("Leroy", "Paul"): None, ("Leroyer", "Paul"): None}
    while len(pairs) < size:
        pairs[(rng.choice(LAST), rng.choice(FIRST))] = None
    return [RosterEntry(f"s{i:02d}", first, last) for i, (last, first) in enumerate(pairs)]


def test_end_to_end_the_right_student_ranks_first(read: Callable[..., str]) -> None:
    roster = roster_of(30, seed=4)
    rng = random.Random(4)
    picked = roster[:4] + rng.sample(roster[4:], 6)
    ranked = {}
    misses = []
    for i, student in enumerate(picked):
        text = read(student.last_name.upper(), student.first_name, fontsize=(20, 22, 24, 26, 28)[i % 5],
                    fontname=("helv", "tiro", "cour")[i % 3])
        ranked[student.student_id] = suggestions = rank_candidates(text, roster)
        if suggestions[0].student_id != student.student_id:
            misses.append((student, text, suggestions[:2]))
    assert misses == []
    assigned = assign_one_to_one(ranked, threshold=0.85, margin=0.08)
    assert all(got in (None, sid) for sid, got in assigned.items())
    assert sum(got == sid for sid, got in assigned.items()) >= 8
