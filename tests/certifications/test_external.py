"""Certifications recorded by hand from another institution, and their permission-checked scan."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certifications.models import Certification
from tests import factories
from tests.certifications.documents_helpers import name_the_holder

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def holder(trainee_user):
    return name_the_holder(trainee_user.trainee)


@pytest.fixture
def certification_type():
    return factories.CertificationTypeFactory(name="Observador Militar de la ONU", validity_months=36)


def new_url(trainee):
    return reverse("certifications:external-new-for-trainee", args=[trainee.pk])


def form_data(certification_type, *, name="certificado.pdf", content=PDF, **overrides):
    data = {
        "type": certification_type.pk,
        "issuer": "UNITAR",
        "issued_on": "2025-06-20",
        "expires_on": "2027-06-20",
        "scan": SimpleUploadedFile(name, content),
    }
    data.update(overrides)
    return data


def test_administrator_records_an_external_certification_with_its_scan(
    client, admin_user, holder, certification_type, media_root
):
    client.force_login(admin_user)
    assert client.get(new_url(holder)).status_code == 200
    response = client.post(new_url(holder), form_data(certification_type))

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:trainee", args=[holder.pk])
    certification = Certification.objects.get(trainee=holder)
    assert certification.is_external
    assert certification.issuer == "UNITAR"
    assert certification.type == certification_type
    assert (certification.issued_on, certification.expires_on) == (
        datetime.date(2025, 6, 20),
        datetime.date(2027, 6, 20),
    )
    # Stored under a random name inside MEDIA_ROOT, never the uploader's name.
    assert certification.scan.name.endswith(".pdf")
    assert "certificado" not in certification.scan.name
    assert (media_root / certification.scan.name).read_bytes() == PDF


def test_the_query_string_route_records_for_the_trainee_given(client, admin_user, holder, certification_type):
    client.force_login(admin_user)
    url = reverse("certifications:external-new") + f"?trainee={holder.pk}"
    assert client.get(url).status_code == 200
    assert client.post(url, form_data(certification_type)).status_code == 302
    assert Certification.objects.filter(trainee=holder, issuer="UNITAR").exists()


def test_expiry_defaults_to_the_type_validity(client, admin_user, holder, certification_type):
    client.force_login(admin_user)
    client.post(new_url(holder), form_data(certification_type, expires_on=""))
    assert Certification.objects.get(trainee=holder).expires_on == datetime.date(2028, 6, 20)


@pytest.mark.parametrize(("name", "content"), [("escaneo.PNG", PNG), ("foto.jpg", JPEG), ("foto.jpeg", JPEG)])
def test_png_and_jpeg_scans_are_accepted(client, admin_user, holder, certification_type, name, content):
    client.force_login(admin_user)
    assert client.post(new_url(holder), form_data(certification_type, name=name, content=content)).status_code == 302
    assert Certification.objects.get(trainee=holder).scan.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("certificado.pdf", b"just some text pretending to be a PDF"),
        ("certificado.pdf", PNG),  # the extension and the content disagree
        ("escaneo.png", b"MZ\x90\x00 a Windows program"),
        ("escaneo.gif", b"GIF89a" + b"\x00" * 20),
        ("escaneo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("certificado", PDF),  # no extension at all
        ("vacío.pdf", b""),
    ],
)
def test_other_files_are_refused_by_their_content(client, admin_user, holder, certification_type, name, content):
    client.force_login(admin_user)
    response = client.post(new_url(holder), form_data(certification_type, name=name, content=content))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Upload a PDF, PNG or JPEG file." in body or "The submitted file is empty." in body
    assert 'value="UNITAR"' in body  # the rest of the input is kept
    assert not Certification.objects.filter(trainee=holder).exists()


def test_scan_larger_than_the_limit_is_refused(client, settings, admin_user, holder, certification_type):
    settings.SCAN_MAX_UPLOAD_BYTES = 1024
    client.force_login(admin_user)
    response = client.post(new_url(holder), form_data(certification_type, content=PDF + b"0" * 2048))

    assert response.status_code == 200
    assert "The file is too large" in response.content.decode()
    assert not Certification.objects.filter(trainee=holder).exists()


def test_scan_is_required(client, admin_user, holder, certification_type):
    client.force_login(admin_user)
    data = form_data(certification_type)
    del data["scan"]
    response = client.post(new_url(holder), data)
    assert response.status_code == 200
    assert not Certification.objects.filter(trainee=holder).exists()


def test_dates_are_checked_at_their_fields(client, admin_user, holder, certification_type):
    client.force_login(admin_user)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(new_url(holder), form_data(certification_type, issued_on=tomorrow, expires_on=""))
    assert "The issue date cannot be in the future." in response.content.decode()

    response = client.post(new_url(holder), form_data(certification_type, expires_on="2025-06-19"))
    assert "The expiry date cannot be before the issue date." in response.content.decode()
    response = client.post(new_url(holder), form_data(certification_type, issued_on="20/06/2025x"))
    assert response.status_code == 200
    assert not Certification.objects.filter(trainee=holder).exists()


@pytest.mark.parametrize("who", ["trainee_user", "instructor"])
def test_only_administrators_record_external_certifications(client, request, holder, certification_type, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(new_url(holder)).status_code == 403
    assert client.post(new_url(holder), form_data(certification_type)).status_code == 403
    assert not Certification.objects.exists()


def test_anonymous_visitor_is_sent_to_sign_in(client, holder):
    response = client.get(new_url(holder))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "query", ["", "?trainee=", "?trainee=abc", "?trainee=999999", "?trainee=-1", "?trainee=99999999999999999999999"]
)
def test_unknown_trainee_is_not_found(client, admin_user, query):
    client.force_login(admin_user)
    assert client.get(reverse("certifications:external-new") + query).status_code == 404


# --- the scan ----------------------------------------------------------------------------


@pytest.fixture
def external(client, admin_user, holder, certification_type):
    client.force_login(admin_user)
    client.post(new_url(holder), form_data(certification_type))
    client.logout()
    return Certification.objects.get(trainee=holder)


def scan_url(certification):
    return reverse("certifications:scan", args=[certification.pk])


@pytest.mark.parametrize("who", ["trainee_user", "admin_user"])
def test_holder_and_administrators_download_the_scan(client, request, external, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(scan_url(external))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert external.code in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["other_trainee_user", "instructor"])
def test_nobody_else_gets_the_scan(client, request, external, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(scan_url(external)).status_code == 404


def test_scan_needs_a_sign_in(client, external):
    response = client.get(scan_url(external))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_scan_is_not_served_from_a_public_media_path(client, settings, external):
    assert client.get(settings.MEDIA_URL + external.scan.name).status_code == 404
    assert client.get("/media/" + external.scan.name).status_code == 404


def test_certification_without_a_scan_has_no_scan_download(client, trainee_user, holder):
    plain = factories.CertificationFactory(trainee=holder)
    client.force_login(trainee_user)
    assert client.get(scan_url(plain)).status_code == 404


def test_external_certification_gets_no_cecopam_certificate(client, trainee_user, external):
    client.force_login(trainee_user)
    assert client.get(reverse("certifications:certificate", args=[external.pk])).status_code == 404


def test_record_shows_the_external_certification_marked_with_its_scan_and_no_certificate(
    client, admin_user, trainee_user, external
):
    for user in (admin_user, trainee_user):
        client.force_login(user)
        url = reverse("reports:trainee", args=[external.trainee_id]) if user == admin_user else reverse("reports:me")
        body = client.get(url).content.decode()
        assert "External" in body and "UNITAR" in body
        assert reverse("certifications:scan", args=[external.pk]) in body
        assert reverse("certifications:certificate", args=[external.pk]) not in body
