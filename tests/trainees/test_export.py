"""The trainee list export: the list's filters, the import's columns (round trip), formula-safe,
accents right in Excel and LibreOffice, streamed, logged, administrators only."""

import csv
import io
import tracemalloc

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import ExportLog
from common.spreadsheets import csv_response, xlsx_response
from tests.factories import OrganizationFactory, TraineeFactory
from tests.fixtures.spreadsheets import HEADER, libreoffice_convert
from trainees.imports import import_trainees
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

EXPORT_CSV = reverse("trainees:export-csv")
EXPORT_XLSX = reverse("trainees:export-xlsx")


@pytest.fixture
def people(db):
    army = OrganizationFactory(name="Secretaría de la Defensa Nacional")
    return {
        "nunez": TraineeFactory(
            service_number="MX-000777",
            given_names="José Ángel",
            paternal_surname="Núñez",
            maternal_surname="Peña",
            organization=army,
            phone="+52 55 1234 5678",
            email="jose@example.mx",
        ),
        "formula": TraineeFactory(
            service_number="MX-000778",
            given_names='=HYPERLINK("http://x","clic")',
            paternal_surname="@SUM(A1)",
            maternal_surname="-1+2",
            rank="\tTab",
            organization=None,
            gender="",
            email="",
        ),
        "guatemala": TraineeFactory(
            service_number="GT-3001",
            nationality="GT",
            given_names="Íñigo",
            paternal_surname="Sáenz",
            category="police",
            status="deployed",
            gender="female",
            organization=OrganizationFactory(name="Policía Nacional Civil", country="GT", kind="partner"),
        ),
    }


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv_rows(response):
    raw = _body(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right only with the BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _xlsx_rows(response, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(_body(response))
    return openpyxl.load_workbook(path), path


def test_csv_has_the_import_columns_accents_and_neutralized_formulas(admin_client, people):
    response = admin_client.get(EXPORT_CSV)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="trainees-{today}.csv"'
    rows = _csv_rows(response)
    assert rows[0] == HEADER
    by_number = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    nunez = by_number["MX-000777"]
    assert (nunez["given_names"], nunez["paternal_surname"], nunez["maternal_surname"]) == (
        "José Ángel",
        "Núñez",
        "Peña",
    )
    assert nunez["organization"] == "Secretaría de la Defensa Nacional"
    assert (nunez["nationality"], nunez["category"], nunez["status"]) == ("MX", "military", "active")
    assert nunez["phone"] == "'+52 55 1234 5678"
    formula = by_number["MX-000778"]
    assert formula["given_names"] == '\'=HYPERLINK("http://x","clic")'
    assert (formula["paternal_surname"], formula["maternal_surname"], formula["rank"]) == (
        "'@SUM(A1)",
        "'-1+2",
        "'\tTab",
    )
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_has_header_frozen_pane_fitting_widths_and_text_cells(admin_client, people, tmp_path):
    response = admin_client.get(EXPORT_XLSX)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook, _path = _xlsx_rows(response, tmp_path)
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["H"].width >= len("Secretaría de la Defensa Nacional")  # organization
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["MX-000777"][1] == "José Ángel"
    assert rows["MX-000778"][1] == '\'=HYPERLINK("http://x","clic")'
    assert sheet["B3"].data_type == "s" or sheet["B2"].data_type == "s"  # text, never a formula
    for row in rows.values():
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))), cell


def test_export_takes_the_list_filters(admin_client, people):
    rows = _csv_rows(admin_client.get(EXPORT_CSV, {"q": "nunez pena"}))
    assert [row[0] for row in rows[1:]] == ["MX-000777"]
    rows = _csv_rows(admin_client.get(EXPORT_CSV, {"nationality": "GT", "status": "deployed"}))
    assert [row[0] for row in rows[1:]] == ["GT-3001"]
    organization = people["nunez"].organization
    rows = _csv_rows(admin_client.get(EXPORT_CSV, {"organization": organization.pk}))
    assert [row[0] for row in rows[1:]] == ["MX-000777"]
    workbook = openpyxl.load_workbook(io.BytesIO(_body(admin_client.get(EXPORT_XLSX, {"category": "police"}))))
    assert [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)] == ["GT-3001"]


def test_every_export_is_logged_with_who_what_and_the_filters(admin_client, admin_user, people):
    _body(admin_client.get(EXPORT_CSV, {"nationality": "MX", "q": "", "page": "2"}))
    _body(admin_client.get(EXPORT_XLSX))
    csv_log, xlsx_log = ExportLog.objects.order_by("pk")
    assert (csv_log.user, csv_log.kind, csv_log.parameters, csv_log.row_count) == (
        admin_user,
        "trainees-csv",
        {"nationality": "MX"},
        2,
    )
    assert (xlsx_log.kind, xlsx_log.parameters, xlsx_log.row_count) == ("trainees-xlsx", {}, 3)
    assert csv_log.created_at is not None


def test_the_export_log_is_readable_by_administrators_in_the_admin(admin_client, people):
    _body(admin_client.get(EXPORT_CSV))
    response = admin_client.get(reverse("admin:accounts_exportlog_changelist"))
    assert response.status_code == 200
    assert "trainees-csv" in response.content.decode()
    log = ExportLog.objects.get()
    page = admin_client.get(reverse("admin:accounts_exportlog_change", args=[log.pk])).content.decode()
    assert 'name="kind"' not in page  # read-only: shown, not editable
    assert admin_client.get(reverse("admin:accounts_exportlog_add")).status_code == 403


