"""One CSV dialect for people (French Excel) by default, RFC 4180 on request, nothing else."""

from decimal import Decimal

import pytest

from chalicelib.domain.csv_format import DEFAULT, FRENCH_EXCEL, RFC_4180, dialect_named, rewrite
from chalicelib.errors import BadRequest

ROWS = [["name", "points"], ["Dupont; Élodie", "14,25"]]


def test_the_default_opens_as_columns_in_french_excel():
    data = DEFAULT.encode(ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == 'name;points\r\n"Dupont; Élodie";14,25\r\n'


def test_rfc_is_commas_without_bom():
    assert RFC_4180.encode([["name", "points"], ["Noé", "14.25"]]) == "name,points\r\nNoé,14.25\r\n".encode()


@pytest.mark.parametrize(
    ("value", "places", "french", "rfc"),
    [
        (14.25, None, "14,25", "14.25"),
        (Decimal("20"), None, "20", "20"),
        (Decimal("11.750"), None, "11,75", "11.75"),
        (Decimal("1E+1"), None, "10", "10"),
        (Decimal("15.555"), 2, "15,56", "15.56"),
        (Decimal("20"), 2, "20,00", "20.00"),
        (None, None, "", ""),
    ],
)
def test_numbers_use_the_dialects_decimal_separator(value, places, french, rfc):
    assert FRENCH_EXCEL.number(value, places) == french
    assert RFC_4180.number(value, places) == rfc


def test_a_format_is_named_or_refused():
    assert dialect_named(None) is FRENCH_EXCEL
    assert dialect_named("excel") is FRENCH_EXCEL
    assert dialect_named("rfc") is RFC_4180
    for bad in ("", "RFC", "tsv", "excel;"):
        with pytest.raises(BadRequest, match="format=rfc"):
            dialect_named(bad)


def test_a_default_file_rewritten_keeps_every_cell():
    data = DEFAULT.encode(ROWS)
    assert rewrite(data, DEFAULT) is data
    assert RFC_4180.decode(rewrite(data, RFC_4180)) == ROWS
