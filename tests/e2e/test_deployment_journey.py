"""Administrator: create a deployment, find who is ready for it, nominate four at once, see each
nominee's readiness, export the nomination list."""

import csv
import datetime
import io
import re

import pytest
from playwright.sync_api import expect

from deployments.models import Deployment, Nomination
from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def people():
    factories.AdministratorFactory(username="coordinadora", first_name="Adriana", last_name="Sánchez")
    cptm = factories.CertificationTypeFactory(code="CPTM", name="UN core pre-deployment training", validity_months=36)
    passport = factories.CertificationTypeFactory(code="PASSPORT", name="Passport", validity_months=None)
    factories.RequirementProfileFactory(
        code="UNMEM", name="UN military expert on mission", role="military_expert", required_types=[cptm, passport]
    )
    unit = factories.OrganizationFactory(name="Batallón de Ingenieros de Combate")
    ready, not_ready = [], []
    for surname in ("Núñez", "Peña", "Ibáñez", "Zúñiga", "Muñoz"):
        trainee = factories.TraineeFactory(paternal_surname=surname, organization=unit)
        factories.CertificationFactory(trainee=trainee, type=cptm, issued_on=datetime.date(2026, 1, 10))
        factories.CertificationFactory(trainee=trainee, type=passport, issued_on=datetime.date(2024, 1, 10))
        ready.append(trainee)
    lapsing = factories.TraineeFactory(paternal_surname="Ortiz", organization=unit)
    factories.CertificationFactory(
        trainee=lapsing, type=cptm, issued_on=datetime.date(2024, 6, 1), expires_on=datetime.date(2027, 5, 1)
    )
    factories.CertificationFactory(trainee=lapsing, type=passport, issued_on=datetime.date(2024, 1, 10))
    not_ready.append(lapsing)
    return ready, not_ready


def test_administrator_nominates_four_ready_people_and_exports_the_list(page, live_server, sign_in, people):
    ready, not_ready = people
    sign_in("coordinadora")

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Deployments").click()
    check_page(page)
    page.get_by_role("link", name="New deployment").click()
    check_page(page)
    page.get_by_label("Code").fill("MINURSO-2027-01")
    page.get_by_label("Mission").fill("MINURSO")
    page.get_by_label("Requirement profile").select_option(label="UNMEM — UN military expert on mission")
    page.get_by_label("Starts on").fill("2027-03-01")
    page.get_by_label("Ends on").fill("2027-08-31")
    page.get_by_label("Positions").fill("4")
    page.get_by_label("Status").select_option(label="Nominating")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/deployments/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("MINURSO-2027-01"))).to_be_visible()
    check_page(page)
    deployment = Deployment.objects.get(code="MINURSO-2027-01")

    # The pool for this deployment's profile and window: the five ready; the one whose CPTM
    # lapses on 1 May is not among them.
    page.get_by_role("link", name="Find people ready and nominate").click()
    ready_table = page.get_by_role("table", name=re.compile("5 ready"))
    expect(ready_table).to_be_visible()
    expect(ready_table.get_by_role("row")).to_have_count(6)  # header + five
    expect(ready_table).not_to_contain_text("Ortiz")
    check_page(page)

    for trainee in ready[:4]:
        page.get_by_label(f"Nominate {trainee.full_name}").check()
    page.get_by_role("button", name="Nominate the selected for MINURSO-2027-01").click()
    expect(page).to_have_url(re.compile(rf"/deployments/{deployment.pk}/$"))
    expect(page.get_by_text("4 people nominated for MINURSO-2027-01")).to_be_visible()
    check_page(page)
    nominees = page.get_by_role("table", name="Nominees")
    for trainee in ready[:4]:
        expect(nominees.get_by_role("row").filter(has_text=trainee.full_name)).to_contain_text("Ready")
    assert set(Nomination.objects.filter(deployment=deployment).values_list("trainee_id", flat=True)) == {
        t.pk for t in ready[:4]
    }

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "nominations-MINURSO-2027-01.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), "rb").read().decode("utf-8-sig"))))
    assert rows[0] == [
        "service_number",
        "nationality",
        "name",
        "organization",
        "gender",
        "nomination_status",
        "ready",
        "failing",
        "lapses_on",
    ]
    assert sorted(row[2] for row in rows[1:]) == sorted(t.full_name for t in ready[:4])
    assert {row[6] for row in rows[1:]} == {"yes"}
