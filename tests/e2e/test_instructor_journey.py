"""Instructor: sign in → their sessions → a session → the results grid → one save → finalize."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from certifications.models import Certification
from courses.models import CourseSession, Enrollment
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e

# result, score, attendance, remarks, as the instructor types them
MARKS = {
    "Núñez": ("passed", "92.5", "100", "Excelente desempeño en negociación."),
    "Peña": ("failed", "41", "85", "Debe repetir el módulo de DIH."),
    "Hernández": ("passed", "78", "95", ""),
}


@pytest.fixture
def class_of_three():
    instructor = factories.InstructorFactory(username="ortega", first_name="Iván", last_name="Ortega")
    grants = factories.CertificationTypeFactory(code="DIH", name="International humanitarian law", validity_months=24)
    course = factories.CourseFactory(code="DIH", title="International Humanitarian Law", pass_mark=60, grants=grants)
    session = factories.CourseSessionFactory(
        course=course,
        code="DIH-2026-03",
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 6),
        status=CourseSession.Status.IN_PROGRESS,
        instructors=[instructor],
    )
    # Someone else's session: not on this instructor's list.
    factories.CourseSessionFactory(code="POC-2026-09", course__title="Protection of Civilians")
    people = {
        "Núñez": factories.TraineeFactory(
            given_names="María José", paternal_surname="Núñez", maternal_surname="Ibáñez"
        ),
        "Peña": factories.TraineeFactory(given_names="Jesús", paternal_surname="Peña", maternal_surname="Gómez"),
        "Hernández": factories.TraineeFactory(
            given_names="Ana Sofía", paternal_surname="Hernández", maternal_surname="Ramírez"
        ),
    }
    for trainee in people.values():
        factories.EnrollmentFactory(session=session, trainee=trainee)
    return session, people


def test_instructor_records_the_whole_class_and_finalizes(page, live_server, sign_in, class_of_three):
    session, people = class_of_three

    sign_in("ortega")
    expect(page).to_have_url(re.compile(r"/sessions/(\?.*)?$"))
    expect(page.get_by_text("POC-2026-09")).to_have_count(0)

    page.get_by_role("link", name=re.compile("DIH-2026-03")).first.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session.pk}/$"))
    check_page(page)
    page.get_by_role("link", name=re.compile(r"results", re.IGNORECASE)).first.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session.pk}/results/$"))
    check_page(page)

    for surname, (result, score, attendance, remarks) in MARKS.items():
        name = people[surname].full_name
        page.get_by_label(f"Result for {name}").select_option(result)
        page.get_by_label(f"Score for {name}").fill(score)
        page.get_by_label(f"Attendance for {name}").fill(attendance)
        page.get_by_label(f"Remarks for {name}").fill(remarks)
    page.get_by_role("button", name=re.compile(r"^Save", re.IGNORECASE)).click()

    expect(page.get_by_role("alert").filter(has_text=re.compile("saved", re.IGNORECASE))).to_be_visible()
    check_page(page)
    for surname, (result, score, attendance, remarks) in MARKS.items():
        name = people[surname].full_name
        expect(page.get_by_label(f"Result for {name}")).to_have_value(result)
        assert Decimal(page.get_by_label(f"Score for {name}").input_value()) == Decimal(score)
        expect(page.get_by_label(f"Attendance for {name}")).to_have_value(attendance)
        expect(page.get_by_label(f"Remarks for {name}")).to_have_value(remarks)
    page.screenshot(path="/tmp/e2e-instructor.png", full_page=True)
    # A draft: saved, but nothing issued yet.
    saved = Enrollment.objects.get(session=session, trainee=people["Núñez"])
    assert (saved.result, saved.score, saved.attendance) == ("passed", Decimal("92.5"), 100)
    assert not Certification.objects.filter(enrollment__session=session).exists()

    page.get_by_role("button", name=re.compile(r"^Finali[sz]e", re.IGNORECASE)).first.click()
    confirm = page.get_by_role("button", name=re.compile(r"^(Yes, )?finali[sz]e", re.IGNORECASE))
    if page.url.rstrip("/").endswith("finalize") and confirm.count():
        confirm.first.click()  # a confirmation page rather than a dialog
    expect(page.get_by_role("alert").filter(has_text=re.compile("finali[sz]ed", re.IGNORECASE))).to_be_visible()
    check_page(page)

    session.refresh_from_db()
    assert session.status == CourseSession.Status.FINALIZED
    holders = set(
        Certification.objects.filter(enrollment__session=session, revoked_at__isnull=True).values_list(
            "trainee_id", flat=True
        )
    )
    assert holders == {people["Núñez"].pk, people["Hernández"].pk}
    certificate = Certification.objects.get(trainee=people["Núñez"], enrollment__session=session)
    assert (certificate.issued_on, certificate.expires_on) == (datetime.date(2026, 3, 6), datetime.date(2028, 3, 6))

    page.goto(f"{live_server.url}/sessions/{session.pk}/results/")
    check_page(page)
    name = people["Peña"].full_name
    expect(page.get_by_role("button", name=re.compile(r"^Save", re.IGNORECASE))).to_have_count(0)
    result_field = page.get_by_label(f"Result for {name}")
    if result_field.count():
        expect(result_field).to_be_disabled()
    else:
        expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("Failed")
    page.screenshot(path="/tmp/e2e-instructor-finalized.png", full_page=True)
