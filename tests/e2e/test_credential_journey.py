"""Trainee: from /me/ downloads a certificate as a signed digital credential (JSON) beside its PDF;
the public verification page explains how a mission checks that file offline and links the
issuer's public key."""

import datetime
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from certifications import credentials
from tests import factories
from tests.certifications.documents_helpers import cecopam_certification

from .conftest import check_page

pytestmark = pytest.mark.e2e


def test_trainee_downloads_the_credential_and_the_verify_page_explains_it(page, live_server, sign_in, tmp_path):
    trainee = factories.TraineeUserFactory(username="mariana", trainee__given_names="Mariana").trainee
    certification = cecopam_certification(trainee, ends_on=timezone.localdate() - datetime.timedelta(days=20))

    sign_in("mariana")
    expect(page).to_have_url(re.compile(r"/me/$"))
    row = page.get_by_role("row").filter(has_text=certification.code)
    expect(row.get_by_role("link", name="Certificate (PDF)")).to_be_visible()
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Digital credential (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == f"credential-{certification.code}.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    credential = json.loads(path.read_text())
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSubject"]["achievement"]["name"] == "Derecho Internacional Humanitario"
    assert credentials.verify(credential)

    page.goto(f"{live_server.url}/verify/{certification.code}/")
    check_page(page)
    section = page.get_by_role("region", name="Digital credential")
    expect(section.get_by_role("heading", name="How a mission's personnel office checks it offline")).to_be_visible()
    expect(section.get_by_role("link", name="Download the digital credential (JSON)")).to_be_visible()
    page.screenshot(path="/tmp/e2e-credential-verify.png", full_page=True)
    section.get_by_role("link", name="/.well-known/did.json").click()
    document = json.loads(page.locator("body").inner_text())
    assert document["id"] == credentials.issuer_did()
    assert document["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
