"""Trainee pages: who may see what, search and filters, query budgets, the trainee form."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import (
    CertificationFactory,
    CourseSessionFactory,
    EnrollmentFactory,
    ExpiryReminderFactory,
    OrganizationFactory,
    TraineeFactory,
)
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


# --- who may see what -------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["trainees:list", "trainees:create"])
def test_admin_only_pages(client, url_name, admin_user, instructor, trainee_user):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    for refused in (instructor, trainee_user):
        client.force_login(refused)
        assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_trainee_sees_own_record_but_not_another(client, trainee_user, other_trainee_user):
    client.force_login(trainee_user)
    own = client.get(reverse("trainees:detail", args=[trainee_user.trainee.pk]))
    assert own.status_code == 200
    assert trainee_user.trainee.paternal_surname in own.content.decode()
    other = client.get(reverse("trainees:detail", args=[other_trainee_user.trainee.pk]))
    assert other.status_code == 404


def test_instructor_sees_only_trainees_of_sessions_they_teach(
    client, instructor, other_instructor, session, trainee_user, other_trainee_user
):
    EnrollmentFactory(session=session, trainee=trainee_user.trainee)
    client.force_login(instructor)
    assert client.get(reverse("trainees:detail", args=[trainee_user.trainee.pk])).status_code == 200
    assert client.get(reverse("trainees:detail", args=[other_trainee_user.trainee.pk])).status_code == 404
    client.force_login(other_instructor)
    assert client.get(reverse("trainees:detail", args=[trainee_user.trainee.pk])).status_code == 404


def test_edit_is_for_administrators(client, admin_user, instructor, trainee_user):
    url = reverse("trainees:edit", args=[trainee_user.trainee.pk])
    client.force_login(trainee_user)
    assert client.get(url).status_code == 403
    client.force_login(instructor)
    assert client.post(url, {"given_names": "Hacked"}).status_code == 403
    trainee_user.trainee.refresh_from_db()
    assert trainee_user.trainee.given_names != "Hacked"
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_me_shows_only_own_record(client, trainee_user, other_trainee_user):
    session = CourseSessionFactory(status="finalized")
    EnrollmentFactory(session=session, trainee=trainee_user.trainee, result="passed", score=91)
    EnrollmentFactory(session=session, trainee=other_trainee_user.trainee, result="failed", score=40)
    client.force_login(trainee_user)
    body = client.get(reverse("trainees:me")).content.decode()
    assert trainee_user.trainee.paternal_surname in body
    assert other_trainee_user.trainee.paternal_surname not in body
    assert "Passed" in body
    assert "Failed" not in body


def test_me_without_linked_record_is_friendly(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("trainees:me"))
    assert response.status_code == 200
    assert "No trainee record is linked" in response.content.decode()


def test_me_requires_sign_in(client):
    response = client.get(reverse("trainees:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_me_marks_certifications_valid_expiring_expired_with_sent_reminders(client, trainee_user):
    from django.utils import timezone

    today = timezone.localdate()
    trainee = trainee_user.trainee
    CertificationFactory(
        trainee=trainee, type__name="Derechos Humanos", issued_on=today, expires_on=today.replace(year=today.year + 2)
    )
    expiring = CertificationFactory(
        trainee=trainee,
        type__name="Protección de Civiles",
        issued_on=today - datetime.timedelta(days=300),
        expires_on=today + datetime.timedelta(days=20),
    )
    CertificationFactory(
        trainee=trainee,
        type__name="Uso de la Fuerza",
        issued_on=today - datetime.timedelta(days=800),
        expires_on=today - datetime.timedelta(days=5),
    )
    ExpiryReminderFactory(certification=expiring, stage=30, state="sent", sent_at=timezone.now())
    client.force_login(trainee_user)
    body = client.get(reverse("trainees:me")).content.decode()
    assert "Valid" in body
    assert "Expiring soon" in body
    assert "Expired" in body
    assert "30 days before expiry" in body
    assert (today + datetime.timedelta(days=20)).strftime("%m/%d/%Y") in body


# --- search, filters, pagination ------------------------------------------------------------


def test_search_is_accent_and_case_insensitive(client, admin_user):
    TraineeFactory(given_names="María", paternal_surname="Núñez", maternal_surname="Ibáñez", service_number="S-111")
    TraineeFactory(given_names="Pedro", paternal_surname="Gómez", maternal_surname="Ruiz", service_number="S-222")
    client.force_login(admin_user)
    body = client.get(reverse("trainees:list"), {"q": "nunez"}).content.decode()
    assert "Núñez" in body
    assert "Gómez" not in body
    body = client.get(reverse("trainees:list"), {"q": "s-222"}).content.decode()
    assert "Gómez" in body
    assert "Núñez" not in body


@pytest.mark.parametrize(
    ("param", "match", "other"),
    [
        ("nationality", {"nationality": "GT"}, {"nationality": "MX"}),
        ("category", {"category": "police"}, {"category": "military"}),
        ("status", {"status": "deployed"}, {"status": "active"}),
    ],
)
def test_each_filter(client, admin_user, param, match, other):
    TraineeFactory(paternal_surname="Coincide", **match)
    TraineeFactory(paternal_surname="Distinto", **other)
    client.force_login(admin_user)
    body = client.get(reverse("trainees:list"), {param: match[param]}).content.decode()
    assert "Coincide" in body
    assert "Distinto" not in body


def test_organization_filter_and_bad_value_is_not_an_error(client, admin_user):
    sedena = OrganizationFactory(name="SEDENA")
    TraineeFactory(paternal_surname="Coincide", organization=sedena)
    TraineeFactory(paternal_surname="Distinto", organization=OrganizationFactory(name="SEMAR"))
    client.force_login(admin_user)
    body = client.get(reverse("trainees:list"), {"organization": sedena.pk}).content.decode()
    assert "Coincide" in body
    assert "Distinto" not in body
    assert client.get(reverse("trainees:list"), {"organization": "not-a-number", "page": "x"}).status_code == 200


def test_pagination_keeps_filters(client, admin_user):
    TraineeFactory.create_batch(55, nationality="CO")
    client.force_login(admin_user)
    body = client.get(reverse("trainees:list"), {"nationality": "CO"}).content.decode()
    assert "nationality=CO&amp;page=2" in body
    page2 = client.get(reverse("trainees:list"), {"nationality": "CO", "page": 2})
    assert len(page2.context["trainees"]) == 5


# --- query budgets ---------------------------------------------------------------------------


def _record_with(trainee, rows):
    for _ in range(rows):
        session = CourseSessionFactory()
        enrollment = EnrollmentFactory(session=session, trainee=trainee, result="passed")
        certification = CertificationFactory(trainee=trainee, type=session.course.grants, enrollment=enrollment)
        ExpiryReminderFactory(certification=certification, state="sent")


def _count_queries(django_assert_max_num_queries, client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow(client, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    TraineeFactory.create_batch(3)
    small = _count_queries(django_assert_max_num_queries, client, reverse("trainees:list") + "?q=nu&status=active")
    TraineeFactory.create_batch(40)
    large = _count_queries(django_assert_max_num_queries, client, reverse("trainees:list") + "?q=nu&status=active")
    assert small == large


def test_detail_and_me_query_counts_do_not_grow(client, admin_user, trainee_user, django_assert_max_num_queries):
    trainee = trainee_user.trainee
    _record_with(trainee, 2)
    client.force_login(admin_user)
    detail_small = _count_queries(django_assert_max_num_queries, client, reverse("trainees:detail", args=[trainee.pk]))
    client.force_login(trainee_user)
    me_small = _count_queries(django_assert_max_num_queries, client, reverse("trainees:me"))
    _record_with(trainee, 12)
    client.force_login(admin_user)
    assert (
        _count_queries(django_assert_max_num_queries, client, reverse("trainees:detail", args=[trainee.pk]))
        == detail_small
    )
    client.force_login(trainee_user)
    assert _count_queries(django_assert_max_num_queries, client, reverse("trainees:me")) == me_small


# --- the trainee form ------------------------------------------------------------------------


def _form_data(**overrides):
    data = {
        "service_number": "MX-900001",
        "nationality": "MX",
        "given_names": "Lucía",
        "paternal_surname": "Peña",
        "maternal_surname": "Ibarra",
        "category": "police",
        "status": "active",
        "preferred_language": "es",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_trainee(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("trainees:create"), _form_data())
    trainee = Trainee.objects.get(service_number="MX-900001")
    assert response.status_code == 302
    assert response["Location"] == reverse("trainees:detail", args=[trainee.pk])
    assert trainee.full_name == "Lucía Peña Ibarra"


def test_duplicate_service_number_is_a_field_error_with_input_kept(client, admin_user):
    TraineeFactory(service_number="MX-900001", nationality="MX")
    client.force_login(admin_user)
    response = client.post(reverse("trainees:create"), _form_data(email="not-an-email"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "service_number" in form.errors
    assert "email" in form.errors
    assert 'value="Lucía"' in response.content.decode()
    assert Trainee.objects.filter(service_number="MX-900001").count() == 1


def test_garbage_post_is_never_a_server_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("trainees:create"),
        {"service_number": "x" * 500, "nationality": "ZZ", "category": "pirate", "organization": "abc"},
    )
    assert response.status_code == 200
    assert {"service_number", "nationality", "category", "organization", "given_names"} <= set(
        response.context["form"].errors
    )
