"""Documents rendered once (issue 16): an issued certificate's PDF is stored until revoked or until
what it prints changes; a transcript is cached under the record version and rendered by a task,
the download answering "being prepared" (202, HTTP Refresh) when the rendering takes longer."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from certifications import services, stored_documents, transcripts
from certifications.models import StoredCertificate
from tests import factories
from tests.certifications.documents_helpers import cecopam_certification, name_the_holder, pdf_text, use_private_cache

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


def test_a_certificate_is_rendered_once_and_served_from_storage(client, trainee_user, certification):
    client.force_login(trainee_user)
    first = client.get(certificate_url(certification))
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    stored = StoredCertificate.objects.get(certification=certification)
    assert bytes(stored.pdf) == first.content
    second = client.get(certificate_url(certification))
    assert second.content == first.content
    stored_again = StoredCertificate.objects.get(certification=certification)
    assert stored_again.rendered_at == stored.rendered_at  # not rendered again


def test_a_corrected_name_renders_the_certificate_again(client, trainee_user, holder, certification):
    client.force_login(trainee_user)
    client.get(certificate_url(certification))
    before = StoredCertificate.objects.get(certification=certification).fingerprint
    holder.given_names = "María Josefina"
    holder.save()
    response = client.get(certificate_url(certification))
    assert "María Josefina" in pdf_text(response.content)
    assert StoredCertificate.objects.get(certification=certification).fingerprint != before


def test_each_language_is_stored_on_its_own(client, trainee_user, certification):
    client.force_login(trainee_user)
    client.get(certificate_url(certification), HTTP_ACCEPT_LANGUAGE="es")
    client.get(certificate_url(certification), HTTP_ACCEPT_LANGUAGE="en")
    assert StoredCertificate.objects.filter(certification=certification).count() == 2


def test_revoking_deletes_the_stored_certificate_and_refuses_it(client, trainee_user, admin_user, certification):
    client.force_login(trainee_user)
    client.get(certificate_url(certification))
    services.revoke_certification(certification=certification, reason="Error de captura", by=admin_user)
    assert not StoredCertificate.objects.filter(certification=certification).exists()
    assert client.get(certificate_url(certification)).status_code == 410


def test_a_transcript_is_served_from_the_cache_until_the_record_changes(client, trainee_user, holder, certification):
    client.force_login(trainee_user)
    url = reverse("certifications:my-transcript")
    first = client.get(url)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert client.get(url).content == first.content  # the same rendering
    cecopam_certification(holder, title="Operaciones de Paz")  # the record changes
    changed = client.get(url)
    assert "Operaciones de Paz" in pdf_text(changed.content)


@pytest.mark.celery_worker  # no in-process rendering: nothing renders the enqueued task
def test_a_transcript_not_rendered_in_time_answers_being_prepared(client, trainee_user, certification, settings):
    settings.TRANSCRIPT_WAIT_SECONDS = 0.2
    client.force_login(trainee_user)
    url = reverse("certifications:my-transcript")
    response = client.get(url)
    assert response.status_code == 202
    assert response["Refresh"] == "2"  # asks again by itself, without a script
    assert "prepared" in response.content.decode() or "prepar" in response.content.decode()
    # A second download while the first rendering is queued enqueues none (the lock) and waits.
    assert client.get(url).status_code == 202
    # The worker's rendering, under the key the download asked for:
    language = client.get(url).wsgi_request.LANGUAGE_CODE
    key = transcripts.cache_key(
        certification.trainee_id,
        transcripts.record_version(certification.trainee_id),
        language,
        transcripts.timezone.localdate(),
    )
    transcripts.render_transcript_task.apply(args=(certification.trainee_id, language, key))
    ready = client.get(url)
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF")


@pytest.mark.celery_worker  # no in-process rendering: nothing renders the enqueued task
def test_a_certificate_not_stored_yet_answers_being_prepared_then_the_pdf(
    client, trainee_user, certification, settings
):
    settings.TRANSCRIPT_WAIT_SECONDS = 0.2
    client.force_login(trainee_user)
    response = client.get(certificate_url(certification))
    assert response.status_code == 202 and response["Refresh"] == "2"
    assert not StoredCertificate.objects.exists()
    language = response.wsgi_request.LANGUAGE_CODE
    with translation.override(language):
        stored_documents.store_certificate(certification)  # what the worker's task does
    ready = client.get(certificate_url(certification))
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF")


@pytest.mark.renders_at_issue
def test_finalizing_a_session_stores_its_certificates_before_anyone_asks(
    client, trainee_user, holder, django_capture_on_commit_callbacks
):
    """Issuing renders the certificate off the request path once the transaction commits (here the
    task runs in-process, as the worker would): the class's first downloads find it stored."""
    with django_capture_on_commit_callbacks(execute=True):
        certification = cecopam_certification(holder)
    stored = StoredCertificate.objects.get(certification=certification)
    assert stored.language == "es"  # the site's language; another one is rendered when first asked
    client.force_login(trainee_user)
    response = client.get(certificate_url(certification), headers={"accept-language": "es"})
    assert response.content == bytes(stored.pdf)
    assert StoredCertificate.objects.get(pk=stored.pk).rendered_at == stored.rendered_at


@pytest.mark.renders_at_issue
def test_imported_history_and_external_certificates_are_not_rendered_at_issue(
    holder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = factories.CourseSessionFactory(status="finalized")
        enrollment = factories.EnrollmentFactory(session=session, trainee=holder, result="passed")
        services.issue_certification(
            trainee=holder,
            type=session.course.grants,
            issued_on=session.ends_on,
            enrollment=enrollment,
            prepare_pdf=False,
        )
        services.issue_certification(
            trainee=holder,
            type=factories.CertificationTypeFactory(),
            issued_on=datetime.date(2025, 1, 1),
            issuer="Cruz Roja",
        )
    assert not StoredCertificate.objects.exists()


def test_missing_certificates_are_stored_once(holder):
    certification = cecopam_certification(holder)  # outside a commit: nothing rendered yet
    assert not StoredCertificate.objects.exists()
    queryset = type(certification).objects.filter(trainee=holder)
    assert stored_documents.store_missing_certificates(queryset) == 1
    assert stored_documents.store_missing_certificates(queryset) == 0
    assert StoredCertificate.objects.get(certification=certification).language == "es"
