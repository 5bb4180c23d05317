"""Roster files: both CSV forms, both separators, BOM or not, per-line errors, structural refusals."""

import pytest

from chalicelib.domain.roster import RosterFileError, parse_roster, split_pronote_name

PRONOTE = (
    "Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\r\n"
    "DUPONT Élodie;03/04/2010;elodie.dupont@lycee.example.org;3B;G1\r\n"
    "DE LA TOUR Jean-Baptiste;15/09/2009;;3B;G2\r\n"
)
PLAIN = (
    "last_name,first_name,email,class,group,student_number\n"
    "Martin,Léa,lea.martin@lycee.example.org,3A,,A123\n"
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_pronote_export_with_or_without_bom(bom):
    rows, errors = parse_roster(bom + PRONOTE.encode())
    assert errors == []
    assert [(r.last_name, r.first_name, r.birth_date, r.email) for r in rows] == [
        ("DUPONT", "Élodie", "2010-04-03", "elodie.dupont@lycee.example.org"),
        ("DE LA TOUR", "Jean-Baptiste", "2009-09-15", None),
    ]


@pytest.mark.parametrize("separator", [",", ";"])
def test_plain_header_with_either_separator(separator):
    rows, errors = parse_roster(PLAIN.replace(",", separator).encode())
    assert errors == [] and rows[0].student_number == "A123" and rows[0].class_name == "3A"


def test_bad_lines_are_reported_and_skipped():
    data = (
        PRONOTE
        + "DURAND Paul;31/02/2010;;3B;\r\nLEROY;01/01/2010;;3B;\r\nX Y;01/01/2010;not-an-email;3B;\r\n"
    )
    rows, errors = parse_roster(data.encode())
    assert len(rows) == 2
    assert [
        (e.line, fragment in e.message)
        for e, fragment in zip(errors, ["birth date", "first name", "e-mail"], strict=True)
    ] == [(4, True), (5, True), (6, True)]


def test_duplicate_email_in_the_file_is_a_line_error():
    data = PLAIN + "Martin,Lou,lea.martin@lycee.example.org,3A,,A124\n"
    rows, errors = parse_roster(data.encode())
    assert len(rows) == 1 and errors[0].line == 3 and "already on line 2" in errors[0].message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"name;born\nDUPONT;1/1/2010\n", "Unknown header"),
        ("Élèves;Né(e) le;Adresse E-mail;Classe;Groupe\nDUPONT Élo".encode("latin-1"), "UTF-8"),
    ],
)
def test_structural_errors_refuse_the_whole_file(data, fragment):
    with pytest.raises(RosterFileError, match=fragment):
        parse_roster(data)


def test_pronote_names_split_capitals_from_first_names():
    assert split_pronote_name("MARTIN-DURAND Léa Marie") == ("MARTIN-DURAND", "Léa Marie")
    assert split_pronote_name("N'GUYEN Anh") == ("N'GUYEN", "Anh")
