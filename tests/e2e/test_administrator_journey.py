"""Administrator: create a course and a session, enrol (capacity, waitlist, prerequisites),
withdraw (the waitlist moves up), download the CSV roster."""

import csv
import datetime
import io
import re

import pytest
from playwright.sync_api import expect

from courses.models import Course, CourseSession, Enrollment
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalogue():
    admin = factories.AdministratorFactory(username="coordinadora", first_name="Adriana", last_name="Sánchez")
    core = factories.CertificationTypeFactory(code="CPTM", name="UN core pre-deployment training", validity_months=36)
    factories.CertificationTypeFactory(code="UNMEM", name="UN military expert on mission", validity_months=36)
    people = {
        "Núñez": factories.TraineeFactory(given_names="José Luis", paternal_surname="Núñez", maternal_surname="Ibáñez"),
        "Peña": factories.TraineeFactory(given_names="Guadalupe", paternal_surname="Peña", maternal_surname="Gómez"),
        "Martínez": factories.TraineeFactory(given_names="Iñaki", paternal_surname="Martínez", maternal_surname="Ríos"),
        "Zúñiga": factories.TraineeFactory(given_names="Raúl", paternal_surname="Zúñiga", maternal_surname="Hernández"),
    }
    for surname in ("Núñez", "Peña", "Martínez"):  # Zúñiga lacks the prerequisite
        factories.CertificationFactory(trainee=people[surname], type=core, issued_on=datetime.date(2025, 6, 1))
    return admin, people


def _enroll(page, trainee):
    """Find a trainee with the session page's search box and press Enrol on their row."""
    search = page.get_by_role("searchbox").or_(page.get_by_label(re.compile("search", re.IGNORECASE))).first
    search.fill(trainee.paternal_surname)
    search.press("Enter")
    row = (
        page.get_by_role("row")
        .filter(has_text=trainee.full_name)
        .or_(page.get_by_role("listitem").filter(has_text=trainee.full_name))
    )
    expect(row.first).to_be_visible()
    check_page(page)  # the search results, swapped in by htmx
    row.get_by_role("button", name=re.compile(r"^Enrol", re.IGNORECASE)).first.click()
    page.wait_for_load_state()
    check_page(page)


def test_administrator_builds_a_session_and_fills_it(page, live_server, sign_in, catalogue):
    admin, people = catalogue

    sign_in("coordinadora")
    expect(page).to_have_url(re.compile(r"/overview/$"))

    # The catalogue: a new course that requires the core pre-deployment certificate.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Courses", exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/$"))
    check_page(page)
    page.get_by_role("link", name=re.compile(r"New course", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/courses/new/$"))
    check_page(page)
    page.get_by_label("Code").fill("UNMEM")
    page.get_by_label("Title").fill("UN Military Experts on Mission")
    page.get_by_label(re.compile(r"^Duration")).fill("120")
    page.get_by_label("Pass mark").fill("70")
    page.get_by_label(re.compile(r"^Grants")).select_option(label="UN military expert on mission")
    page.get_by_label("Prerequisites").select_option(label="UN core pre-deployment training")
    page.get_by_role("button", name=re.compile(r"^(Save|Create)", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/courses/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("UN Military Experts on Mission"))).to_be_visible()
    check_page(page)
    course = Course.objects.get(code="UNMEM")
    assert list(course.prerequisites.values_list("code", flat=True)) == ["CPTM"]

    # A session of it with two seats.
    page.goto(f"{live_server.url}/sessions/")
    check_page(page)
    page.get_by_role("link", name=re.compile(r"New session", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/sessions/new/(\?.*)?$"))
    check_page(page)
    page.get_by_label("Course").select_option(value=str(course.pk))
    page.get_by_label("Code").fill("UNMEM-2027-01")
    page.get_by_label("Starts on").fill("2027-02-01")
    page.get_by_label("Ends on").fill("2027-02-26")
    page.get_by_label("Capacity").fill("2")
    page.get_by_role("button", name=re.compile(r"^(Save|Create)", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/sessions/\d+/$"))
    session = CourseSession.objects.get(code="UNMEM-2027-01")
    assert page.url.endswith(f"/sessions/{session.pk}/")
    check_page(page)

    # Enrol: two take the seats, the third waits, the fourth lacks the prerequisite.
    for surname in ("Núñez", "Peña"):
        _enroll(page, people[surname])
        expect(page.get_by_role("alert").filter(has_text=people[surname].full_name)).to_be_visible()
    _enroll(page, people["Martínez"])
    expect(page.get_by_role("alert").filter(has_text=re.compile("waitlist", re.IGNORECASE))).to_be_visible()
    _enroll(page, people["Zúñiga"])
    expect(page.get_by_text(re.compile(r"lacks a prerequisite.*UN core pre-deployment training"))).to_be_visible()
    check_page(page)  # the override form
    statuses = dict(Enrollment.objects.filter(session=session).values_list("trainee__paternal_surname", "status"))
    assert statuses == {"Núñez": "enrolled", "Peña": "enrolled", "Martínez": "waitlisted"}

    # Withdraw the first: the waitlisted trainee takes the seat.
    row = page.get_by_role("row").filter(has_text=people["Núñez"].full_name)
    row.get_by_role("button", name=re.compile(r"^Withdraw", re.IGNORECASE)).click()
    page.wait_for_load_state()
    expect(page.get_by_role("row").filter(has_text=people["Martínez"].full_name)).to_contain_text("Enrolled")
    check_page(page)
    assert Enrollment.objects.get(session=session, trainee=people["Martínez"]).status == "enrolled"
    assert Enrollment.objects.get(session=session, trainee=people["Núñez"]).status == "withdrawn"
    page.screenshot(path="/tmp/e2e-administrator.png", full_page=True)

    # The roster opens in Excel with its accents: UTF-8 with a byte-order mark.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"CSV", re.IGNORECASE)).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    statuses = {row["Full name"]: row["Enrolment status"] for row in rows}
    assert statuses[people["Peña"].full_name] == "Enrolled"
    assert statuses[people["Martínez"].full_name] == "Enrolled"  # "Iñaki Martínez Ríos", accents intact
