"""Roster files: headers by name in any order, UTF-8 or Windows-1252, `,` `;` or tab, errors, refusals."""

import pytest

from chalicelib.domain.roster import RosterFileError, parse_roster, read_roster, split_pronote_name

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
        (b"%PDF-1.7\n\x00\x01\x02\xff\xfe binary", "not a CSV text file"),
        ("Nom;Prénom\r\nDUPONT;Élodie\r\n".encode("utf-16"), "not a CSV text file"),
        (b"\xef\xbb\xbfNom;Pr\xe9nom\nDUPONT;Jean\n", "not a CSV text file"),
        (b"Nom\x1b;Prenom\nA;B\n", "not a CSV text file"),
        (b"Email;Classe\nx@y.org;3B\n", "No name column"),
        ("Nom;Nom de famille;Prénom\nA;B;C\n".encode(), "Two columns hold the same information"),
    ],
)
def test_structural_errors_refuse_the_whole_file(data, fragment):
    with pytest.raises(RosterFileError, match=fragment):
        parse_roster(data)


def test_a_file_without_a_name_column_names_its_columns_and_the_expected_ones():
    with pytest.raises(RosterFileError) as refused:
        parse_roster("Élève n°;Courriel;Classe\r\n1;a@lycee.example.org;3B\r\n".encode("cp1252"))
    message = str(refused.value)
    assert "“Élève n°”, “Courriel”, “Classe”" in message
    assert "Nom, last_name" in message and "Prénom, first_name" in message and "Élèves" in message


# ---------------------------------------------------------------- French Excel, any order, any separator


def test_a_french_excel_file_in_windows_1252_with_semicolons_and_french_headers_imports():
    data = (
        "Nom;Prénom;Classe;Date de naissance\r\n"
        "LEFÈVRE;Chloé;3ème B;03/04/2010\r\n"
        "N'GUYEN;Anaïs;3ème B;15/09/2009\r\n"
    ).encode("cp1252")
    roster = read_roster(data)
    assert roster.errors == []
    assert [(r.last_name, r.first_name, r.class_name, r.birth_date) for r in roster.rows] == [
        ("LEFÈVRE", "Chloé", "3ème B", "2010-04-03"),
        ("N'GUYEN", "Anaïs", "3ème B", "2009-09-15"),
    ]
    assert roster.mapping() == {
        "encoding": "Windows-1252",
        "delimiter": ";",
        "columns": {"last_name": "Nom", "first_name": "Prénom", "class_name": "Classe",
                    "birth_date": "Date de naissance"},
        "ignored": [],
    }


def test_a_utf8_bom_tab_separated_file_with_english_headers_in_another_order():
    data = (
        "\ufeffEmail\tGroup\tFirst Name\tStudent number\tLast_Name\tNotes\n"
        "lea.martin@lycee.example.org\tG1\tLéa\tA123\tMartin\tlikes maths\n"
        '"zoe@lycee.example.org"\t\t"Zoé"\tA124\t"Durand, Petit"\t\n'
    ).encode()
    roster = read_roster(data)
    assert roster.errors == []
    assert [(r.last_name, r.first_name, r.email, r.group, r.student_number) for r in roster.rows] == [
        ("Martin", "Léa", "lea.martin@lycee.example.org", "G1", "A123"),
        ("Durand, Petit", "Zoé", "zoe@lycee.example.org", None, "A124"),
    ]
    assert (roster.encoding, roster.delimiter, roster.ignored) == ("UTF-8 with BOM", "\t", ["Notes"])
    assert roster.columns["last_name"] == "Last_Name" and roster.columns["student_number"] == "Student number"


def test_last_name_first_name_email_is_enough():
    roster = read_roster(b"last_name,first_name,email\nMartin,Lucas,lucas@lycee.example.org\n")
    assert roster.errors == [] and roster.rows[0].email == "lucas@lycee.example.org"
    assert (roster.rows[0].class_name, roster.rows[0].student_number, roster.rows[0].birth_date) == (
        None, None, None)
    assert roster.encoding == "UTF-8" and roster.delimiter == ","


