"""Deployment pages: create, nominate several at once (with the warning for the not ready),
withdraw, the pool, a unit's readiness, the exports' exact columns, refusals and query budgets."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import ExportLog
from deployments.models import Deployment, Nomination
from tests import factories

pytestmark = pytest.mark.django_db

START = datetime.date(2027, 3, 1)
END = datetime.date(2027, 8, 31)


@pytest.fixture
def world(admin_user):
    cptm = factories.CertificationTypeFactory(code="CPTM", name="Core pre-deployment training", validity_months=36)
    passport = factories.CertificationTypeFactory(code="PASSPORT", name="Passport", validity_months=None)
    profile = factories.RequirementProfileFactory(
        code="UNMEM", name="Military observer", required_types=[cptm, passport]
    )
    unit = factories.OrganizationFactory(name="Batallón de Ingenieros", training_officer_email="enlace@bi.example")
    deployment = factories.DeploymentFactory(code="MINURSO-27", profile=profile, starts_on=START, ends_on=END)
    renewal = factories.CourseSessionFactory(
        course=factories.CourseFactory(grants=cptm),
        code="CPTM-27-01",
        starts_on=datetime.date(2027, 1, 11),
        ends_on=datetime.date(2027, 1, 15),
        status="open",
    )

    def person(surname, *, cptm_expires=datetime.date(2029, 1, 1), has_passport=True, **extra):
        trainee = factories.TraineeFactory(paternal_surname=surname, organization=unit, **extra)
        if has_passport:
            factories.CertificationFactory(trainee=trainee, type=passport, issued_on=datetime.date(2024, 1, 1))
        if cptm_expires:
            factories.CertificationFactory(
                trainee=trainee, type=cptm, issued_on=datetime.date(2025, 1, 1), expires_on=cptm_expires
            )
        return trainee

    people = {
        "ready": [person(name) for name in ("Núñez", "Peña", "Ibáñez", "Zúñiga")],
        "almost": person("Muñoz", cptm_expires=datetime.date(2027, 5, 1), gender="female"),
        "not": person("Ortiz", cptm_expires=None, has_passport=False),
    }
    return {"profile": profile, "deployment": deployment, "people": people, "unit": unit, "renewal": renewal}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_create_a_deployment(admin_client, world):
    response = admin_client.post(
        reverse("deployments:create"),
        {
            "code": "MINUSCA-27",
            "mission": "MINUSCA",
            "profile": world["profile"].pk,
            "starts_on": "2027-04-01",
            "ends_on": "2027-03-01",
            "status": "planned",
        },
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert not Deployment.objects.filter(code="MINUSCA-27").exists()
    response = admin_client.post(
        reverse("deployments:create"),
        {
            "code": "MINUSCA-27",
            "mission": "MINUSCA",
            "profile": world["profile"].pk,
            "starts_on": "2027-04-01",
            "ends_on": "2027-09-30",
            "positions": "4",
            "status": "nominating",
        },
    )
    deployment = Deployment.objects.get(code="MINUSCA-27")
    assert response["Location"] == reverse("deployments:detail", args=[deployment.pk])
    assert "MINUSCA-27" in admin_client.get(reverse("deployments:list")).content.decode()


def test_pool_lists_the_ready_and_apart_the_almost_ready(admin_client, world):
    url = reverse("deployments:readiness") + f"?profile=UNMEM&starts_on={START}&ends_on={END}"
    page = admin_client.get(url).content.decode()
    ready_part, almost_part = page.split('id="almost-heading"')
    for trainee in world["people"]["ready"]:
        assert trainee.paternal_surname in ready_part
    assert "Muñoz" in almost_part and "Muñoz" not in ready_part
    assert "CPTM-27-01" in almost_part  # the session that renews it in time
    assert "Ortiz" not in page
    # Filters narrow the search: only women.
    page = admin_client.get(url + "&gender=female").content.decode()
    assert "0 ready" in page and "Muñoz" in page


def test_nominate_four_at_once_and_one_not_ready_with_a_warning(
    admin_client, world, admin_user, django_capture_on_commit_callbacks
):
    deployment = world["deployment"]
    chosen = [*world["people"]["ready"], world["people"]["almost"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("deployments:nominate", args=[deployment.pk]),
            {"trainees": [t.pk for t in chosen]},
            follow=True,
        )
    page = response.content.decode()
    assert "5 people nominated for MINURSO-27" in page
    assert "Muñoz" in page and "is not ready" in page
    nominations = Nomination.objects.filter(deployment=deployment)
    assert nominations.count() == 5
    assert set(nominations.filter(ready_when_nominated=True).values_list("trainee_id", flat=True)) == {
        t.pk for t in world["people"]["ready"]
    }
    warned = nominations.get(trainee=world["people"]["almost"])
    assert not warned.ready_when_nominated
    assert "CPTM" in warned.warning and "2027-05-01" in warned.warning
    assert warned.nominated_by == admin_user
    # The training officer is told what lapses, once, about the one not ready.
    (message,) = mail.outbox
    assert message.to == ["enlace@bi.example"]
    assert "MINURSO-27" in message.subject
    assert "CPTM" in message.body and "CPTM-27-01" in message.body
    # Nominating again changes nothing.
    admin_client.post(reverse("deployments:nominate", args=[deployment.pk]), {"trainees": [chosen[0].pk]})
    assert nominations.count() == 5


def test_detail_shows_each_nominee_readiness_and_withdraw(admin_client, world):
    deployment = world["deployment"]
    ready, almost = world["people"]["ready"][0], world["people"]["almost"]
    factories.NominationFactory(deployment=deployment, trainee=ready)
    nomination = factories.NominationFactory(deployment=deployment, trainee=almost)
    page = admin_client.get(reverse("deployments:detail", args=[deployment.pk])).content.decode()
    assert "2 standing, 1 ready" in page
    assert "lapses within the deployment" in page
    response = admin_client.post(reverse("deployments:withdraw", args=[deployment.pk, nomination.pk]))
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.WITHDRAWN
    page = admin_client.get(reverse("deployments:detail", args=[deployment.pk])).content.decode()
    assert "1 standing, 1 ready" in page


def _nominate_all(world):
    for trainee in [*world["people"]["ready"], world["people"]["almost"], world["people"]["not"]]:
        factories.NominationFactory(deployment=world["deployment"], trainee=trainee)


def test_nominations_csv_has_exactly_the_design_columns(admin_client, world):
    _nominate_all(world)
    world["people"]["not"].given_names = '=HYPERLINK("http://x")'
    world["people"]["not"].save()
    response = admin_client.get(reverse("deployments:nominations-csv", args=[world["deployment"].pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
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
    by_surname = {row[2].split()[-2]: row for row in rows[1:]}
    assert by_surname["Muñoz"][5:] == ["proposed", "no", "CPTM", "2027-05-01"]
    assert by_surname["Núñez"][5:] == ["proposed", "yes", "", ""]
    assert by_surname["Ortiz"][6:] == ["no", "CPTM | PASSPORT", ""]
    assert by_surname["Ortiz"][2].startswith("'=")  # formula neutralized
    assert ExportLog.objects.filter(kind="nominations-csv", row_count=6).exists()


def test_nominations_xlsx_and_pdf(admin_client, world):
    _nominate_all(world)
    response = admin_client.get(reverse("deployments:nominations-xlsx", args=[world["deployment"].pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "service_number" and rows[0][-1] == "lapses_on" and len(rows) == 7
    response = admin_client.get(reverse("deployments:nominations-pdf", args=[world["deployment"].pk]))
    assert response.content.startswith(b"%PDF")
    assert ExportLog.objects.filter(kind__in=["nominations-xlsx", "nominations-pdf"]).count() == 2


def test_readiness_csv(admin_client, world):
    response = admin_client.get(
        reverse("deployments:readiness-csv") + f"?profile=UNMEM&starts_on={START}&ends_on={END}"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "service_number",
        "nationality",
        "name",
        "organization",
        "gender",
        "ready",
        "failing",
        "lapses_on",
    ]
    assert sorted(row[5] for row in rows[1:]) == ["no", "yes", "yes", "yes", "yes"]
    assert ["no", "CPTM", "2027-05-01"] in [row[5:] for row in rows[1:]]
    assert ExportLog.objects.filter(kind="readiness-csv").exists()


def test_unit_readiness_counts_with_names(admin_client, world):
    url = (
        reverse("deployments:units") + f"?organization={world['unit'].pk}&profile=UNMEM&starts_on={START}&ends_on={END}"
    )
    response = admin_client.get(url)
    assert [len(response.context[key]) for key in ("ready", "fixable", "not_ready")] == [4, 1, 1]
    page = response.content.decode()
    assert "Ortiz" in page and "Muñoz" in page


@pytest.mark.parametrize("name", ["list", "create", "readiness", "units"])
def test_others_are_refused(client, world, trainee_user, instructor, name):
    for user in (trainee_user, instructor):
        client.force_login(user)
        assert client.get(reverse(f"deployments:{name}")).status_code == 403


def test_nominating_is_refused_to_others(client, world, trainee_user, instructor):
    deployment = world["deployment"]
    for user in (trainee_user, instructor):
        client.force_login(user)
        response = client.post(
            reverse("deployments:nominate", args=[deployment.pk]), {"trainees": [world["people"]["ready"][0].pk]}
        )
        assert response.status_code == 403
        assert client.get(reverse("deployments:nominations-csv", args=[deployment.pk])).status_code == 403
    assert not Nomination.objects.exists()


def test_unknown_deployment_is_404(admin_client, world):
    assert admin_client.get(reverse("deployments:detail", args=[999999])).status_code == 404


def _grow(world, extra):
    """Add `extra` ready people, nominated, to the deployment."""
    cptm, passport = world["profile"].required_types.order_by("code")
    for _ in range(extra):
        trainee = factories.TraineeFactory(organization=world["unit"])
        factories.CertificationFactory(trainee=trainee, type=cptm, issued_on=datetime.date(2025, 1, 1))
        factories.CertificationFactory(trainee=trainee, type=passport, issued_on=datetime.date(2025, 1, 1))
        factories.NominationFactory(deployment=world["deployment"], trainee=trainee)


def _queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url_name", ["deployments:detail", "deployments:readiness", "deployments:units", "deployments:list"]
)
def test_query_budget_does_not_grow_with_rows(admin_client, world, url_name, django_assert_max_num_queries):
    _nominate_all(world)
    urls = {
        "deployments:detail": reverse("deployments:detail", args=[world["deployment"].pk]),
        "deployments:readiness": reverse("deployments:readiness")
        + f"?profile=UNMEM&starts_on={START}&ends_on={END}&deployment={world['deployment'].pk}",
        "deployments:units": reverse("deployments:units")
        + f"?organization={world['unit'].pk}&profile=UNMEM&starts_on={START}&ends_on={END}",
        "deployments:list": reverse("deployments:list"),
    }
    small = _queries(admin_client, urls[url_name], django_assert_max_num_queries)
    _grow(world, 25)
    factories.DeploymentFactory.create_batch(5, profile=world["profile"])
    large = _queries(admin_client, urls[url_name], django_assert_max_num_queries)
    assert large == small
    assert small <= 24


def test_spanish_by_default(world, admin_user):
    from django.test import Client

    client = Client(headers={"accept-language": "es"})
    client.force_login(admin_user)
    factories.NominationFactory(deployment=world["deployment"], trainee=world["people"]["almost"])
    page = client.get(reverse("deployments:detail", args=[world["deployment"].pk])).content.decode()
    assert "Propuestos" in page and "vence durante el despliegue" in page and "Casi listo" in page


def test_history_of_a_deployment_names_who_nominated_and_withdrew(admin_client, world, admin_user):
    deployment = world["deployment"]
    trainee = world["people"]["almost"]
    admin_client.post(reverse("deployments:nominate", args=[deployment.pk]), {"trainees": [trainee.pk]})
    nomination = Nomination.objects.get(deployment=deployment, trainee=trainee)
    admin_client.post(reverse("deployments:withdraw", args=[deployment.pk, nomination.pk]))
    assert nomination.events.count() == 2  # pghistory: inserted, then withdrawn
    page = admin_client.get(f"/deployments/{deployment.pk}/history/").content.decode()
    assert f"Nomination of {trainee.full_name}" in page
    assert "Withdrawn" in page and "Adriana Sánchez" in page


def test_nominate_by_service_number_someone_not_ready(admin_client, world, django_capture_on_commit_callbacks):
    deployment = world["deployment"]
    not_ready = world["people"]["not"]
    url = reverse("deployments:nominate", args=[deployment.pk])
    page = admin_client.post(url, {"service_numbers": f"{not_ready.service_number}, XX-404"}, follow=True)
    assert "No trainee has the service number XX-404" in page.content.decode()
    assert not Nomination.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(url, {"service_numbers": not_ready.service_number}, follow=True).content.decode()
    assert "is not ready" in page
    nomination = Nomination.objects.get(trainee=not_ready)
    assert not nomination.ready_when_nominated
    assert "CPTM: missing" in nomination.warning and "PASSPORT: missing" in nomination.warning
    (message,) = mail.outbox
    assert "PASSPORT" in message.body
