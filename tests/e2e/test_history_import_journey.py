"""An administrator imports the centre's past training from the spreadsheet Excel saves in Spanish:
upload, preview, confirm; the printed certificate then verifies."""

import re

import pytest
from playwright.sync_api import expect

from certifications.models import Certification
from courses.models import CourseSession
from tests import factories
from tests.fixtures.spreadsheets import csv_bytes

from .conftest import check_page

pytestmark = pytest.mark.e2e

HEADER = ["service_number", "nationality", "course_code", "session_code", "starts_on", "ends_on", "result", "score",
          "attendance", "certificate_issued_on", "certificate_code", "certificate_expires_on", "issuer"]  # fmt: skip
ROWS = [
    ["MX-1", "MX", "UNMEM-C", "UNMEM-2019-1", "04/03/2019", "29/03/2019", "Aprobado", "87,5", "100", "29/03/2019",
     "7K3M-9QPX-2D4F-HT6R", "", "CECOPAM"],
    ["MX-2", "MX", "UNMEM-C", "UNMEM-2019-1", "04/03/2019", "29/03/2019", "Reprobado", "55", "90", "", "", "", ""],
]  # fmt: skip


@pytest.fixture
def centre():
    factories.AdministratorFactory(username="coordinadora")
    unmem = factories.CertificationTypeFactory(code="UNMEM", name="UN military expert on mission", validity_months=36)
    factories.CourseFactory(code="UNMEM-C", title="UN Military Experts on Mission", grants=unmem, pass_mark=70)
    factories.TraineeFactory(service_number="MX-1", nationality="MX", given_names="José", paternal_surname="Núñez")
    factories.TraineeFactory(service_number="MX-2", nationality="MX", given_names="María", paternal_surname="Ávila")


def test_administrator_imports_past_training(page, live_server, sign_in, centre, tmp_path):
    path = tmp_path / "historial.csv"
    path.write_bytes(csv_bytes(ROWS, header=HEADER, delimiter=";", encoding="cp1252"))

    sign_in("coordinadora")
    page.goto(f"{live_server.url}/sessions/")
    check_page(page)
    page.get_by_role("link", name="Import training history").click()
    expect(page).to_have_url(re.compile(r"/courses/import-history/$"))
    check_page(page)
    page.get_by_label("File (CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Import preview")).to_be_visible()
    expect(page.locator("#count-sessions")).to_have_text("1")
    expect(page.locator("#count-enrollments")).to_have_text("2")
    expect(page.locator("#count-certifications")).to_have_text("1")
    expect(page.get_by_role("row").filter(has_text="MX-2")).to_contain_text("Failed")
    expect(page.get_by_text("semicolon-separated")).to_be_visible()
    check_page(page)
    assert not CourseSession.objects.exists()  # nothing before the confirmation

    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_text("New sessions: 1; new enrolments: 2; new certificates: 1;", exact=False)).to_be_visible()
    check_page(page)
    session = CourseSession.objects.get(code="UNMEM-2019-1")
    assert session.status == CourseSession.Status.FINALIZED

    page.goto(f"{live_server.url}/verify/7K3M-9QPX-2D4F-HT6R/")
    expect(page.get_by_text("Núñez").first).to_be_visible()
    check_page(page)
    assert Certification.objects.get().code == "7K3M-9QPX-2D4F-HT6R"
