"""The trainee importer (trainees.imports) and the import_trainees command: files people really
produce, bad files with a clear message naming row and column, all or nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pghistory.models
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.factories import OrganizationFactory, TraineeFactory
from tests.fixtures.spreadsheets import HEADER, PNG_BYTES, ROWS, csv_bytes, libreoffice_convert, xlsx_bytes
from trainees.imports import import_trainees
from trainees.models import Organization, Trainee

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _state():
    """Everything an import could change: compared before and after a refused file."""
    return (
        sorted(Trainee.objects.values_list("service_number", "nationality", "given_names", "email", "updated_at")),
        sorted(Organization.objects.values_list("name", flat=True)),
    )


def _errors(report):
    return [(e.row, e.column, e.message) for e in report.errors]


# --- files people produce -------------------------------------------------------------------------


def test_utf8_csv_creates_trainees_and_their_organizations():
    report = import_trainees(csv_bytes(ROWS), filename="trainees.csv", commit=True)
    assert report.committed, report.errors
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (3, 0, 0)
    assert [o.name for o in report.new_organizations] == [
        "Batallón de Ingenieros",
        "Guardia Nacional",
        "Ejército de Guatemala",
    ]
    jose = Trainee.objects.select_related("organization").get(service_number="MX-100001", nationality="MX")
    assert (jose.given_names, jose.paternal_surname, jose.maternal_surname) == ("José Ángel", "Núñez", "Peña")
    assert jose.organization.name == "Batallón de Ingenieros"
    assert jose.phone == "+52 55 1234 5678"
    assert Trainee.objects.get(service_number="MX-100002").status == "deployed"
    guatemala = Organization.objects.get(name="Ejército de Guatemala")
    assert (guatemala.country.code, guatemala.kind) == ("GT", "partner")
    assert Organization.objects.get(name="Guardia Nacional").kind == "police"


def test_semicolon_separated_windows_1252_as_excel_saves_it_in_spanish():
    data = csv_bytes(ROWS, delimiter=";", encoding="cp1252")
    assert "Núñez".encode("cp1252") in data and b"\xc3" not in data  # really Windows-1252, not UTF-8
    report = import_trainees(data, filename="Libro1.csv", commit=True)
    assert report.committed, report.errors
    assert (report.encoding, report.delimiter) == ("Windows-1252", ";")
    assert Trainee.objects.get(service_number="GT-3001").full_name == "Íñigo Sáenz Muñoz"
    assert Trainee.objects.get(service_number="MX-100001").organization.name == "Batallón de Ingenieros"


def test_utf8_with_byte_order_mark():
    data = b"\xef\xbb\xbf" + csv_bytes(ROWS)
    report = import_trainees(data, filename="trainees.csv", commit=True)
    assert report.committed, report.errors
    assert report.encoding == "UTF-8"
    assert "service_number" in report.columns  # the BOM is not part of the first column's name
    assert Trainee.objects.get(service_number="MX-100002").paternal_surname == "Ibáñez"


def test_xlsx_with_empty_trailing_rows_and_numbers_typed_as_numbers():
    rows = [list(row) for row in ROWS]
    rows[2][0] = 3001  # a service number typed as a number
    rows[2][11] = 50212345678  # and a phone number
    data = xlsx_bytes(rows, trailing_empty_rows=5)
    report = import_trainees(data, filename="trainees.xlsx", commit=True)
    assert report.committed, report.errors
    assert (report.file_format, report.rows, len(report.created)) == ("XLSX", 3, 3)
    guatemalan = Trainee.objects.get(nationality="GT")
    assert (guatemalan.service_number, guatemalan.phone) == ("3001", "50212345678")


def test_quoted_fields_with_line_breaks_keep_the_row_numbers_right():
    rows = [list(row) for row in ROWS]
    rows[0][6] = "Infantería,\nprimer batallón"  # a comma and a line break inside one cell
    rows[1][1] = 'María "Majo"\r\nJosé'
    rows[2][10] = "not-an-email"
    report = import_trainees(csv_bytes(rows), filename="trainees.csv")
    # The header is row 1; the two multi-line records are rows 2 and 3, whatever their lines.
    assert _errors(report) == [(4, "email", "Enter a valid email address.")]
    rows[2][10] = ""
    report = import_trainees(csv_bytes(rows), filename="trainees.csv", commit=True)
    assert report.committed, report.errors
    assert Trainee.objects.get(service_number="MX-100001").branch == "Infantería,\nprimer batallón"
    assert Trainee.objects.get(service_number="MX-100002").given_names == 'María "Majo"\r\nJosé'


def test_header_in_any_order_and_case_labels_and_country_names():
    header = ["Nationality", "SERVICE_NUMBER", "Paternal surname", "given_names", "category", "gender", "status"]
    rows = [
        ["mex", "A-1", "Pérez", "Ana", "Police", "Female", "Deployed"],
        ["México", "A-2", "López", "Luis", "militar", "masculino", ""],
        ["Guatemala", "A-3", "Díaz", "Eva", "", "", "inactive"],
    ]
    report = import_trainees(csv_bytes(rows, header=header), filename="x.csv", commit=True)
    assert report.committed, report.errors
    ana, luis, eva = (Trainee.objects.get(service_number=n) for n in ("A-1", "A-2", "A-3"))
    assert (ana.nationality.code, ana.category, ana.gender, ana.status) == ("MX", "police", "female", "deployed")
    assert (luis.nationality.code, luis.category, luis.gender, luis.status) == ("MX", "military", "male", "active")
    assert (eva.nationality.code, eva.category, eva.status) == ("GT", "military", "inactive")


def test_a_matching_row_updates_and_an_identical_one_is_unchanged():
    organization = OrganizationFactory(name="Guardia Nacional")
    same = TraineeFactory(
        service_number="MX-100002",
        nationality="MX",
        given_names="María José",
        paternal_surname="Ibáñez",
        maternal_surname="",
        rank="Subinspectora",
        category="police",
        branch="",
        organization=organization,
        gender="female",
        email="maria.ibanez@example.mx",
        phone="",
        status="deployed",
    )
    changed = TraineeFactory(service_number="MX-100001", nationality="MX", email="old@example.mx", rank="Teniente")
    other_country = TraineeFactory(service_number="GT-3001", nationality="MX")  # same number, another country
    before = same.updated_at

    preview = import_trainees(csv_bytes(ROWS), filename="x.csv")
    assert [p.service_number for p in preview.unchanged] == ["MX-100002"]
    assert [p.service_number for p in preview.created] == ["GT-3001"]
    [update] = preview.updated
    changes = {c.column: (c.old, c.new) for c in update.changes}
    assert changes["email"] == ("old@example.mx", "jose.nunez@example.mx")
    assert changes["rank"] == ("Teniente", "Capitán")
    assert Trainee.objects.get(pk=changed.pk).email == "old@example.mx"  # a preview writes nothing

    report = import_trainees(csv_bytes(ROWS), filename="x.csv", commit=True)
    assert report.committed
    changed.refresh_from_db()
    assert (changed.email, changed.rank, changed.given_names) == ("jose.nunez@example.mx", "Capitán", "José Ángel")
    assert changed.updated_at > before
    same.refresh_from_db()
    assert same.updated_at == before
    other_country.refresh_from_db()
    assert other_country.nationality.code == "MX"
    assert Trainee.objects.filter(service_number="GT-3001").count() == 2


def test_columns_absent_from_the_file_are_left_alone():
    trainee = TraineeFactory(service_number="B-1", nationality="MX", email="keep@example.mx", phone="5555")
    header = ["service_number", "nationality", "given_names", "paternal_surname"]
    report = import_trainees(csv_bytes([["B-1", "MX", "Beatriz", "Bravo"]], header=header), commit=True)
    assert report.committed
    trainee.refresh_from_db()
    assert (trainee.given_names, trainee.email, trainee.phone) == ("Beatriz", "keep@example.mx", "5555")


def test_formula_safe_cells_from_an_export_import_as_their_value():
    rows = [list(ROWS[0])]
    rows[0][1] = "'=HYPERLINK(1)"
    rows[0][11] = "'+52 55 1234 5678"
    assert import_trainees(csv_bytes(rows), commit=True).committed
    trainee = Trainee.objects.get(service_number="MX-100001")
    assert (trainee.given_names, trainee.phone) == ("=HYPERLINK(1)", "+52 55 1234 5678")


def test_an_import_is_recorded_in_the_history_as_the_import():
    import_trainees(csv_bytes(ROWS[:1]), filename="lote-7.csv", commit=True)
    event = Trainee.pgh_event_model.objects.get(service_number="MX-100001")
    context = pghistory.models.Context.objects.get(pk=event.pgh_context_id)
    assert context.metadata["source"] == "import_trainees"
    assert context.metadata["import_file"] == "lote-7.csv"


def test_query_count_does_not_grow_with_rows():
    def queries(count, commit):
        rows = [
            [
                f"Q-{commit}-{count}-{n}",
                "Ana",
                f"Ruiz{n}",
                "",
                "",
                "",
                "",
                f"Org {commit}-{count}-{n % 3}",
                "MX",
                "",
                "",
                "",
                "",
            ]
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            report = import_trainees(csv_bytes(rows), commit=commit)
        assert report.ok, report.errors
        return len(captured)

    assert queries(5, False) == queries(60, False)
    TraineeFactory(service_number="Q-True-5-0", nationality="MX")  # so that the commits update too
    TraineeFactory(service_number="Q-True-60-0", nationality="MX")
    assert queries(5, True) == queries(60, True)


def test_a_plan_that_changed_since_the_preview_writes_nothing():
    trainee = TraineeFactory(service_number="MX-100001", nationality="MX", email="old@example.mx")
    preview = import_trainees(csv_bytes(ROWS), filename="x.csv")
    Trainee.objects.filter(pk=trainee.pk).update(email="jose.nunez@example.mx")  # someone else edits meanwhile
    state = _state()
    report = import_trainees(csv_bytes(ROWS), commit=True, expected_fingerprint=preview.fingerprint)
    assert report.changed_since_preview and not report.committed
    assert _state() == state
    again = import_trainees(csv_bytes(ROWS), commit=True, expected_fingerprint=report.fingerprint)
    assert again.committed


# --- bad files: a clear message, and the database untouched -------------------------------------


@pytest.fixture
def untouched():
    """Asserts, after the test, that the database is as it was before."""
    TraineeFactory(service_number="MX-100001", nationality="MX", email="old@example.mx")
    before = _state()
    yield
    assert _state() == before


def _refused(data, filename="trainees.csv", **kwargs):
    report = import_trainees(data, filename=filename, commit=True, **kwargs)
    assert not report.committed
    assert report.errors
    return report


def test_missing_required_column(untouched):
    header = [h for h in HEADER if h != "paternal_surname"]
    rows = [[v for h, v in zip(HEADER, row, strict=True) if h != "paternal_surname"] for row in ROWS]
    report = _refused(csv_bytes(rows, header=header))
    assert _errors(report) == [(None, "", "The required column paternal_surname is missing from the header row.")]


def test_unknown_column_is_reported_and_ignored():
    header = [*HEADER, "blood_type", "Shoe size"]
    rows = [[*row, "O+", "42"] for row in ROWS]
    report = import_trainees(csv_bytes(rows, header=header), commit=True)
    assert report.committed, report.errors
    assert report.warnings == ["Unknown columns ignored: blood_type, Shoe size."]
    assert Trainee.objects.count() == 3


def test_bad_country(untouched):
    rows = [list(row) for row in ROWS]
    rows[1][8] = "XX"
    report = _refused(csv_bytes(rows))
    assert _errors(report) == [(3, "nationality", "“XX” is not a country: use its two-letter ISO 3166 code, e.g. MX.")]


def test_bad_email(untouched):
    rows = [list(row) for row in ROWS]
    rows[2][10] = "eva@@example"
    report = _refused(csv_bytes(rows))
    assert _errors(report) == [(4, "email", "Enter a valid email address.")]
    assert report.errors[0].value == "eva@@example"


def test_empty_surname(untouched):
    rows = [list(row) for row in ROWS]
    rows[0][2] = "   "
    report = _refused(csv_bytes(rows))
    assert _errors(report) == [(2, "paternal_surname", "This field is required.")]
    assert str(report.errors[0]) == "Row 2, column paternal_surname: This field is required."


def test_bad_choices(untouched):
    rows = [list(row) for row in ROWS]
    rows[0][5] = "navy"
    rows[0][12] = "retired"
    report = _refused(csv_bytes(rows))
    assert _errors(report) == [
        (2, "category", "“navy” is not one of: military, police, civilian."),
        (2, "status", "“retired” is not one of: active, deployed, inactive."),
    ]


def test_duplicate_service_number_is_an_error_on_both_rows(untouched):
    rows = [list(row) for row in ROWS]
    rows[2][0], rows[2][8] = "MX-100001", "mx"
    report = _refused(csv_bytes(rows))
    message = "Service number MX-100001 (MX) appears more than once in this file: rows 2, 4."
    assert _errors(report) == [(2, "service_number", message), (4, "service_number", message)]


def test_every_bad_row_is_reported_at_once(untouched):
    rows = [list(row) for row in ROWS]
    rows[0][10] = "bad"
    rows[1][8] = "ZZ"
    rows[2][1] = ""
    report = _refused(csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [(2, "email"), (3, "nationality"), (4, "given_names")]


def test_zero_byte_file(untouched):
    assert _errors(_refused(b"")) == [(None, "", "The file is empty.")]


def test_a_file_that_is_not_a_spreadsheet(untouched):
    expected = "This file is neither a CSV nor an XLSX spreadsheet."
    assert _refused(PNG_BYTES, filename="photo.png").errors[0].message.startswith(expected)
    assert _refused(PNG_BYTES, filename="trainees.csv").errors[0].message.startswith(expected)
    assert _refused(b"%PDF-1.7\n...", filename="x.csv").errors[0].message.startswith(expected)
    message = _refused(b"PK\x03\x04 not really a zip", filename="x.xlsx").errors[0].message
    assert message == "This file is not a readable XLSX workbook."
    message = _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), filename="old.xls").errors[0].message
    assert message.startswith("This is an Excel 97-2003 file (.xls).")
    message = _refused(b"Dear colleagues,\nplease find attached the list.\n").errors[0].message
    assert message.startswith("The first row must name the columns (service_number, given_names,")


def test_a_file_above_the_size_limit(untouched):
    data = csv_bytes(ROWS)
    assert _errors(_refused(data, max_bytes=len(data) - 1)) == [
        (None, "", f"The file is {len(data)}\xa0bytes; the limit is {len(data) - 1}\xa0bytes.")
    ]


def test_a_header_without_rows(untouched):
    assert _errors(_refused(csv_bytes([]))) == [(None, "", "The file has a header row but no trainee rows.")]


def test_a_row_with_more_cells_than_the_header(untouched):
    rows = [list(row) for row in ROWS]
    rows[1].append("stray")
    report = _refused(csv_bytes(rows))
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, "", "stray")]
    assert "more cells than the header" in report.errors[0].message


# --- the command ----------------------------------------------------------------------------------


def test_command_imports_a_file(tmp_path, capsys):
    path = tmp_path / "trainees.csv"
    path.write_bytes(csv_bytes(ROWS, delimiter=";", encoding="cp1252"))
    call_command("import_trainees", str(path))
    out = capsys.readouterr().out
    assert "Imported 3 rows: 3 created, 0 updated, 0 unchanged." in out
    assert "New organization: Ejército de Guatemala (GT), row 4" in out
    assert Trainee.objects.count() == 3


def test_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "trainees.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    call_command("import_trainees", str(path), "--dry-run", verbosity=2)
    out = capsys.readouterr().out
    assert "3 rows: 3 to create, 0 to update, 0 unchanged." in out
    assert "Row 2: create MX-100001 (MX) José Ángel Núñez Peña" in out
    assert "Dry run: nothing was written." in out
    assert not Trainee.objects.exists()


def test_command_reports_every_bad_row_and_fails(tmp_path, capsys):
    rows = [list(row) for row in ROWS]
    rows[0][10] = "bad"
    rows[2][2] = ""
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError, match=r"2 error\(s\) in bad.csv; nothing was imported."):
        call_command("import_trainees", str(path))
    err = capsys.readouterr().err
    assert "Row 2, column email: Enter a valid email address. (value: “bad”)" in err
    assert "Row 4, column paternal_surname: This field is required." in err
    assert not Trainee.objects.exists()


def test_command_exit_status_is_non_zero_on_error(tmp_path):
    """The real process: a file with a missing column exits with status 1 and says why."""
    path = tmp_path / "no-surname.csv"
    path.write_bytes(csv_bytes([["X-1", "Ana", "MX"]], header=["service_number", "given_names", "nationality"]))
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "DJANGO_SETTINGS_MODULE": "cecopam.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_trainees", str(path)],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "paternal_surname" in result.stderr  # the command speaks the site's language; the column is named
    assert "no-surname.csv" in result.stderr


def test_command_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_trainees", str(tmp_path / "nope.csv"))


def test_a_trainee_created_by_someone_else_during_the_write_rolls_everything_back(monkeypatch):
    from trainees import imports

    write = imports._write

    def racing_write(report):
        # Another administrator saves the same service number just before the bulk insert.
        Trainee.objects.create(service_number="GT-3001", nationality="GT", given_names="X", paternal_surname="Y")
        write(report)

    monkeypatch.setattr(imports, "_write", racing_write)
    before = _state()
    report = import_trainees(csv_bytes(ROWS), commit=True)
    assert not report.committed
    assert _errors(report) == [
        (None, "", "The trainees changed while this file was being imported; nothing was imported. Try again.")
    ]
    assert _state() == before


def test_an_xlsx_saved_by_libreoffice_imports(tmp_path):
    """A workbook written by a real spreadsheet program (LibreOffice Calc, from a Spanish Excel CSV)."""
    source = tmp_path / "excel.csv"
    source.write_bytes(csv_bytes(ROWS, delimiter=";", encoding="cp1252"))
    out = tmp_path / "out"
    out.mkdir()
    # 59 = semicolon, 34 = double quote, 1252 = the Windows Western character set.
    converted = libreoffice_convert(source, "xlsx", out, infilter="CSV:59,34,1252,1")
    report = import_trainees(converted.read_bytes(), filename=converted.name, commit=True)
    assert report.committed, report.errors
    assert report.file_format == "XLSX"
    assert Trainee.objects.get(service_number="GT-3001").full_name == "Íñigo Sáenz Muñoz"
    assert Trainee.objects.get(service_number="MX-100001").phone == "+52 55 1234 5678"
