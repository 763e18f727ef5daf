"""Session rosters: CSV (BOM, accents, formula-safe), XLSX, the PDF sign-in sheet, the command, access."""

import csv
import datetime
import io
import subprocess

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ExportLog
from courses import services
from tests.factories import CertificationFactory, EnrollmentFactory
from tests.fixtures.spreadsheets import libreoffice_convert

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster_session(session, admin_user):
    EnrollmentFactory(
        session=session,
        trainee__given_names="José Ángel",
        trainee__paternal_surname="Núñez",
        trainee__maternal_surname="Peña",
        trainee__service_number="MX-000777",
        result="passed",
        score=95,
        attendance=100,
    )
    EnrollmentFactory(session=session, trainee__given_names="=cmd|' /C calc'!A0", trainee__paternal_surname="+SUM(1)")
    EnrollmentFactory(
        session=session, trainee__given_names="@x", trainee__paternal_surname="-1+2", trainee__rank="\tTab"
    )
    return session


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_csv_has_bom_accents_and_neutralized_formulas(client, roster_session, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("courses:roster-csv", args=[roster_session.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    raw = _body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Service number"
    names = {row[2] for row in rows[1:]}
    assert "José Ángel Núñez Peña" in names
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t")), cell
    assert "'=cmd|' /C calc'!A0 +SUM(1) Ibáñez" in names


def test_roster_shows_the_certificate_code_of_a_passed_trainee(client, roster_session, admin_user, instructor):
    for enrollment in roster_session.enrollments.exclude(result="passed"):
        enrollment.result = "failed"
        enrollment.save()
    services.finalize_session(session=roster_session, by=instructor)
    code = roster_session.enrollments.get(result="passed").certifications.get().code
    client.force_login(admin_user)
    assert code in _body(client.get(reverse("courses:roster-csv", args=[roster_session.pk]))).decode("utf-8-sig")


def test_xlsx_has_header_frozen_pane_widths_and_numbers(client, roster_session, admin_user, tmp_path):
    client.force_login(admin_user)
    response = client.get(reverse("courses:roster-xlsx", args=[roster_session.pk]))
    assert response.status_code == 200
    path = tmp_path / "roster.xlsx"
    path.write_bytes(_body(response))
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "Service number"
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["C"].width >= 30
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["MX-000777"][2] == "José Ángel Núñez Peña"
    assert rows["MX-000777"][7] == 95  # a number, not text
    for row in rows.values():
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))), cell


