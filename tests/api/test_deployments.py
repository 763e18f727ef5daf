"""The API's deployment endpoints: profiles, deployments with nominees' readiness, nominating
through deployments.services.nominate, readiness of one trainee and of a pool, by role."""

import datetime

import pytest

from deployments.models import Nomination
from tests import factories

from .test_access import _client

PROBLEM = "application/problem+json"


@pytest.fixture
def mission(world):
    """A MINURSO deployment whose profile requires the certificate the owner holds (until 2028-03-13)
    and one nobody holds."""
    held = world["certification"].type
    other = factories.CertificationTypeFactory(code="DIH", name="Derecho Internacional Humanitario")
    profile = factories.RequirementProfileFactory(code="UNMEM2", required_types=[held, other])
    easy = factories.RequirementProfileFactory(code="STAFF", required_types=[held])
    deployment = factories.DeploymentFactory(
        code="MINURSO-28", profile=profile, starts_on=datetime.date(2027, 3, 1), ends_on=datetime.date(2027, 8, 31)
    )
    return {"profile": profile, "easy": easy, "deployment": deployment, "other_type": other}


def test_nominate_through_the_service_with_readiness(world, api, mission):
    owner = world["cast"]["trainee"].trainee
    url = f"/api/v1/deployments/{mission['deployment'].pk}/nominations/"
    response = api("administrator").post(url, {"trainees": [owner.pk], "notes": "Propuesto por la SEDENA"})
    assert response.status_code == 201, response.content
    [nominee] = response.json()
    assert nominee["trainee"] == owner.pk and nominee["status"] == "proposed"
    assert nominee["ready_when_nominated"] is False and "DIH" in nominee["warning"]
    assert nominee["readiness"]["ready"] is False
    assert [f["code"] for f in nominee["readiness"]["failures"]] == ["DIH"]
    assert nominee["readiness"]["failures"][0]["reason"] == "missing"
    nomination = Nomination.objects.get(deployment=mission["deployment"], trainee=owner)
    assert nomination.nominated_by == world["cast"]["administrator"] and nomination.notes == "Propuesto por la SEDENA"
    listed = api("administrator").get(url)
    assert [n["id"] for n in listed.json()] == [nomination.pk]
    # Only administrators nominate; a read token does not write.
    for role in ("instructor", "trainee"):
        assert api(role).post(url, {"trainees": [owner.pk]}).status_code in (403, 404)
    assert api("administrator").post(url, {"trainees": []}).status_code == 400


def test_readiness_of_one_trainee_over_a_window(world, api, mission):
    owner = world["cast"]["trainee"].trainee
    url = f"/api/v1/trainees/{owner.pk}/readiness/"
    inside = api("administrator").get(url, {"profile": "STAFF", "starts_on": "2027-03-01", "ends_on": "2027-08-31"})
    assert inside.status_code == 200 and inside.json()["ready"] is True
    lapsing = api("administrator").get(url, {"profile": "STAFF", "starts_on": "2028-01-01", "ends_on": "2028-06-30"})
    failure = lapsing.json()["failures"][0]
    assert lapsing.json()["ready"] is False and failure["reason"] == "lapses" and failure["lapses_on"] == "2028-03-13"
    bad = api("administrator").get(url, {"profile": "STAFF", "starts_on": "2028-06-30", "ends_on": "2028-01-01"})
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert bad.json()["errors"][0]["field"] == "ends_on"
    # Profiles are the administrators' tool: anyone else cannot name one.
    assert (
        api("trainee").get(url, {"profile": "STAFF", "starts_on": "2027-03-01", "ends_on": "2027-08-31"}).status_code
        == 400
    )


def test_the_pool_lists_who_is_ready(world, api, mission):
    owner = world["cast"]["trainee"].trainee
    factories.TraineeFactory.create_batch(3)
    response = api("administrator").get(
        "/api/v1/readiness/", {"profile": "STAFF", "starts_on": "2027-03-01", "ends_on": "2027-08-31"}
    )
    assert response.status_code == 200
    assert [row["trainee"] for row in response.json()["results"]] == [owner.pk]
    assert (
        api("administrator")
        .get("/api/v1/readiness/", {"profile": "NOPE", "starts_on": "2027-03-01", "ends_on": "2027-08-31"})
        .status_code
        == 400
    )


def test_deployments_are_the_administrators_and_nominations_the_nominees(world, api, mission):
    owner = world["cast"]["trainee"].trainee
    nomination = factories.NominationFactory(deployment=mission["deployment"], trainee=owner)
    seen = {}
    for role in ("trainee", "other_trainee", "instructor", "administrator"):
        client = _client(role, world)
        seen[role] = (
            len(client.get("/api/v1/profiles/").json()["results"]),
            len(client.get("/api/v1/deployments/").json()["results"]),
            [n["id"] for n in client.get("/api/v1/nominations/").json()["results"]],
            client.get(f"/api/v1/deployments/{mission['deployment'].pk}/").status_code,
            client.get(f"/api/v1/nominations/{nomination.pk}/").status_code,
        )
    assert seen == {
        "trainee": (0, 0, [world["nomination"].pk, nomination.pk], 404, 200),
        "other_trainee": (0, 0, [], 404, 404),
        "instructor": (0, 0, [], 404, 404),
        "administrator": (3, 2, [world["nomination"].pk, nomination.pk], 200, 200),
    }
    assert _client("anonymous", world).get("/api/v1/deployments/").status_code == 401
