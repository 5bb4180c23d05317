"""OCR engines behind one interface: header image bytes in, the text read out (lines joined by ``"\\n"``).

* ``LocalOcrEngine``: RapidOCR on onnxruntime (``rapidocr-onnxruntime``); its models ship inside the wheel,
  nothing is downloaded at run time. Used locally and in tests; too big for a zip Lambda.
* ``TextractOcrEngine``: Amazon Textract ``DetectDocumentText`` through ``amazon-textract-caller``, with the
  project's boto3 client (``chalicelib.aws.client``, so ``AWS_ENDPOINT_URL`` applies). Used in AWS.

Both put the pieces of text they read back into rows (top to bottom, left to right within a row) so that
``"NOM : DUPONT"`` and ``"Prénom : Élodie"`` read side by side come out on one line. Heavy imports happen
on first use only, so importing this module costs nothing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["ENGINES", "LocalOcrEngine", "OcrEngine", "TextractOcrEngine", "engine_for"]


@runtime_checkable
class OcrEngine(Protocol):
    """Reads the text of a header crop."""

    name: str

    def read_text(self, image: bytes) -> str:
        """JPEG/PNG bytes of a header crop → the text read, lines joined by ``"\\n"``."""
        ...


@dataclass(frozen=True)
class _Piece:
    """One piece of text read, with its vertical extent and left edge (any unit, the same for all)."""

    text: str
    top: float
    bottom: float
    left: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def _join_rows(pieces: Iterable[_Piece]) -> str:
    """Pieces → rows: a piece joins a row when its middle lies within the row's height; rows top to
    bottom, pieces left to right, joined by a space within a row and a newline between rows."""
    rows: list[list[_Piece]] = []
    for piece in sorted((p for p in pieces if p.text.strip()), key=lambda p: (p.middle, p.left)):
        if rows:
            row = rows[-1]
            top = min(p.top for p in row)
            bottom = max(p.bottom for p in row)
            if top <= piece.middle <= bottom:
                row.append(piece)
                continue
        rows.append([piece])
    return "\n".join(" ".join(p.text.strip() for p in sorted(row, key=lambda p: p.left)) for row in rows)


# ---------------------------------------------------------------------------------------------------------
# Local engine: RapidOCR (PP-OCRv4 detection + recognition on onnxruntime)
# ---------------------------------------------------------------------------------------------------------

#: RapidOCR settings for header crops (~1240 x 440 px at 150 DPI). The default detector *upscales* the
#: short side to 736 px (a 150 DPI header becomes ~2100 px wide and takes 2-3 times longer for the same
#: text); here an image is only upscaled when its short side is under 320 px, and shrunk past 2000 px.
RAPIDOCR_PARAMS: dict[str, Any] = {
    "det_limit_type": "min",
    "det_limit_side_len": 320,
    "max_side_len": 2000,
    "print_verbose": False,
}

_load_lock = threading.Lock()
_run_lock = threading.Lock()
_rapidocr: Any = None


def _local_model() -> Any:
    """The process-wide RapidOCR instance, created on first use (~1 s: three ONNX sessions)."""
    global _rapidocr
    if _rapidocr is None:
        with _load_lock:
            if _rapidocr is None:
                from rapidocr_onnxruntime import RapidOCR

                _rapidocr = RapidOCR(**RAPIDOCR_PARAMS)
    return _rapidocr


def _decode(image: bytes) -> Any:
    """JPEG/PNG bytes → an RGB PIL image; ValueError for anything unreadable (or a decompression bomb)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as opened:
            opened.load()
            return opened.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc


class LocalOcrEngine:
    """OCR with RapidOCR on onnxruntime; the model is loaded once per process, lazily."""

    name = "local"

    def read_text(self, image: bytes) -> str:
        if not image:
            raise ValueError("empty image")
        picture = _decode(image)
        model = _local_model()
        with _run_lock:  # one inference at a time: onnxruntime already uses every core
            result, _elapsed = model(picture)
        if not result:
            return ""
        pieces = []
        for box, text, _confidence in result:
            ys = [point[1] for point in box]
            xs = [point[0] for point in box]
            pieces.append(_Piece(str(text), float(min(ys)), float(max(ys)), float(min(xs))))
        return _join_rows(pieces)


# ---------------------------------------------------------------------------------------------------------
# AWS engine: Textract DetectDocumentText
# ---------------------------------------------------------------------------------------------------------


def textract_lines(response: dict[str, Any]) -> str:
    """The LINE blocks of a Textract response, in reading order, as one text."""
    pieces = []
    for block in response.get("Blocks", []):
        if block.get("BlockType") != "LINE" or not block.get("Text"):
            continue
        box = block.get("Geometry", {}).get("BoundingBox", {})
        top = float(box.get("Top", 0.0))
        bottom = top + float(box.get("Height", 0.0))
        pieces.append(_Piece(block["Text"], top, bottom, float(box.get("Left", 0.0))))
    return _join_rows(pieces)


class TextractOcrEngine:
    """OCR with Amazon Textract (synchronous ``DetectDocumentText`` on the image bytes)."""

    name = "textract"

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from chalicelib.aws import client

            self._client = client("textract")
        return self._client

    def read_text(self, image: bytes) -> str:
        if not image:
            raise ValueError("empty image")
        from textractcaller import call_textract

        response = call_textract(input_document=bytes(image), boto3_textract_client=self.client)
        return textract_lines(response)


ENGINES: dict[str, type[LocalOcrEngine] | type[TextractOcrEngine]] = {
    LocalOcrEngine.name: LocalOcrEngine,
    TextractOcrEngine.name: TextractOcrEngine,
}


def engine_for(name: str) -> OcrEngine:
    """The engine called ``name`` ("local" or "textract"); ValueError for anything else."""
    try:
        engine = ENGINES[name.strip().lower()]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown OCR engine {name!r}: expected one of {known}") from None
    return engine()
