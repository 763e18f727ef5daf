"""The reports in a browser: the dashboard draws its charts (Chart.js, served locally, under the
unchanged Content-Security-Policy), reads in English and Spanish, and has no serious or
critical accessibility violation (axe-core); a figure opens the list that makes it."""

import datetime
import json
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import check_page
from tests.reports.conftest import finalized_session

pytestmark = pytest.mark.e2e


@pytest.fixture
def report_data():
    factories.AdministratorFactory(username="coordinadora")
    sedena = factories.OrganizationFactory(name="SEDENA")
    people = [
        factories.TraineeFactory(given_names=name, gender=gender, category=category, organization=sedena)
        for name, gender, category in (
            ("Ana", "female", "military"),
            ("Beto", "male", "military"),
            ("Carla", "female", "police"),
            ("Dora", "female", "civilian"),
        )
    ]
    course = factories.CourseFactory(code="POC", title="Protección de civiles")
    year = datetime.date.today().year
    finalized_session(
        course,
        datetime.date(year, 3, 2),
        datetime.date(year, 3, 13),
        [(people[0], "passed", 90), (people[1], "passed", 80), (people[2], "failed", 50)],
    )
    finalized_session(
        course,
        datetime.date(year, 4, 6),
        datetime.date(year, 4, 17),
        [(people[0], "passed", 92), (people[3], "passed", 85)],
    )
    factories.CertificationFactory(
        trainee=people[0],
        type=course.grants,
        issued_on=datetime.date(year - 2, 1, 1),
        expires_on=datetime.date.today() + datetime.timedelta(days=20),
    )
    return people


def test_dashboard_charts_languages_and_accessibility(page, live_server, sign_in, report_data):
    csp_errors = []
    page.on(
        "console",
        lambda message: csp_errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in("coordinadora")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Reports", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(main.get_by_role("heading", name="People trained by course")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 5")
    charts = page.evaluate("() => Object.keys(window.Chart.instances).length")
    assert charts >= 5
    assert csp_errors == []
    expect(main.locator("#trained-total")).to_have_text("3")  # Ana (twice), Beto, Dora
    check_page(page)  # axe-core: no serious or critical violation
    page.screenshot(path="/tmp/e2e-reports-dashboard-en.png", full_page=True)

    # The same page in Spanish: headings, chart labels and table alike.
    page.get_by_role("button", name="Español").click()
    expect(main.get_by_role("heading", name="Informes", level=1)).to_be_visible()
    expect(main.get_by_role("heading", name="Personas capacitadas por curso")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 5")
    data = json.loads(page.locator("#report-charts").text_content())
    assert data["trained-by-month"]["datasets"][0]["label"] == "Personas capacitadas"
    check_page(page)
    page.screenshot(path="/tmp/e2e-reports-dashboard-es.png", full_page=True)
    page.get_by_role("button", name="English").click()
    expect(main.get_by_role("heading", name="Reports", level=1)).to_be_visible()

    # A filter stays in the address (a bookmark); the figure opens the list of the people counted.
    main.get_by_label("Category", exact=True).select_option(label="Military")
    main.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]category=military"))
    expect(main.locator("#trained-total")).to_have_text("2")
    check_page(page)
    main.locator("#trained-total").click()
    expect(page).to_have_url(re.compile(r"/trainees/\?.*category=military"))
    expect(page.get_by_role("main").get_by_text("2 trainees")).to_be_visible()
    check_page(page)


def test_parity_report_reads_in_words_and_passes_axe(page, live_server, sign_in, report_data):
    sign_in("coordinadora")
    page.goto(f"{live_server.url}/reports/parity/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="UN gender parity", level=1)).to_be_visible()
    expect(main.get_by_text("How to read the colours")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 1")
    check_page(page)
    page.screenshot(path="/tmp/e2e-reports-parity.png", full_page=True)
