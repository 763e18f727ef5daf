"""The results grid never loses what was typed: Finalize saves the typed results and finalizes in
one submit; leaving the page any other way asks first; a rejected save puts the focus on the
first bad field."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from courses.models import CourseSession, Enrollment
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e

CLASS_SIZE = 17


@pytest.fixture
def big_class():
    instructor = factories.InstructorFactory(username="ortega")
    course = factories.CourseFactory(code="POC", title="Protection of Civilians", pass_mark=60)
    session = factories.CourseSessionFactory(
        course=course,
        code="POC-2026-05",
        starts_on=datetime.date(2026, 5, 4),
        ends_on=datetime.date(2026, 5, 8),
        status=CourseSession.Status.IN_PROGRESS,
        instructors=[instructor],
    )
    trainees = [
        factories.TraineeFactory(given_names=f"Alumno {index:02d}", paternal_surname="Núñez", maternal_surname="Peña")
        for index in range(CLASS_SIZE)
    ]
    for trainee in trainees:
        factories.EnrollmentFactory(session=session, trainee=trainee)
    return session, trainees


def _marks(index):
    return ("passed", str(70 + index), "100") if index % 3 else ("failed", str(20 + index), "80")


def test_finalize_saves_all_seventeen_typed_results_first(page, live_server, sign_in, big_class):
    session, trainees = big_class
    sign_in("ortega")
    page.goto(f"{live_server.url}/sessions/{session.pk}/results/")
    check_page(page)

    for index, trainee in enumerate(trainees):
        result, score, attendance = _marks(index)
        page.get_by_label(f"Result for {trainee.full_name}").select_option(result)
        page.get_by_label(f"Score for {trainee.full_name}").fill(score)
        page.get_by_label(f"Attendance for {trainee.full_name}").fill(attendance)
    page.get_by_role("button", name="Finalize session").click()  # no Save first

    expect(page.get_by_role("alert").filter(has_text=re.compile("finalized", re.IGNORECASE))).to_be_visible()
    check_page(page)
    session.refresh_from_db()
    assert session.status == CourseSession.Status.FINALIZED
    saved = {
        e.trainee_id: (e.result, e.score, e.attendance)
        for e in Enrollment.objects.filter(session=session, status=Enrollment.Status.ENROLLED)
    }
    assert len(saved) == CLASS_SIZE
    for index, trainee in enumerate(trainees):
        result, score, attendance = _marks(index)
        assert saved[trainee.pk] == (result, Decimal(score), int(attendance)), trainee.full_name


def test_a_bad_row_finalizes_nothing_keeps_the_input_and_focuses_the_field(page, live_server, sign_in, big_class):
    session, trainees = big_class
    sign_in("ortega")
    page.goto(f"{live_server.url}/sessions/{session.pk}/results/")

    for index, trainee in enumerate(trainees):
        result, score, attendance = _marks(index)
        page.get_by_label(f"Result for {trainee.full_name}").select_option(result)
        page.get_by_label(f"Score for {trainee.full_name}").fill(score)
    bad = trainees[4]
    page.get_by_label(f"Score for {bad.full_name}").fill("50")  # passed, below the pass mark 60
    page.get_by_role("button", name="Finalize session").click()

    expect(page.get_by_role("alert").filter(has_text=re.compile("nothing was saved", re.IGNORECASE))).to_be_visible()
    check_page(page)
    session.refresh_from_db()
    assert session.status == CourseSession.Status.IN_PROGRESS
    assert not Enrollment.objects.filter(session=session).exclude(result="pending").exists()
    # What was typed is still there, and the keyboard is on the field to correct.
    expect(page.get_by_label(f"Score for {trainees[5].full_name}")).to_have_value(_marks(5)[1])
    bad_field = page.get_by_label(f"Score for {bad.full_name}")
    expect(bad_field).to_have_value("50")
    expect(bad_field).to_be_focused()


def test_leaving_the_grid_with_typed_input_asks_first(page, live_server, sign_in, big_class):
    session, trainees = big_class
    sign_in("ortega")
    page.goto(f"{live_server.url}/sessions/{session.pk}/results/")
    check_page(page)
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.type))  # the page fixture accepts it

    # Untouched: leaving does not ask.
    page.get_by_role("link", name="Back to the session").click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session.pk}/$"))
    check_page(page)
    assert asked == []

    results = f"{live_server.url}/sessions/{session.pk}/results/"
    score = f"Score for {trainees[0].full_name}"
    for leave in (
        lambda: page.get_by_role("link", name="Back to the session").click(),
        lambda: page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Sessions").click(),
        lambda: page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My sessions").click(),
    ):
        page.goto(results)
        page.get_by_label(score).fill("88")
        asked.clear()
        leave()
        page.wait_for_load_state()
        assert asked == ["beforeunload"]
        check_page(page)

    # Saving does not ask.
    page.goto(results)
    page.get_by_label(score).fill("88")
    asked.clear()
    page.get_by_role("button", name="Save results").click()
    expect(page.get_by_role("alert").filter(has_text=re.compile("saved", re.IGNORECASE))).to_be_visible()
    assert asked == []

    # Switching the language is leaving too (last: the account then speaks Spanish).
    page.get_by_label(score).fill("91")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert asked == ["beforeunload"]
    expect(page.locator("html")).to_have_attribute("lang", "es")
    check_page(page)