def test_pdf_sign_in_sheet_has_every_enrolled_name(client, roster_session, admin_user, tmp_path):
    client.force_login(admin_user)
    response = client.get(reverse("courses:roster-pdf", args=[roster_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "roster.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Sign-in sheet" in text
    assert roster_session.code in text
    assert "Signature" in text
    assert "José Ángel Núñez Peña" in text
    assert "Ortega" in text  # the instructor, in the header
    assert "1/1" in text.replace(" ", "")


@pytest.mark.parametrize("kind", ["roster-csv", "roster-xlsx", "roster-pdf"])
def test_roster_access(client, kind, roster_session, admin_user, instructor, other_instructor, trainee_user):
    url = reverse(f"courses:{kind}", args=[roster_session.pk])
    assert client.get(url).status_code == 302
    for refused in (other_instructor, trainee_user):
        client.force_login(refused)
        assert client.get(url).status_code == 404
    for allowed in (instructor, admin_user):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        _body(response)
    assert ExportLog.objects.filter(kind=kind, parameters__session=roster_session.code).count() == 2
    assert set(ExportLog.objects.values_list("user__username", flat=True)) == {instructor.username, admin_user.username}


def test_csv_query_count_does_not_grow_with_rows(client, roster_session, admin_user):
    client.force_login(admin_user)
    url = reverse("courses:roster-csv", args=[roster_session.pk])

    def count():
        with CaptureQueriesContext(connection) as captured:
            _body(client.get(url))
        return len(captured)

    small = count()
    for _ in range(15):
        enrollment = EnrollmentFactory(session=roster_session)
        CertificationFactory(trainee=enrollment.trainee, enrollment=enrollment)
    assert count() == small


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_export_roster_command_writes_each_format(roster_session, tmp_path, fmt):
    output = tmp_path / f"roster.{fmt}"
    call_command("export_roster", roster_session.code, "--format", fmt, "--output", str(output))
    data = output.read_bytes()
    assert data[:4] in {b"\xef\xbb\xbfS", b"PK\x03\x04", b"%PDF"}
    assert ExportLog.objects.filter(kind=f"roster-{fmt}", user__isnull=True).exists()


def test_export_roster_command_fails_cleanly_on_unknown_code(tmp_path, db):
    with pytest.raises(CommandError, match="No session has the code"):
        call_command("export_roster", "NOPE-99", "--format", "csv", "--output", str(tmp_path / "x.csv"))


def test_xlsx_dates_are_dates_and_widths_fit_the_longest_name(client, roster_session, admin_user, tmp_path):
    long_name = EnrollmentFactory(
        session=roster_session,
        trainee__given_names="María de los Ángeles Guadalupe",
        trainee__paternal_surname="Fernández de Córdoba",
        trainee__maternal_surname="Villaseñor",
    )
    certificate = CertificationFactory(
        trainee=long_name.trainee, enrollment=long_name, issued_on=datetime.date(2026, 3, 13)
    )
    client.force_login(admin_user)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(_body(client.get(reverse("courses:roster-xlsx", args=[roster_session.pk]))))
    sheet = openpyxl.load_workbook(path).active
    assert sheet["K1"].value == "Certificate expires on"
    assert sheet.column_dimensions["C"].width >= len(long_name.trainee.full_name)
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == long_name.trainee.service_number)
    assert row[9].value == certificate.code
    assert isinstance(row[10].value, datetime.datetime)  # a date cell, not text
    assert row[10].value.date() == certificate.expires_on
    assert row[10].number_format == "yyyy-mm-dd"


def test_pdf_of_a_large_class_has_every_name_and_numbered_pages(client, session, admin_user, tmp_path):
    session.capacity = 80
    session.location = "Aula Magna, CECOPAM, Huehuetoca"
    session.save()
    enrollments = [
        EnrollmentFactory(session=session, trainee__given_names=f"Ñeri {n}", trainee__paternal_surname=f"Ávila{n:02d}")
        for n in range(60)
    ]
    client.force_login(admin_user)
    path = tmp_path / "roster.pdf"
    path.write_bytes(client.get(reverse("courses:roster-pdf", args=[session.pk])).content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for enrollment in enrollments:
        assert enrollment.trainee.full_name in text
    assert session.course.title in text
    assert "Aula Magna, CECOPAM, Huehuetoca" in text
    pages = text.count("\f")
    assert pages >= 2
    compact = text.replace(" ", "")
    assert f"1/{pages}" in compact and f"{pages}/{pages}" in compact


def test_the_session_page_links_the_rosters_for_those_who_may_download_them(
    client, roster_session, instructor, other_instructor, trainee_user
):
    links = [
        reverse(f"courses:{kind}", args=[roster_session.pk]) for kind in ("roster-csv", "roster-xlsx", "roster-pdf")
    ]
    client.force_login(instructor)
    page = client.get(reverse("courses:session-detail", args=[roster_session.pk])).content.decode()
    assert all(link in page for link in links)
    EnrollmentFactory(session=roster_session, trainee=trainee_user.trainee)
    client.force_login(trainee_user)
    page = client.get(reverse("courses:session-detail", args=[roster_session.pk])).content.decode()
    assert not any(link in page for link in links)
    assert client.get(links[0]).status_code == 404  # enrolled, but a roster is not theirs to download


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_libreoffice_reads_the_same_roster_cells(client, roster_session, admin_user, tmp_path, fmt):
    client.force_login(admin_user)
    data = _body(client.get(reverse(f"courses:roster-{fmt}", args=[roster_session.pk])))
    expected = list(
        csv.reader(
            io.StringIO(
                _body(client.get(reverse("courses:roster-csv", args=[roster_session.pk]))).decode("utf-8-sig"),
                newline="",
            )
        )
    )
    source = tmp_path / f"roster.{fmt}"
    source.write_bytes(data)
    out = tmp_path / "converted"
    out.mkdir()
    converted = libreoffice_convert(
        source,
        "csv:Text - txt - csv (StarCalc):44,34,76,1",
        out,
        infilter="CSV:44,34,76,1" if fmt == "csv" else None,
    )
    cells = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"), newline="")))

    def same(a, b):
        # A spreadsheet shows 95.00 as the number 95.
        try:
            return float(a) == float(b)
        except ValueError:
            return a == b

    assert len(cells) == len(expected)
    for got_row, want_row in zip(cells, expected, strict=True):
        assert all(same(g, w) for g, w in zip(got_row, want_row, strict=True)), (got_row, want_row)
    assert any("José Ángel Núñez Peña" in row for row in cells)
