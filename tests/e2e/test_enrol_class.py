"""Administrator: a whole class in one go — two ticked in the search, the rest pasted as service
numbers — with each person's outcome on the page (enrolled, waitlisted, refused and why)."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Enrollment
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def class_to_enroll():
    factories.AdministratorFactory(username="coordinadora")
    session = factories.CourseSessionFactory(code="GEN-2027-01", capacity=4, course__grants=None)
    ticked = [
        factories.TraineeFactory(given_names=name, paternal_surname="Cojtí", nationality="GT")
        for name in ("Ana Lucía", "Carlos Enrique")
    ]
    pasted = [factories.TraineeFactory(given_names=f"Persona {index}") for index in range(3)]
    return session, ticked, pasted


def test_administrator_enrolls_a_class_at_once(page, live_server, sign_in, class_to_enroll):
    session, ticked, pasted = class_to_enroll
    sign_in("coordinadora")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    check_page(page)

    search = page.get_by_label("Search trainees by name or service number")
    search.fill("cojti")
    search.press("Enter")
    for trainee in ticked:
        page.get_by_label(f"Select {trainee.full_name}").check()
    check_page(page)
    page.get_by_label("Service numbers").fill("\n".join([p.service_number for p in pasted] + ["XX-404"]))
    page.get_by_role("button", name="Enrol the class").click()

    outcomes = page.get_by_role("table", name="What happened to each person")
    expect(outcomes).to_be_visible()
    check_page(page)
    for trainee in ticked + pasted[:2]:
        expect(outcomes.get_by_role("row").filter(has_text=trainee.full_name)).to_contain_text("Enrolled")
    expect(outcomes.get_by_role("row").filter(has_text=pasted[2].full_name)).to_contain_text("Waitlisted")
    expect(outcomes.get_by_role("row").filter(has_text="XX-404")).to_contain_text("No trainee has this service number")
    expect(
        page.get_by_role("alert").filter(has_text=re.compile(r"4 enrolled, 1 waitlisted, 1 refused"))
    ).to_be_visible()
    statuses = sorted(Enrollment.objects.filter(session=session).values_list("status", flat=True))
    assert statuses == ["enrolled"] * 4 + ["waitlisted"]
