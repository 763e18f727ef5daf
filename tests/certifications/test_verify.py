"""Public verification: /verify/<code>/ and the /verify/ search box; revoking shows there."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from certifications import services
from certifications.models import Certification
from tests import factories
from tests.certifications.documents_helpers import cecopam_certification, name_the_holder, use_private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings):
    use_private_cache(settings)


@pytest.fixture
def holder(trainee_user):
    return name_the_holder(trainee_user.trainee)


@pytest.fixture
def certification(holder):
    return cecopam_certification(holder)


def verify_url(code):
    return reverse("verify", kwargs={"code": code})


def state_of(response):
    match = re.search(r'id="verify-state">\s*([^<]+?)\s*<', response.content.decode())
    return match and match.group(1)


def test_anyone_sees_the_holder_the_certification_dates_and_state(client, certification):
    response = client.get(verify_url(certification.code))

    assert response.status_code == 200
    body = response.content.decode()
    assert state_of(response) == "Valid"
    assert "María José Núñez Ibáñez" in body
    assert "Certificación en Derecho Internacional Humanitario" in body
    assert certification.code in body
    with translation.override("en"):
        issued, expires = (
            date_format(day, "DATE_FORMAT") for day in (certification.issued_on, certification.expires_on)
        )
    assert issued in body
    assert f"genuine and valid until {expires}." in body


def test_verification_shows_nothing_else_about_the_person(client, holder, certification):
    body = client.get(verify_url(certification.code)).content.decode()

    assert holder.service_number not in body
    assert holder.email not in body
    assert holder.phone not in body
    assert "1234 9876" not in body
    assert holder.organization.name not in body
    assert holder.rank not in body


def test_signed_in_people_of_every_role_get_the_page_too(client, certification, admin_user, instructor):
    for user in (admin_user, instructor):
        client.force_login(user)
        assert client.get(verify_url(certification.code)).status_code == 200


def test_code_in_the_address_forgives_case_and_dashes(client, certification):
    response = client.get(verify_url(certification.code.replace("-", "").lower()))
    assert response.status_code == 200
    assert certification.code in response.content.decode()


def test_expired_certificate_says_expired(client, holder):
    old = cecopam_certification(holder, ends_on=timezone.localdate() - datetime.timedelta(days=900))
    response = client.get(verify_url(old.code))
    assert state_of(response) == "Expired"
    assert "expired on" in response.content.decode()


def test_certificate_expiring_soon_is_still_valid(client, holder):
    soon = cecopam_certification(holder, ends_on=timezone.localdate() - datetime.timedelta(days=700))
    assert soon.state() == Certification.State.EXPIRING
    assert state_of(client.get(verify_url(soon.code))) == "Valid"


def test_revoked_certificate_says_revoked_without_the_reason(client, admin_user, certification):
    services.revoke_certification(certification=certification, reason="Expediente disciplinario 42", by=admin_user)
    response = client.get(verify_url(certification.code))

    assert state_of(response) == "Revoked"
    body = response.content.decode()
    assert "no longer valid" in body
    assert "Expediente disciplinario" not in body


def test_superseded_certificate_says_superseded_by_a_renewal(client, holder, certification):
    renewal = services.issue_certification(
        trainee=holder, type=certification.type, issued_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert state_of(client.get(verify_url(certification.code))) == "Superseded by a renewal"
    assert state_of(client.get(verify_url(renewal.code))) == "Valid"


def test_external_certification_verifies_with_its_issuer(client, holder):
    external = services.issue_certification(
        trainee=holder, type=factories.CertificationTypeFactory(), issued_on=timezone.localdate(), issuer="UNITAR"
    )
    response = client.get(verify_url(external.code))
    assert state_of(response) == "Valid"
    assert "UNITAR" in response.content.decode()


@pytest.mark.parametrize(
    "code",
    [
        "0000-0000-0000-0000",
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ",
        "abc",
        "x" * 500,
        "DROP TABLE; --",
        "ñandú",
        "a/b/c",
        "%00",
        "<script>alert(1)</script>",
    ],
)
def test_unknown_codes_all_get_the_same_not_found_page(client, certification, code):
    reference = client.get("/verify/ABCD-EFGH-JKMN-PQRS/")
    response = client.get(f"/verify/{code}/")

    assert reference.status_code == response.status_code == 404
    assert response.content == reference.content
    assert b"Certificate not found" in response.content
    assert code.encode() not in response.content


def test_rate_limit_answers_429_past_the_limit_per_address(settings, certification):
    settings.VERIFY_RATE_LIMIT = "3/m"
    first = Client(headers={"accept-language": "en"}, REMOTE_ADDR="203.0.113.7")
    second = Client(headers={"accept-language": "en"}, REMOTE_ADDR="203.0.113.8")

    statuses = [first.get(verify_url(certification.code)).status_code for _ in range(3)]
    unknown = first.get(verify_url("0000-0000-0000-0000"))
    after = first.get(verify_url(certification.code))

    assert statuses == [200, 200, 200]
    assert unknown.status_code == 429  # unknown codes count too: that is what enumeration tries
    assert after.status_code == 429
    assert after["Retry-After"] == "60"
    assert "Too many requests" in after.content.decode()
    assert second.get(verify_url(certification.code)).status_code == 200


def test_rate_limit_counts_an_ipv6_client_by_its_64_network(settings, certification):
    settings.VERIFY_RATE_LIMIT = "2/m"
    addresses = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::abcd"]
    statuses = [Client(REMOTE_ADDR=address).get(verify_url(certification.code)).status_code for address in addresses]
    assert statuses == [200, 200, 429]
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").get(verify_url(certification.code)).status_code == 200


def test_rate_limit_behind_a_proxy_counts_each_client_not_the_proxy(settings, certification):
    """Behind a reverse proxy every request comes from its address: with TRUSTED_PROXY_COUNT
    the limit applies to the address the proxy saw, and a forged X-Forwarded-For entry before
    it changes nothing."""
    settings.VERIFY_RATE_LIMIT = "2/m"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def get(forwarded_for):
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)
        return client.get(verify_url(certification.code)).status_code

    assert [get("192.0.2.41"), get("1.2.3.4, 192.0.2.41"), get("5.6.7.8, 192.0.2.41")] == [200, 200, 429]
    assert get("192.0.2.42") == 200


def test_rate_limit_window_resets(settings, certification, monkeypatch):
    settings.VERIFY_RATE_LIMIT = "2/m"
    client = Client(REMOTE_ADDR="198.51.100.4")
    now = timezone.now().replace(second=1)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert [client.get(verify_url(certification.code)).status_code for _ in range(3)] == [200, 200, 429]
    monkeypatch.setattr(timezone, "now", lambda: now + datetime.timedelta(minutes=1))
    assert client.get(verify_url(certification.code)).status_code == 200


def test_search_box_page(client):
    response = client.get(reverse("verify-search"))
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_search_forgives_case_dashes_and_spaces(client, certification):
    typed = " " + certification.code.replace("-", " ").lower() + " "
    response = client.get(reverse("verify-search"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == verify_url(certification.code)


def test_search_reads_letters_o_i_l_as_digits(client):
    response = client.get(reverse("verify-search"), {"code": "o1il-0000-0000-0000"})
    assert response["Location"] == verify_url("0111-0000-0000-0000")


def test_search_with_a_malformed_code_explains_and_keeps_the_input(client):
    response = client.get(reverse("verify-search"), {"code": "12-34"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "A certificate code has 16 letters and digits." in body
    assert 'value="12-34"' in body


def test_verification_page_in_spanish(certification):
    spanish = Client(headers={"accept-language": "es"})
    response = spanish.get(verify_url(certification.code))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="es' in body
    months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    issued = certification.issued_on
    assert f"{issued.day} de {months[issued.month - 1]} de {issued.year}" in body.lower()
    not_found = spanish.get(verify_url("0000-0000-0000-0000"))
    assert '<html lang="es' in not_found.content.decode()


# --- revoking ----------------------------------------------------------------------------


def revoke_url(certification):
    return reverse("certifications:revoke", args=[certification.pk])


def test_administrator_revokes_with_a_reason_and_verification_shows_it(client, admin_user, certification):
    client.force_login(admin_user)
    assert client.get(revoke_url(certification)).status_code == 200
    response = client.post(revoke_url(certification), {"reason": "Resultado anulado por el comité"})

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:trainee", args=[certification.trainee_id])
    certification.refresh_from_db()
    assert certification.revoked_at is not None
    assert certification.revoked_reason == "Resultado anulado por el comité"
    assert certification.revoked_by == admin_user
    client.logout()
    assert state_of(client.get(verify_url(certification.code))) == "Revoked"


@pytest.mark.parametrize("reason", ["", "   "])
def test_revoking_needs_a_reason(client, admin_user, certification, reason):
    client.force_login(admin_user)
    response = client.post(revoke_url(certification), {"reason": reason})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode() or "Give the reason" in response.content.decode()
    certification.refresh_from_db()
    assert certification.revoked_at is None


def test_revoking_twice_is_refused_without_error(client, admin_user, certification):
    services.revoke_certification(certification=certification, reason="Primera vez", by=admin_user)
    client.force_login(admin_user)
    response = client.post(revoke_url(certification), {"reason": "Segunda vez"})

    assert response.status_code == 200
    assert "Primera vez" in response.content.decode()
    certification.refresh_from_db()
    assert certification.revoked_reason == "Primera vez"


@pytest.mark.parametrize("who", ["trainee_user", "other_trainee_user", "instructor"])
def test_only_administrators_may_revoke(client, request, certification, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(revoke_url(certification)).status_code == 403
    assert client.post(revoke_url(certification), {"reason": "No"}).status_code == 403
    certification.refresh_from_db()
    assert certification.revoked_at is None


def test_revoking_an_unknown_certification_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.post(reverse("certifications:revoke", args=[999999]), {"reason": "x"}).status_code == 404


def test_record_shows_the_revocation_and_its_reason(client, admin_user, trainee_user, certification):
    client.force_login(admin_user)
    client.post(revoke_url(certification), {"reason": "Resultado anulado por el comité"})
    for user, url in (
        (admin_user, reverse("reports:trainee", args=[certification.trainee_id])),
        (trainee_user, reverse("reports:me")),
    ):
        client.force_login(user)
        body = client.get(url).content.decode()
        assert "Revoked" in body and "Resultado anulado por el comité" in body
        assert reverse("certifications:certificate", args=[certification.pk]) not in body
        assert reverse("certifications:revoke", args=[certification.pk]) not in body