def test_quoted_headers_with_separators_inside_do_not_fool_the_delimiter():
    roster = read_roster(b'"Nom";"Pr\xe9nom";"Adresse e-mail, personnelle";"Mail"\nA;B;;b@x.org\n')
    assert roster.delimiter == ";" and roster.rows[0].email == "b@x.org"
    assert roster.ignored == ["Adresse e-mail, personnelle"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Courriel", "email"), ("E-mail", "email"), ("ADRESSE E-MAIL", "email"),
        ("N° élève", "student_number"),
        ("INE", "student_number"), ("Numéro", "student_number"), ("Né(e) le", "birth_date"),
        ("birthdate", "birth_date"), ("Groupe", "group"), ("class", "class_name"), ("Surname", "last_name"),
        ("prenom", "first_name"),
    ],
)
def test_french_and_english_header_names_fold_accents_case_and_spaces(header, field):
    others = {"last_name": "Prénom", "first_name": "Nom"}.get(field, "Nom;Prénom")
    roster = read_roster(f"{others};{header}\n".encode())
    assert roster.columns[field] == header


def test_the_pronote_export_is_read_through_its_combined_name_column():
    roster = read_roster(PRONOTE.encode())
    assert roster.columns == {"full_name": "Élèves", "birth_date": "Né(e) le", "email": "Adresse E-mail",
                              "class_name": "Classe", "group": "Groupe"}


def test_pronote_names_split_capitals_from_first_names():
    assert split_pronote_name("MARTIN-DURAND Léa Marie") == ("MARTIN-DURAND", "Léa Marie")
    assert split_pronote_name("N'GUYEN Anh") == ("N'GUYEN", "Anh")


# --------------------------------------------------------------------------- identities of the rows

from chalicelib.domain.roster import Create, Known, LineError, Update, decide, login_base  # noqa: E402


def row(**fields):
    from chalicelib.domain.roster import RosterRow

    base = {"line": 7, "last_name": "MARTIN", "first_name": "Lucas", "email": None, "birth_date": None,
            "class_name": None, "group": None, "student_number": None}
    return RosterRow(**{**base, **fields})


def test_a_row_is_an_existing_student_only_by_its_email_or_its_number():
    lucas = Known("s1", "lucas@lycee.example.org", "N1")
    assert decide(row(email="lucas@lycee.example.org"), by_email=lucas, by_number=None, namesakes=[]) == (
        Update("s1"))
    assert decide(row(student_number="N1"), by_email=None, by_number=lucas, namesakes=[]) == Update("s1")
    # Same name, another e-mail: another pupil, whatever the name says.
    assert decide(row(email="lucas.m@lycee.example.org"), by_email=None, by_number=None,
                  namesakes=["s1"]) == Create()


def test_an_email_and_a_number_of_two_students_is_a_line_error():
    decision = decide(row(email="a@x.org", student_number="N2"), by_email=Known("s1", "a@x.org", None),
                      by_number=Known("s2", None, "N2"), namesakes=[])
    assert isinstance(decision, LineError) and decision.line == 7
    assert "two different students" in decision.message


@pytest.mark.parametrize(("fields", "known", "fragment"), [
    ({"email": "new@x.org", "student_number": "N1"}, {"by_number": Known("s1", "old@x.org", "N1")},
     "another e-mail"),
    ({"email": "a@x.org", "student_number": "N9"}, {"by_email": Known("s1", "a@x.org", "N1")},
     "another student number"),
])
def test_a_half_matching_row_is_ambiguous(fields, known, fragment):
    decision = decide(row(**fields), **{"by_email": None, "by_number": None, **known}, namesakes=[])
    assert isinstance(decision, LineError) and fragment in decision.message


