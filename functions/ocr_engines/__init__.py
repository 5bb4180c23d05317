"""OCR engines behind one interface (local RapidOCR, AWS Textract), heavy imports deferred.

Only the event-driven functions import this package; roster matching is pure and lives in
``chalicelib.domain.matching``.
"""

from .engines import ENGINES, LocalOcrEngine, OcrEngine, TextractOcrEngine, engine_for

__all__ = ["ENGINES", "LocalOcrEngine", "OcrEngine", "TextractOcrEngine", "engine_for"]
