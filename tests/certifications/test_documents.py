"""The certificate and transcript PDFs: what they say, the QR code, who may download them."""

import datetime
import io
import re
import socket
import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from certifications import documents, services
from certifications.models import Certification
from tests import factories
from tests.certifications.documents_helpers import (
    cecopam_certification,
    decode_qr_codes,
    name_the_holder,
    pdf_text,
    use_private_cache,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings):
    use_private_cache(settings)


@pytest.fixture
def holder(trainee_user):
    return name_the_holder(trainee_user.trainee)


@pytest.fixture
def certification(holder):
    return cecopam_certification(holder, starts_on=datetime.date(2025, 3, 3), ends_on=datetime.date(2025, 3, 14))


def certificate_url(certification):
    return reverse("certifications:certificate", args=[certification.pk])


# --- the certificate ---------------------------------------------------------------------


def test_certificate_text_holds_the_accented_name_certification_dates_and_code(client, trainee_user, certification):
    client.force_login(trainee_user)
    response = client.get(certificate_url(certification))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Capitana María José Núñez Ibáñez" in text
    assert "Derecho Internacional Humanitario" in text
    assert "Certificación en Derecho Internacional Humanitario" in text
    assert certification.code in text
    # Session dates and hours, in both languages.
    assert "Impartido del 3 de marzo de 2025 al 14 de marzo de 2025, con una duración de 60 horas." in text
    assert "Held from 3 March 2025 to 14 March 2025, 60 hours of instruction." in text
    # Issue and expiry (24 months later), in both languages.
    assert "14 de marzo de 2025 / 14 March 2025" in text
    assert "14 de marzo de 2027 / 14 March 2027" in text
    assert "Centro de Entrenamiento Conjunto de Operaciones de Paz de México" in text
    assert "Joint Training Center for Peacekeeping Operations" in text
    assert "CERTIFICADO" in text and "Certificate" in text
    assert "Director del CECOPAM" in text and "Director, CECOPAM" in text


def test_certificate_is_bilingual_whatever_the_interface_language(trainee_user, certification):
    from django.test import Client

    spanish = Client(headers={"accept-language": "es"})
    spanish.force_login(trainee_user)
    text = pdf_text(spanish.get(certificate_url(certification)).content)

    assert "Se otorga el presente certificado a" in text
    assert "This certificate is awarded to" in text
    assert "14 March 2027" in text and "14 de marzo de 2027" in text


def test_certificate_qr_code_is_the_verification_url_and_that_url_verifies(client, settings, trainee_user, holder):
    settings.SITE_URL = "https://cecopam.example.mx"
    certification = cecopam_certification(holder)  # recent: valid today
    client.force_login(trainee_user)
    content = client.get(certificate_url(certification)).content

    assert decode_qr_codes(content) == [f"https://cecopam.example.mx/verify/{certification.code}/"]
    assert f"https://cecopam.example.mx/verify/{certification.code}/" in pdf_text(content)

    client.logout()
    response = client.get(urlsplit(decode_qr_codes(content)[0]).path)
    assert response.status_code == 200
    assert re.search(r'id="verify-state">\s*Valid\s*<', response.content.decode())
    assert "María José Núñez Ibáñez" in response.content.decode()


def test_qr_code_of_a_revoked_certificate_verifies_as_revoked(client, trainee_user, admin_user, holder):
    certification = cecopam_certification(holder)
    client.force_login(trainee_user)
    (url,) = decode_qr_codes(client.get(certificate_url(certification)).content)
    services.revoke_certification(certification=certification, reason="Documento alterado", by=admin_user)

    response = client.get(urlsplit(url).path)
    assert re.search(r'id="verify-state">\s*Revoked\s*<', response.content.decode())


@pytest.mark.parametrize(("setting", "width", "height"), [("A4", 842, 595), ("letter", 792, 612)])
def test_certificate_page_size_follows_the_setting(
    client, settings, trainee_user, certification, setting, width, height
):
    settings.CERTIFICATE_PAGE_SIZE = setting
    client.force_login(trainee_user)
    reader = PdfReader(io.BytesIO(client.get(certificate_url(certification)).content))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (width, height)


def test_administrator_downloads_anyones_certificate(client, admin_user, certification):
    client.force_login(admin_user)
    response = client.get(certificate_url(certification))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["other_trainee_user", "instructor"])
def test_certificate_is_hidden_from_anyone_else(client, request, certification, who):
    # The instructor even taught the session: still not their certificate to print.
    certification.enrollment.session.instructors.add(request.getfixturevalue("instructor"))
    client.force_login(request.getfixturevalue(who))
    assert client.get(certificate_url(certification)).status_code == 404


