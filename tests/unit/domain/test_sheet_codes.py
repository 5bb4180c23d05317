"""A sheet's page code reads back as the same page, and nothing else reads as a page."""

from __future__ import annotations

import pytest

from chalicelib.domain.sheet_codes import SheetCode, code_key, decode, encode, printed_label, read_printed

KEY = code_key("a-secret-key-of-at-least-32-characters!")
PAGE = SheetCode("ex-42", "s017", 3)


def test_a_code_reads_back_as_its_page() -> None:
    text = encode(PAGE, KEY)

    assert text.startswith("KRG1:ex-42:s017:3:")
    assert decode(text, KEY) == PAGE
    assert decode(f"  {text}\n", KEY) == PAGE


@pytest.mark.parametrize(
    "text",
    [
        "KRG1:ex-42:s017:4:" + encode(PAGE, KEY).rsplit(":", 1)[1],  # page changed, check kept
        "KRG1:ex-43:s017:3:" + encode(PAGE, KEY).rsplit(":", 1)[1],  # another exam
        "https://example.org/some-other-tool",
        "KRG2:ex-42:s017:3:0123456789",
        "",
    ],
)
def test_anything_else_reads_as_nothing(text: str) -> None:
    assert decode(text, KEY) is None


def test_another_platform_secret_does_not_read_our_codes() -> None:
    assert decode(encode(PAGE, KEY), code_key("another-secret-key-of-32-characters-x")) is None


@pytest.mark.parametrize(
    "code", [SheetCode("ex:1", "s1", 1), SheetCode("ex", "s1", 0), SheetCode("ex", "s1", 91)]
)
def test_codes_that_could_not_be_read_back_are_refused(code: SheetCode) -> None:
    with pytest.raises(ValueError):
        encode(code, KEY)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (printed_label("s012", 2, 2), ("s012", 2)),
        ("Korrigo · Copie a003 · page 1 / 4 · ne pas écrire dans les marges", ("a003", 1)),
        ("Histoire\nCOPIE 5O12 . page 2/2", ("s012", 2)),  # OCR's usual confusions
        ("Copie s001 · page 5 / 4", None),  # a page beyond its booklet
        ("Élève : DUPONT Zoé", None),
    ],
)
def test_the_printed_line_reads_back_as_its_booklet_and_page(text: str, read: tuple[str, int] | None) -> None:
    assert read_printed(text) == read
