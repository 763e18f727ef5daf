"""What every import reads (common/imports.py), through the trainee importer and its command: the
encoding rule, the limits checked before a workbook is parsed, and the errors of a file whose
every row is bad (counted per column and reason, the first ones shown, in seconds)."""

import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from common.imports import decode_text
from tests.fixtures.spreadsheets import ROWS, csv_bytes, sheet_xml, xlsx_bytes, xlsx_with_sheet_xml
from trainees.imports import REQUIRED_COLUMNS, import_trainees
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def _message(report):
    assert not report.ok and not report.committed
    assert Trainee.objects.count() == 0
    return report.errors[0].message


# --- encodings: one rule, whole files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "encoding", "delimiter"),
    [
        (lambda rows: csv_bytes(rows), "UTF-8", ","),
        (lambda rows: b"\xef\xbb\xbf" + csv_bytes(rows), "UTF-8", ","),
        (lambda rows: csv_bytes(rows, delimiter=";", encoding="cp1252"), "Windows-1252", ";"),
        (lambda rows: b"\xef\xbb\xbf" + csv_bytes(rows, delimiter=";"), "UTF-8", ";"),
    ],
    ids=["utf8", "utf8-bom", "excel-es-cp1252-semicolons", "excel-es-utf8-bom-semicolons"],
)
def test_a_file_cleanly_in_one_encoding_imports_with_its_accents(tmp_path, encode, encoding, delimiter):
    path = tmp_path / "trainees.csv"
    path.write_bytes(encode(ROWS))
    report = import_trainees(path.read_bytes(), filename=path.name, commit=True)
    assert report.committed, report.errors
    assert (report.encoding, report.delimiter) == (encoding, delimiter)
    names = set(Trainee.objects.values_list("given_names", "paternal_surname", "maternal_surname"))
    assert names == {("José Ángel", "Núñez", "Peña"), ("María José", "Ibáñez", ""), ("Íñigo", "Sáenz", "Muñoz")}


def test_a_utf8_file_with_one_windows_1252_byte_is_refused_naming_line_byte_and_column(tmp_path):
    rows = [list(row) for row in ROWS]
    data = csv_bytes(rows)
    # Line 3 (the second trainee): "María" typed in by a program writing Windows-1252.
    data = data.replace("María José".encode(), b"Mar" + b"\xeda Jos\xc3\xa9")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_trainees", str(path))
    message = _message(import_trainees(data, filename="mixed.csv"))
    assert message.startswith("Line 3, byte 0xED at column 14 is not valid UTF-8, and the rest of the file is UTF-8")
    assert "CSV UTF-8" in message
    assert not Trainee.objects.filter(given_names__contains="Ã").exists()


def test_a_byte_order_mark_followed_by_windows_1252_is_an_encoding_problem():
    data = b"\xef\xbb\xbf" + csv_bytes(ROWS, delimiter=";", encoding="cp1252")
    message = _message(import_trainees(data, filename="bom.csv"))
    assert message.startswith("Line 2, byte 0xE9 at column 14 is not valid UTF-8, although the file starts")
    assert "service_number" not in message


def test_bytes_windows_1252_leaves_undefined_are_refused():
    data = csv_bytes(ROWS, encoding="cp1252").replace(b"Guardia", b"Gu\x81rdia")
    assert _message(import_trainees(data)).startswith("Line 3, byte 0x81 at column 54 is not valid Windows-1252")


def test_the_encoding_rule_in_one_function():
    assert decode_text("Peña".encode()) == ("Peña", "UTF-8")
    assert decode_text(b"\xef\xbb\xbfPe\xc3\xb1a") == ("Peña", "UTF-8")
    assert decode_text(b"Pe\xf1a") == ("Peña", "Windows-1252")
    assert decode_text("Peña".encode("utf-16")) == ("Peña", "UTF-16")


# --- limits, checked before the workbook is parsed -------------------------------------------------


def _bomb(megabytes):
    """A workbook of about a hundred kilobytes whose sheet inflates to `megabytes` MB."""
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    chunk = row * 1024  # about 1 MB
    header = [(letter, name) for letter, name in zip("ABCD", REQUIRED_COLUMNS, strict=True)]
    return xlsx_with_sheet_xml([*sheet_xml([header])][:-1] + [chunk] * megabytes + [b"</sheetData></worksheet>"])


def test_an_xlsx_bomb_is_refused_before_it_is_parsed_and_memory_stays_flat(settings):
    bomb = _bomb(150)
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    report = import_trainees(bomb, filename="bomb.xlsx")
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _message(report).startswith("This workbook would take 153.5\xa0MB once opened")
    assert "the limit is 100.0\xa0MB" in report.errors[0].message
    assert peak < 5 * 1024 * 1024, peak
    assert elapsed < 1