def test_certificate_asks_an_anonymous_visitor_to_sign_in(client, certification):
    response = client.get(certificate_url(certification))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_external_certification_has_no_cecopam_certificate(client, admin_user, holder):
    external = services.issue_certification(
        trainee=holder, type=factories.CertificationTypeFactory(), issued_on=datetime.date(2025, 5, 1), issuer="UNITAR"
    )
    client.force_login(admin_user)
    assert client.get(certificate_url(external)).status_code == 404


def test_revoked_certification_is_refused_clearly(client, admin_user, trainee_user, certification):
    services.revoke_certification(certification=certification, reason="Resultado corregido", by=admin_user)
    client.force_login(trainee_user)
    response = client.get(certificate_url(certification))

    assert response.status_code == 410
    assert "was revoked on" in response.content.decode()
    assert not response.content.startswith(b"%PDF")


# --- rendering safety --------------------------------------------------------------------


def test_rendering_never_opens_a_network_connection(monkeypatch, certification):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while rendering a document")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    certification = Certification.objects.select_related("trainee", "type", "enrollment__session__course").get(
        pk=certification.pk
    )
    assert documents.certificate_pdf(certification).startswith(b"%PDF-")


def test_url_fetcher_reads_only_data_and_project_static_files(tmp_path):
    fetcher = documents.local_only_fetcher([documents.static_dir()])

    stylesheet = (documents.static_dir() / "css" / "print-certificate.css").resolve()
    assert b"@page" in fetcher.fetch(stylesheet.as_uri()).read()
    assert fetcher.fetch("data:text/plain,hola").read() == b"hola"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (
        "http://127.0.0.1:9/x.css",
        "https://example.com/font.woff",
        "ftp://example.com/x",
        outside.as_uri(),
        "file:///etc/passwd",
        (documents.static_dir() / ".." / "cecopam" / "settings.py").as_uri(),
    ):
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(url)


# --- the transcript ----------------------------------------------------------------------


def transcript_fixture(holder, courses):
    """`courses` passed sessions (one with a certification) plus one failed and one withdrawn."""
    for index in range(courses):
        session = factories.CourseSessionFactory(
            course__title=f"Curso número {index + 1:02d}",
            starts_on=datetime.date(2020, 1, 6) + datetime.timedelta(days=30 * index),
            ends_on=datetime.date(2020, 1, 10) + datetime.timedelta(days=30 * index),
            status="finalized",
        )
        factories.EnrollmentFactory(
            session=session, trainee=holder, result="passed", score=f"{80 + index % 20}.50", attendance=95
        )
    failed = factories.CourseSessionFactory(course__title="Operaciones de Mantenimiento de la Paz", status="finalized")
    factories.EnrollmentFactory(session=failed, trainee=holder, result="failed", score="55.00", attendance=70)
    withdrawn = factories.CourseSessionFactory(course__title="Género en Operaciones de Paz")
    factories.EnrollmentFactory(session=withdrawn, trainee=holder, status="withdrawn")
    waitlisted = factories.CourseSessionFactory(course__title="Curso en lista de espera")
    factories.EnrollmentFactory(session=waitlisted, trainee=holder, status="waitlisted")