def test_a_row_without_email_or_number_matches_one_namesake_of_the_exam_or_none():
    bare = row(birth_date="2010-01-02")
    assert decide(bare, by_email=None, by_number=None, namesakes=[]) == Create()
    assert decide(bare, by_email=None, by_number=None, namesakes=["s1"]) == Update("s1")
    several = decide(bare, by_email=None, by_number=None, namesakes=["s1", "s2"])
    assert isinstance(several, LineError) and "add an e-mail or a student number" in several.message


def test_a_name_alone_is_refused_on_its_line():
    rows, errors = parse_roster((PLAIN.splitlines()[0] + "\nMARTIN,Lucas,,3B,,\n").encode())
    assert rows == [] and errors[0].line == 2 and "a name alone" in errors[0].message


def test_repeated_numbers_or_namesakes_without_email_are_line_errors():
    rows, errors = parse_roster((PLAIN + "Durand,Paul,,3A,,A123\n").encode())
    assert [r.line for r in rows] == [2]
    assert errors[0].line == 3 and "student number A123" in errors[0].message
    pronote = PRONOTE + "DE LA TOUR Jean-Baptiste;15/09/2009;;3C;G1\r\n"
    rows, errors = parse_roster(pronote.encode())
    assert len(rows) == 2 and errors[0].line == 4 and "same name and birth date" in errors[0].message


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("Lucas", "MARTIN", "lucas.martin"),
    ("Jean-Baptiste", "DE LA TOUR", "jean-baptiste.de-la-tour"),
    ("Zoé", "N'Guyen", "zoe.n-guyen"),
    ("李", "王", "student"),
])
def test_sign_in_ids_are_lower_case_ascii_without_at(first, last, expected):
    assert login_base(first, last) == expected


def test_a_rename_is_any_change_of_the_stored_name_and_its_token_names_the_exact_list():
    from chalicelib.domain.roster import Rename, renames, renames_token

    [row] = parse_roster(PLAIN.encode())[0]
    assert not renames(row, "Martin", "Léa")
    assert renames(row, "MARTIN", "Léa") and renames(row, "Martin", "Lea")
    marie = Rename(2, "s1", ("DUPONT", "Marie"), ("DUPONT-MARTIN", "Marie"), "marie@x.org")
    anna = Rename(3, "s2", ("LEROY", "Anna"), ("LEROY", "Anne"))
    assert renames_token([marie, anna]) == renames_token([anna, marie])
    assert renames_token([marie]) != renames_token([marie, anna])
    assert renames_token([marie]) != renames_token([Rename(2, "s1", ("DUPONT", "Marie"), ("DUPONT", "Mari"))])
    assert Rename.from_dict(marie.as_dict()) == marie


def test_every_skipped_line_says_why_with_a_stable_reason_and_its_values():
    text = (
        "Nom;Prénom;Courriel;Né(e) le\n"
        "DUPONT;Élodie;pas-un-mail;\n"
        "MARTIN;Léa;;31/02/2010\n"
        ";Noé;noe@lycee.example.org;\n"
        "ROUX;Inès;;\n"
        "BLANC;Zoé;zoe@lycee.example.org;\n"
        "BLANC;Zoé;zoe@lycee.example.org;\n"
        "SEUL\n"
    )
    errors = read_roster(text.encode()).errors
    assert [(e.line, e.reason) for e in errors] == [
        (2, "roster_line_email_invalid"),
        (3, "roster_line_birth_date_format"),
        (4, "roster_line_name_missing"),
        (5, "roster_line_identity_missing"),
        (7, "roster_line_email_repeated"),
        (8, "roster_line_columns"),
    ]
    assert errors[0].params == {"value": "pas-un-mail"}
    assert errors[4].params["first"] == 6 and errors[5].params == {"expected": 4, "found": 1}
    assert errors[4].as_dict() == {
        "line": 7,
        "message": "the e-mail zoe@lycee.example.org is already on line 6",
        "reason": "roster_line_email_repeated",
        "params": {"first": 6, "email": "zoe@lycee.example.org", "number": None},
    }
