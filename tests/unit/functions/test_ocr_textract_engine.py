"""The Textract engine against recorded responses: a fake client and botocore's Stubber, never the network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.domain.matching import RosterEntry, normalise, rank_candidates
from functions.ocr_engines.engines import (
    LocalOcrEngine,
    OcrEngine,
    TextractOcrEngine,
    engine_for,
    textract_lines,
)

IMAGE = b"\xff\xd8\xff\xe0 fake JPEG bytes of a header crop"


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """No mocked AWS account needed here (overrides the unit suite's fixture)."""
    yield


def line(text: str, left: float, top: float, width: float = 0.3, height: float = 0.06,
         block_id: str | None = None) -> dict[str, Any]:
    """A LINE block as DetectDocumentText returns it (normalised geometry)."""
    return {
        "BlockType": "LINE",
        "Id": block_id or f"line-{left}-{top}",
        "Text": text,
        "Confidence": 99.1,
        "Geometry": {
            "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
            "Polygon": [{"X": left, "Y": top}, {"X": left + width, "Y": top},
                        {"X": left + width, "Y": top + height}, {"X": left, "Y": top + height}],
        },
    }


def word(text: str, left: float, top: float) -> dict[str, Any]:
    block = line(text, left, top, width=0.1)
    block.update(BlockType="WORD", Id=f"word-{text}-{left}", TextType="PRINTED")
    return block


# Recorded shape of a DetectDocumentText answer for a header crop (one PAGE, LINE and WORD children),
# with the LINE blocks deliberately out of reading order and two lines on the same row.
RECORDED = {
    "DocumentMetadata": {"Pages": 1},
    "DetectDocumentTextModelVersion": "1.0",
    "Blocks": [
        {"BlockType": "PAGE", "Id": "page-1",
         "Geometry": {"BoundingBox": {"Width": 1.0, "Height": 1.0, "Left": 0.0, "Top": 0.0},
                      "Polygon": [{"X": 0.0, "Y": 0.0}, {"X": 1.0, "Y": 0.0}, {"X": 1.0, "Y": 1.0},
                                  {"X": 0.0, "Y": 1.0}]},
         "Relationships": [{"Type": "CHILD", "Ids": ["l3", "l2", "l1", "l4"]}]},
        line("Classe : 3B", 0.07, 0.70, block_id="l3"),
        line("Prénom : Élodie", 0.48, 0.42, block_id="l2"),
        line("Collège Jean Moulin - Devoir surveillé n°3", 0.07, 0.12, width=0.8, block_id="l1"),
        line("NOM : DUPONT", 0.07, 0.41, block_id="l4"),
        word("NOM", 0.07, 0.41),
        word("DUPONT", 0.2, 0.41),
    ],
}
EXPECTED = "Collège Jean Moulin - Devoir surveillé n°3\nNOM : DUPONT Prénom : Élodie\nClasse : 3B"


class FakeTextract:
    """Just enough of a boto3 Textract client: records calls, answers with a recorded response."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.calls: list[dict[str, Any]] = []

    def detect_document_text(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return self.response


def test_lines_come_out_in_reading_order_with_a_row_on_one_line() -> None:
    fake = FakeTextract(RECORDED)
    text = TextractOcrEngine(client=fake).read_text(IMAGE)
    assert text == EXPECTED
    assert fake.calls == [{"Document": {"Bytes": IMAGE}}]


def test_words_and_pages_are_not_repeated() -> None:
    assert textract_lines(RECORDED).count("DUPONT") == 1


def test_an_empty_answer_reads_as_no_text() -> None:
    assert TextractOcrEngine(client=FakeTextract({"Blocks": []})).read_text(IMAGE) == ""
    assert textract_lines({}) == ""


def test_stubbed_boto3_client_end_to_end_to_a_suggestion() -> None:
    client = boto3.client("textract", region_name="eu-west-3")
    with Stubber(client) as stub:
        stub.add_response("detect_document_text", RECORDED, expected_params={"Document": {"Bytes": IMAGE}})
        text = TextractOcrEngine(client=client).read_text(IMAGE)
        stub.assert_no_pending_responses()
    assert "DUPONT" in normalise(text) and "ELODIE" in normalise(text)
    roster = [RosterEntry("s1", "Anne", "Dupont"), RosterEntry("s2", "Élodie", "Dupont"),
              RosterEntry("s3", "Jean", "Moulin")]
    assert rank_candidates(text, roster)[0].student_id == "s2"


def test_textract_errors_reach_the_caller() -> None:
    client = boto3.client("textract", region_name="eu-west-3")
    with Stubber(client) as stub:
        stub.add_client_error("detect_document_text", http_status_code=400,
                              service_error_code="ProvisionedThroughputExceededException")
        with pytest.raises(ClientError):
            TextractOcrEngine(client=client).read_text(IMAGE)


def test_the_default_client_is_the_projects_textract_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.aws

    asked: list[str] = []
    fake = FakeTextract(RECORDED)

    def client(service: str) -> FakeTextract:
        asked.append(service)
        return fake

    monkeypatch.setattr(chalicelib.aws, "client", client)
    engine = TextractOcrEngine()
    assert asked == []  # nothing created before the first read
    assert engine.read_text(IMAGE) == EXPECTED
    engine.read_text(IMAGE)
    assert asked == ["textract"]
    assert len(fake.calls) == 2


def test_empty_image_is_refused_before_calling_aws() -> None:
    fake = FakeTextract(RECORDED)
    with pytest.raises(ValueError, match="empty"):
        TextractOcrEngine(client=fake).read_text(b"")
    assert fake.calls == []


def test_engine_for_names_the_two_engines() -> None:
    assert isinstance(engine_for("textract"), TextractOcrEngine)
    assert isinstance(engine_for("local"), LocalOcrEngine)
    assert engine_for(" Local ").name == "local"
    assert isinstance(engine_for("textract"), OcrEngine)
    for wrong in ("tesseract", "", "aws"):
        with pytest.raises(ValueError, match="unknown OCR engine"):
            engine_for(wrong)