def test_my_transcript_lists_courses_with_results_and_certifications_with_state(
    client, trainee_user, holder, certification, admin_user
):
    transcript_fixture(holder, courses=2)
    revoked = cecopam_certification(holder, title="Uso Legítimo de la Fuerza")
    services.revoke_certification(certification=revoked, reason="Error de captura", by=admin_user)
    external = services.issue_certification(
        trainee=holder,
        type=factories.CertificationTypeFactory(name="Curso UNITAR"),
        issued_on=datetime.date(2024, 2, 1),
        issuer="UNITAR",
    )
    client.force_login(trainee_user)
    response = client.get(reverse("certifications:my-transcript"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Capitana María José Núñez Ibáñez" in text
    assert holder.service_number in text
    assert "Curso número 01" in text and "Curso número 02" in text
    assert "Derecho Internacional Humanitario" in text
    assert "Passed 91.5 100 %" in text  # scores print without trailing zeros (common.numbers)
    assert "Failed 55 70 %" in text
    assert "Operaciones de Mantenimiento de la Paz" in text
    assert re.search(r"Género en Operaciones de Paz \S+ SES-\d+ [\d/ –]+ \d+ Withdrawn", text)
    assert "Curso en lista de espera" not in text
    assert "03/03/2025 – 03/14/2025" in text  # English short dates
    # Certifications with their state; the external one marked, without a CECOPAM code.
    assert certification.code in text and "Valid" in text
    assert revoked.code in text and "Revoked" in text
    assert "UNITAR (external)" in text and external.code not in text
    assert "Page 1 of 1" in text


def test_transcript_pages_are_dated_and_numbered_n_of_m(client, trainee_user, holder):
    transcript_fixture(holder, courses=40)
    client.force_login(trainee_user)
    text = pdf_text(client.get(reverse("certifications:my-transcript")).content)

    pages = [(int(n), int(m)) for n, m in re.findall(r"Page (\d+) of (\d+)", text)]
    total = pages[0][1]
    assert total >= 2
    assert pages == [(n, total) for n in range(1, total + 1)]
    assert text.count("Issued on ") >= total  # the date line on every page


def test_transcript_query_count_does_not_grow_with_courses(client, trainee_user, holder):
    client.force_login(trainee_user)
    url = reverse("certifications:my-transcript")
    transcript_fixture(holder, courses=2)
    client.get(url)  # warm the session and the role cache
    cache.clear()  # the rendering (in the task, here in-process) is counted too
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    transcript_fixture(holder, courses=15)
    for _ in range(5):
        cecopam_certification(holder)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).status_code == 200
    assert len(cached) < len(large)  # a cached transcript is not read again


def test_administrator_downloads_any_trainees_transcript(client, admin_user, holder, certification):
    client.force_login(admin_user)
    response = client.get(reverse("certifications:transcript", args=[holder.pk]))
    assert response.status_code == 200
    assert "María José Núñez Ibáñez" in pdf_text(response.content)


def test_holder_may_use_the_trainee_url_for_their_own_transcript(client, trainee_user, holder):
    client.force_login(trainee_user)
    assert client.get(reverse("certifications:transcript", args=[holder.pk])).status_code == 200


def test_another_trainee_cannot_get_a_transcript(client, other_trainee_user, holder):
    client.force_login(other_trainee_user)
    assert client.get(reverse("certifications:transcript", args=[holder.pk])).status_code == 404


def test_instructor_who_teaches_the_trainee_cannot_print_the_transcript(client, instructor, holder, certification):
    certification.enrollment.session.instructors.add(instructor)
    client.force_login(instructor)
    assert client.get(reverse("certifications:transcript", args=[holder.pk])).status_code == 403


def test_instructor_who_does_not_teach_the_trainee_gets_not_found(client, other_instructor, holder, certification):
    client.force_login(other_instructor)
    assert client.get(reverse("certifications:transcript", args=[holder.pk])).status_code == 404


def test_my_transcript_without_a_trainee_record_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("certifications:my-transcript")).status_code == 404


def test_transcript_asks_an_anonymous_visitor_to_sign_in(client, holder):
    for url in (reverse("certifications:my-transcript"), reverse("certifications:transcript", args=[holder.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- cost --------------------------------------------------------------------------------


def test_rendering_cost_is_measured(holder, certification, capsys):
    """Not a timed assertion: prints what a certificate and a 40-course transcript cost to render
    (the figures are written down in bench/README.md)."""
    transcript_fixture(holder, courses=40)
    certification = Certification.objects.select_related("trainee", "type", "enrollment__session__course").get(
        pk=certification.pk
    )
    documents.certificate_pdf(certification)  # first render loads WeasyPrint and fonts
    started = time.perf_counter()
    content = documents.certificate_pdf(certification)
    certificate_seconds = time.perf_counter() - started

    enrollments = list(holder.enrollments.exclude(status="waitlisted").select_related("session__course"))
    certifications = list(holder.certifications.select_related("type"))
    started = time.perf_counter()
    transcript = documents.transcript_pdf(holder, enrollments=enrollments, certifications=certifications)
    transcript_seconds = time.perf_counter() - started

    assert len(enrollments) == 43 and content.startswith(b"%PDF-") and transcript.startswith(b"%PDF-")
    with capsys.disabled():
        print(
            f"\ncertificate: {certificate_seconds * 1000:.0f} ms; 40-course transcript: {transcript_seconds * 1000:.0f} ms"
        )


def test_record_pages_link_to_the_documents(client, admin_user, trainee_user, holder, certification):
    client.force_login(admin_user)
    body = client.get(reverse("reports:trainee", args=[holder.pk])).content.decode()
    assert reverse("certifications:certificate", args=[certification.pk]) in body
    assert reverse("certifications:transcript", args=[holder.pk]) in body
    assert reverse("certifications:revoke", args=[certification.pk]) in body

    client.force_login(trainee_user)
    body = client.get(reverse("reports:me")).content.decode()
    assert reverse("certifications:certificate", args=[certification.pk]) in body
    assert reverse("certifications:my-transcript") in body
    assert reverse("certifications:revoke", args=[certification.pk]) not in body