@pytest.mark.parametrize("url", [EXPORT_CSV, EXPORT_XLSX])
@pytest.mark.parametrize("who", ["instructor", "trainee_user"])
def test_only_administrators_export_the_list(client, request, people, url, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403
    assert not ExportLog.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, people):
    response = client.get(EXPORT_CSV)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_query_count_does_not_grow_with_rows(admin_client, people):
    def count(url):
        with CaptureQueriesContext(connection) as captured:
            _body(admin_client.get(url))
        return len(captured)

    small = (count(EXPORT_CSV), count(EXPORT_XLSX))
    TraineeFactory.create_batch(30)
    assert (count(EXPORT_CSV), count(EXPORT_XLSX)) == small


# --- round trip: export, import back, nothing changes --------------------------------------------


def _snapshot():
    return sorted(Trainee.objects.values_list(*[c if c != "organization" else "organization_id" for c in HEADER]))


@pytest.mark.parametrize("url", [EXPORT_CSV, EXPORT_XLSX])
def test_round_trip_export_then_import_changes_nothing(admin_client, people, url):
    TraineeFactory(service_number="MX-1", given_names="Ana\nMaría", branch='Ingenieros, "Zapadores"; 2º')
    before = _snapshot()
    stamps = sorted(Trainee.objects.values_list("updated_at", flat=True))
    data = _body(admin_client.get(url))
    with translation.override("en"):
        preview = import_trainees(data, filename=url.rsplit("/", 1)[-1])
    assert preview.ok, preview.errors
    assert preview.warnings == []
    assert (len(preview.created), len(preview.updated), len(preview.unchanged)) == (0, 0, 4), preview.updated
    assert preview.new_organizations == []
    report = import_trainees(data, filename="again", commit=True)
    assert report.committed
    assert _snapshot() == before
    assert sorted(Trainee.objects.values_list("updated_at", flat=True)) == stamps


def test_round_trip_through_the_import_page(admin_client, people, settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path / "staging"
    data = _body(admin_client.get(EXPORT_CSV))
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = admin_client.post(reverse("trainees:import"), {"file": SimpleUploadedFile("trainees.csv", data)})
    html = page.content.decode()
    assert '<div class="h4 mb-0" id="count-unchanged">3</div>' in html
    assert '<div class="h4 mb-0" id="count-created">0</div>' in html
    assert '<div class="h4 mb-0" id="count-updated">0</div>' in html


# --- memory stays flat ----------------------------------------------------------------------------


def _peak(make_response, rows):
    """Peak memory (bytes) of building and reading a response whose rows come from a generator."""
    tracemalloc.start()
    try:
        response = make_response(rows)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        response.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _synthetic(count):
    for n in range(count):
        yield [f"MX-{n:07d}", "José Ángel", "Núñez", "Peña", "Capitán", "military", "Infantería", "SEDENA", "MX"]


def test_csv_memory_is_flat_for_200000_rows():
    header = HEADER[:9]
    small = _peak(lambda rows: csv_response(header, rows, "x.csv"), _synthetic(2_000))
    large = _peak(lambda rows: csv_response(header, rows, "x.csv"), _synthetic(200_000))
    assert large < small * 1.5, (small, large)


def test_xlsx_memory_is_flat():
    header = HEADER[:9]
    # Six times the rows, the same peak (openpyxl under tracemalloc is slow: kept small).
    small = _peak(lambda rows: xlsx_response(header, rows, "x.xlsx"), _synthetic(1_000))
    large = _peak(lambda rows: xlsx_response(header, rows, "x.xlsx"), _synthetic(6_000))
    assert large < small * 1.5, (small, large)


# --- LibreOffice opens them with the same cells ---------------------------------------------------


def _libreoffice_cells(path, tmp_path, **kwargs):
    out = tmp_path / "converted"
    out.mkdir(exist_ok=True)
    converted = libreoffice_convert(path, "csv:Text - txt - csv (StarCalc):44,34,76,1", out, **kwargs)
    return list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize("url", [EXPORT_CSV, EXPORT_XLSX])
def test_libreoffice_reads_the_same_cells(admin_client, people, url, tmp_path):
    data = _body(admin_client.get(url))
    expected = _csv_rows(admin_client.get(EXPORT_CSV))
    source = tmp_path / ("trainees.csv" if url == EXPORT_CSV else "trainees.xlsx")
    source.write_bytes(data)
    # A CSV opens through the text import, whose character set is UTF-8 for a file with a BOM.
    infilter = "CSV:44,34,76,1" if url == EXPORT_CSV else None
    cells = _libreoffice_cells(source, tmp_path, infilter=infilter)
    assert cells == expected
    assert ["José Ángel", "Núñez", "Peña"] in [row[1:4] for row in cells]


# --- the shared cell helper -----------------------------------------------------------------------


def test_safe_cell_neutralizes_formulas_and_leaves_numbers_and_dates_alone():
    import datetime
    from decimal import Decimal

    from common.spreadsheets import safe_cell, unescape_cell

    for text in ("=1+1", "+52 55", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
        assert unescape_cell(safe_cell(text)) == text
    for value in (-3, 2.5, Decimal("-1.50"), datetime.date(2026, 3, 1), "Núñez", "a=b", "'quoted"):
        assert safe_cell(value) == value
    assert safe_cell(None) == ""
    assert unescape_cell("'quoted") == "'quoted"


def test_xlsx_drops_characters_a_workbook_cannot_hold(admin_client, people, tmp_path):
    Trainee.objects.filter(pk=people["nunez"].pk).update(branch="Infantería\x0bLigera\x1f")
    workbook, _path = _xlsx_rows(admin_client.get(EXPORT_XLSX), tmp_path)
    branches = [row[6] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert "InfanteríaLigera" in branches
