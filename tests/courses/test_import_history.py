"""Past training imported from files (courses.imports, the import_training_history command and the
/courses/import-history/ page): past sessions created finalized, enrolments with results,
certificates keeping their printed codes; all or nothing; importing twice changes nothing."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from certifications.models import Certification
from courses.imports import import_training_history
from courses.models import CourseSession, Enrollment
from tests.factories import (
    CertificationTypeFactory,
    CourseFactory,
    CourseSessionFactory,
    EnrollmentFactory,
    TraineeFactory,
)
from tests.fixtures.spreadsheets import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = [
    "service_number",
    "nationality",
    "course_code",
    "session_code",
    "starts_on",
    "ends_on",
    "result",
    "score",
    "attendance",
    "certificate_issued_on",
    "certificate_code",
    "certificate_expires_on",
    "issuer",
]
PRINTED_CODE = "7K3M-9QPX-2D4F-HT6R"


@pytest.fixture
def catalogue():
    unmem = CertificationTypeFactory(code="UNMEM", name="Experto militar en misión", validity_months=36)
    CourseFactory(code="UNMEM-C", title="Curso de expertos militares", grants=unmem, pass_mark=70)
    CourseFactory(code="DIH", title="Derecho internacional humanitario", grants=None)
    TraineeFactory(service_number="MX-1", nationality="MX", given_names="José", paternal_surname="Núñez")
    TraineeFactory(service_number="MX-2", nationality="MX", given_names="María", paternal_surname="Ávila")
    TraineeFactory(service_number="GT-7", nationality="GT", given_names="Íñigo", paternal_surname="Sáenz")
    return unmem


ROWS = [
    # A session by its code and dates, passed, with the certificate printed in 2019.
    ["MX-1", "MX", "UNMEM-C", "UNMEM-2019-1", "2019-03-04", "2019-03-29", "Aprobado", "87,5", "100",
     "2019-03-29", PRINTED_CODE.lower(), "", "CECOPAM"],
    ["MX-2", "México", "UNMEM-C", "UNMEM-2019-1", "2019-03-04", "2019-03-29", "failed", "55", "90", "", "", "", ""],
    # A session by its dates only; a certificate without code nor expiry (both made here).
    ["GT-7", "GT", "UNMEM-C", "", "04/02/2021", "26/02/2021", "passed", "92", "95", "26/02/2021", "", "", ""],
    ["GT-7", "GTM", "DIH", "DIH-2018", "2018-06-04", "2018-06-08", "Incompleto", "", "40", "", "", "", ""],
]  # fmt: skip


def _state():
    return (
        sorted(CourseSession.objects.values_list("code", "course__code", "starts_on", "ends_on", "status")),
        sorted(Enrollment.objects.values_list("session__code", "trainee__service_number", "result", "score")),
        sorted(Certification.objects.values_list("code", "trainee__service_number", "issued_on", "expires_on")),
    )


def test_an_excel_es_file_creates_finalized_sessions_results_and_certificates(catalogue, tmp_path):
    path = tmp_path / "historial.csv"
    path.write_bytes(csv_bytes(ROWS, header=HEADER, delimiter=";", encoding="cp1252"))
    call_command("import_training_history", str(path))

    sessions = {s.code: s for s in CourseSession.objects.select_related("course")}
    assert set(sessions) == {"UNMEM-2019-1", "UNMEM-C-20210204-20210226", "DIH-2018"}
    assert all(s.status == CourseSession.Status.FINALIZED and s.finalized_at for s in sessions.values())
    assert sessions["UNMEM-C-20210204-20210226"].starts_on == datetime.date(2021, 2, 4)
    results = dict(Enrollment.objects.values_list("trainee__service_number", "session__code").annotate())
    assert len(results) == 3
    jose = Enrollment.objects.get(trainee__service_number="MX-1")
    assert (jose.result, jose.score, jose.attendance) == ("passed", 87.5, 100)
    assert Enrollment.objects.get(trainee__service_number="MX-2").result == "failed"
    assert Enrollment.objects.get(session__code="DIH-2018").result == "incomplete"

    printed = Certification.objects.get(trainee__service_number="MX-1")
    assert printed.code == PRINTED_CODE  # the code on paper still verifies
    assert (printed.issued_on, printed.expires_on) == (datetime.date(2019, 3, 29), datetime.date(2022, 3, 29))
    assert printed.enrollment == jose and printed.issuer == "CECOPAM"
    made = Certification.objects.get(trainee__service_number="GT-7")
    assert made.expires_on == datetime.date(2021, 2, 26) + relativedelta(months=36)
    assert len(made.code) == 19 and made.code != PRINTED_CODE


def test_importing_the_same_file_again_changes_nothing(catalogue):
    data = csv_bytes(ROWS, header=HEADER, delimiter=";", encoding="cp1252")
    assert import_training_history(data, commit=True).committed
    before = _state()
    for again in (data, xlsx_bytes(ROWS, header=HEADER)):
        report = import_training_history(again, filename="again", commit=True)
        assert report.committed, report.errors
        assert (report.created, report.unchanged, len(report.new_sessions)) == (0, 4, 0)
        assert _state() == before


def test_the_printed_certificate_verifies_after_the_import(catalogue, client):
    assert import_training_history(csv_bytes(ROWS, header=HEADER), commit=True).committed
    page = client.get(reverse("verify", args=[PRINTED_CODE]))
    assert page.status_code == 200 and "Núñez" in page.content.decode()


def test_any_bad_row_imports_nothing_and_every_error_names_row_column_and_reason(catalogue):
    CourseSessionFactory(code="OPEN-1", course__code="OTRO", status=CourseSession.Status.OPEN)
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    rows = [
        *ROWS,
        ["MX-404", "MX", "UNMEM-C", "UNMEM-2019-1", "2019-03-04", "2019-03-29", "passed", "80", "", "", "", "", ""],
        ["MX-1", "MX", "NOPE", "X-1", "2019-03-04", "2019-03-29", "passed", "80", "", "", "", "", ""],
        ["MX-2", "MX", "OTRO", "OPEN-1", "", "", "passed", "", "", "", "", "", ""],
        ["MX-2", "MX", "DIH", "FUT-1", future, future, "passed", "", "", "", "", "", ""],
        ["MX-2", "MX", "UNMEM-C", "U-2", "2019-01-07", "2019-01-11", "failed", "40", "", "2019-01-11", "", "", ""],
        ["MX-2", "MX", "UNMEM-C", "U-3", "2019-01-07", "2019-01-11", "passed", "60", "", "", "", "", ""],
        ["MX-2", "MX", "DIH", "", "", "", "aprobado", "", "", "", "", "", ""],
        ["MX-2", "MX", "DIH", "D-2", "2018-01-08", "2018-01-12", "passed", "", "", "2018-01-12", "", "", ""],
        ["MX-2", "MX", "UNMEM-C", "U-4", "2019-05-06", "2019-05-10", "passed", "80", "", "2019-05-10",
         PRINTED_CODE, "", ""],
    ]  # fmt: skip
    before = _state()[0]
    report = import_training_history(csv_bytes(rows, header=HEADER), commit=True)
    assert not report.committed
    assert _state() == (before, [], [])
    assert sorted({e.row for e in report.errors}) == list(range(6, 15))  # every bad row, none of the good
    found = {(e.row, e.column): e.message for e in report.errors}
    assert found[(6, "service_number")] == "No trainee has service number MX-404 (MX): import the trainee first."
    assert found[(7, "course_code")] == "No course has the code NOPE."
    assert found[(8, "session_code")].startswith("Session OPEN-1 is not finalized")
    assert found[(9, "ends_on")].startswith("Only past training can be imported")
    assert found[(10, "certificate_issued_on")] == "Only a passed course gives a certificate."
    assert found[(11, "score")] == "Score 60 is below the pass mark 70."
    assert found[(12, "session_code")] == "Give the session code, or its start and end dates."
    assert found[(13, "certificate_issued_on")] == "Course DIH grants no certification."
    assert found[(14, "certificate_code")] == f"Certificate code {PRINTED_CODE} is already in row 2."


def test_an_existing_enrollment_with_another_result_is_an_error_not_an_overwrite(catalogue):
    session = CourseSessionFactory(
        code="UNMEM-2019-1", course=catalogue.granting_courses.get(), status=CourseSession.Status.FINALIZED
    )
    EnrollmentFactory(session=session, trainee=TraineeFactory._meta.model.objects.get(service_number="MX-2"))
    report = import_training_history(csv_bytes(ROWS[1:2], header=HEADER), commit=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "result")]
    assert Enrollment.objects.get().result == "pending"


def test_a_code_that_belongs_to_another_certificate_is_refused(catalogue):
    from tests.factories import CertificationFactory

    CertificationFactory(code=PRINTED_CODE)
    report = import_training_history(csv_bytes(ROWS[:1], header=HEADER), commit=True)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "certificate_code", f"Certificate code {PRINTED_CODE} belongs to another certificate.")
    ]


def test_a_file_without_session_columns_is_refused(catalogue):
    header = ["service_number", "nationality", "course_code", "result"]
    report = import_training_history(csv_bytes([["MX-1", "MX", "DIH", "passed"]], header=header))
    assert report.errors[0].message == "The file needs a session_code column, or the starts_on and ends_on columns."


def test_the_command_dry_run_writes_nothing_and_errors_fail(catalogue, tmp_path, capsys):
    path = tmp_path / "historial.xlsx"
    path.write_bytes(xlsx_bytes(ROWS, header=HEADER))
    call_command("import_training_history", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "Rows: 4. Sessions to create: 3; enrolments to create: 4; certificates to create: 2;" in out
    assert "Dry run: nothing was written." in out
    assert _state() == ([], [], [])
    path.write_bytes(xlsx_bytes([["MX-404", *ROWS[0][1:]]], header=HEADER))
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_training_history", str(path))
    assert "Row 2, column service_number: No trainee has service number MX-404" in capsys.readouterr().err


def test_the_page_previews_then_imports_on_confirmation(catalogue, admin_user, client):
    client.force_login(admin_user)
    data = csv_bytes(ROWS, header=HEADER, delimiter=";", encoding="cp1252")
    page = client.post(reverse("courses:import-history"), {"file": SimpleUploadedFile("historial.csv", data)})
    html = page.content.decode()
    assert page.status_code == 200 and "Confirm the import" in html
    assert 'id="count-sessions">3<' in html and 'id="count-certifications">2<' in html
    assert _state() == ([], [], [])
    token = page.context["token"]
    done = client.post(reverse("courses:import-history-confirm"), {"token": token}, follow=True)
    assert "New sessions: 3; new enrolments: 4; new certificates: 2;" in done.content.decode()
    assert Certification.objects.filter(code=PRINTED_CODE).exists()
    assert Enrollment.objects.filter(recorded_by=admin_user).count() == 4


def test_the_page_shows_row_errors_and_offers_no_confirmation(catalogue, admin_user, client):
    client.force_login(admin_user)
    data = csv_bytes([["MX-404", *ROWS[0][1:]]], header=HEADER)
    page = client.post(reverse("courses:import-history"), {"file": SimpleUploadedFile("historial.csv", data)})
    html = page.content.decode()
    assert "1 error: nothing will be imported" in html and "No trainee has service number MX-404" in html
    assert "Confirm the import" not in html
