"""The Pronote export matches its golden file byte for byte."""

from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.domain.pronote import COMMENT_LIMIT, PronoteLine, french_decimal, pronote_csv, safe_cell

GOLDEN = Path(__file__).parent / "golden" / "pronote.csv"


def line(last, first, born, total, max_points, comment):
    return PronoteLine(
        last, first, born, "Mathématiques", Decimal(total), Decimal(max_points), Decimal(1), comment
    )


def test_the_file_matches_the_golden_file_byte_for_byte():
    data = pronote_csv(
        [
            line(
                "DUPONT", "Élodie", "2011-04-03", "31.11", "40", "=Très bon travail.\nSoignez la rédaction."
            ),
            line("LEFÈVRE", "Noé", "2011-09-15", "6", "15", "Calculs justes; raisonnement à revoir"),
            line("O’BRIEN", "Zaïa", None, "20", "20", ""),
        ]
    )
    assert data == GOLDEN.read_bytes()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("15.555", "15,56"), ("15.554", "15,55"), ("0.005", "0,01"), ("20", "20,00"), ("9.995", "10,00")],
)
def test_grades_round_half_up_with_a_decimal_comma(value, expected):
    assert french_decimal(Decimal(value)) == expected


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("x")', "+33 6", "-2+3", "@SUM(A1)", " \t=cmd"])
def test_spreadsheet_formulas_are_defused(dangerous):
    assert safe_cell(dangerous)[0] not in "=+-@ \t"


def test_comments_are_one_line_and_capped():
    comment = safe_cell("a\r\nb\n" + "x" * 800, COMMENT_LIMIT)
    assert "\n" not in comment and "\r" not in comment and len(comment) == COMMENT_LIMIT


def test_every_user_text_cell_of_the_file_is_defused():
    data = pronote_csv(
        [
            PronoteLine("=cmd|' /C calc'!A0", "+Zoé", "2011-04-03", "@Maths", Decimal(10), Decimal(20),
                        Decimal(1), "-1 point\tpour la forme"),
        ]
    )
    cells = data.decode("utf-8-sig").split("\r\n")[1].split(";")
    assert cells[0].startswith("cmd") and cells[1] == "Zoé" and cells[3] == "Maths"
    assert cells[6] == "1 point pour la forme"
    assert all(cell[:1] not in "=+-@\t\r " for cell in cells)


def test_the_guard_is_one_function_shared_with_the_other_csv_files():
    from chalicelib.domain import csv_safety, pronote

    assert pronote.safe_cell is csv_safety.safe_cell
    assert csv_safety.safe_cell(None) == "" and csv_safety.safe_cell("\u00a0=1+1") == "1+1"