def test_a_workbook_compressed_far_more_than_a_spreadsheet_is_refused(settings):
    settings.IMPORT_MAX_COMPRESSION_RATIO = 50
    message = _message(import_trainees(_bomb(20), filename="bomb.xlsx"))
    assert "is compressed" in message and "not opened" in message


def test_a_sheet_reaching_column_xfd_is_refused_from_its_dimension():
    rows = [[(letter, name) for letter, name in zip("ABCD", REQUIRED_COLUMNS, strict=True)]]
    rows += [[("A", f"MX-{n}"), ("B", "Ana"), ("XFD", "x")] for n in range(20_000)]
    data = xlsx_with_sheet_xml(sheet_xml(rows, dimension="A1:XFD20001"))
    started = time.monotonic()
    message = _message(import_trainees(data, filename="wide.xlsx"))
    assert time.monotonic() - started < 2
    assert message == (
        "The sheet reaches column XFD (16384 columns); the limit is 100. Delete the cells to the right of the table."
    )


def test_a_sheet_without_dimension_is_read_no_wider_than_the_limit(settings):
    settings.IMPORT_MAX_COLUMNS = 20
    header = [(letter, name) for letter, name in zip("ABCD", REQUIRED_COLUMNS, strict=True)]
    rows = [header, [("A", "MX-1"), ("U", "x")]]
    message = _message(import_trainees(xlsx_with_sheet_xml(sheet_xml(rows)), filename="wide.xlsx"))
    assert message == "Row 2 has 21 columns; the limit is 20. Delete the cells to the right of the table."


def test_rows_columns_and_cell_length_are_bounded_in_csv_and_xlsx(settings):
    settings.IMPORT_MAX_ROWS = 2
    for data in (csv_bytes(ROWS), xlsx_bytes(ROWS)):
        assert _message(import_trainees(data)) == "The file has more than 2 rows; split it into smaller files."
    settings.IMPORT_MAX_ROWS = 10
    settings.IMPORT_MAX_COLUMNS = 12
    assert _message(import_trainees(csv_bytes(ROWS))).startswith("Row 1 has 13 columns; the limit is 12.")
    assert _message(import_trainees(xlsx_bytes(ROWS))).startswith("The sheet reaches column M (13 columns)")
    settings.IMPORT_MAX_COLUMNS = 100
    settings.IMPORT_MAX_CELL_CHARS = 50
    rows = [list(row) for row in ROWS]
    rows[1][10] = "a" * 51 + "@example.mx"
    for data in (csv_bytes(rows), xlsx_bytes(rows)):
        assert _message(import_trainees(data)) == "Row 3, column 11 holds 62 characters; a cell may hold at most 50."


# --- a file whose every row is bad ------------------------------------------------------------------


def _bad_rows(count):
    return [[f"X{n}", "", "", "", "r", "navy", "", "", "ZZ", "x", "bad@", "", "retired"] for n in range(count)]


def test_fifty_thousand_bad_rows_report_in_seconds_with_counts_per_column_and_reason():
    data = csv_bytes(_bad_rows(50_000))
    started = time.monotonic()
    report = import_trainees(data, filename="bad.csv")
    assert time.monotonic() - started < 5
    assert report.stopped_after_row == 1001
    assert report.error_count == 7_000
    assert len(report.errors) == 100
    assert [(e.row, e.column) for e in report.errors[:3]] == [
        (2, "given_names"),
        (2, "paternal_surname"),
        (2, "category"),
    ]
    groups = {(group.column, group.reason): group.count for group in report.error_groups}
    assert groups == {
        ("category", "invalid_choice"): 1_000,
        ("email", "invalid"): 1_000,
        ("gender", "invalid_choice"): 1_000,
        ("given_names", "required"): 1_000,
        ("nationality", "invalid_country"): 1_000,
        ("paternal_surname", "required"): 1_000,
        ("status", "invalid_choice"): 1_000,
    }


def test_the_preview_of_a_bad_file_lists_the_first_errors_and_the_counts(admin_user, client):
    client.force_login(admin_user)
    data = csv_bytes(_bad_rows(5_000))
    page = client.post(reverse("trainees:import"), {"file": SimpleUploadedFile("bad.csv", data)})
    html = page.content.decode()
    assert page.status_code == 200
    assert "7000 errors: nothing will be imported" in html
    assert "The first 100 of 7000 errors." in html
    assert "Checking stopped after row 1001: 1000 rows have errors." in html
    assert html.count("<tr><td>") == 100 + 7  # the errors shown, and a row per column and reason
    assert len(page.content) < 150_000


def test_the_command_prints_the_first_errors_and_the_counts(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(_bad_rows(2_000)))
    with pytest.raises(CommandError, match="7000 error"):
        call_command("import_trainees", str(path))
    err = capsys.readouterr().err
    assert err.count("\n") < 120
    assert "… the first 100 of 7000 errors" in err
    assert "1000 × nationality: “ZZ” is not a country" in err
