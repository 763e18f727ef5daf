"""/me/ shows the trainee's own nominations and what they must renew; nobody else's."""

import datetime

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_me_shows_own_nominations_and_what_to_renew(client, trainee_user, other_trainee_user, settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cptm = factories.CertificationTypeFactory(code="CPTM", name="Core pre-deployment training", validity_months=36)
    profile = factories.RequirementProfileFactory(code="UNMEM", required_types=[cptm])
    mine = factories.DeploymentFactory(code="MINURSO-27", mission="MINURSO", profile=profile)
    theirs = factories.DeploymentFactory(code="MINUSCA-27", mission="MINUSCA", profile=profile)
    factories.CertificationFactory(
        trainee=trainee_user.trainee,
        type=cptm,
        issued_on=datetime.date(2025, 1, 1),
        expires_on=datetime.date(2027, 5, 1),
    )
    factories.NominationFactory(deployment=mine, trainee=trainee_user.trainee)
    factories.NominationFactory(deployment=theirs, trainee=other_trainee_user.trainee)
    client.force_login(trainee_user)
    page = client.get("/me/").content.decode()
    assert "My deployments" in page
    assert "MINURSO-27" in page and "MINUSCA-27" not in page
    assert "CPTM" in page and "lapses within the deployment" in page
    client.force_login(other_trainee_user)
    page = client.get("/me/").content.decode()
    assert "MINUSCA-27" in page and "MINURSO-27" not in page
    assert "missing" in page
