"""Trainee pages: who may see what, search and filters, query budgets, the trainee form."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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

LOGIN = "login"
ROLES = ["anonymous", "trainee", "other_trainee", "instructor", "other_instructor", "administrator"]
# The record in question is trainee_user's, enrolled in `session`, which `instructor` teaches.
ACCESS = {
    "trainees:list": (LOGIN, 403, 403, 403, 403, 200),
    "trainees:create": (LOGIN, 403, 403, 403, 403, 200),
    "reports:trainee": (LOGIN, 200, 404, 200, 404, 200),
    "trainees:edit": (LOGIN, 403, 403, 403, 403, 200),
    "reports:me": (LOGIN, 200, 200, 200, 200, 200),
}


@pytest.fixture
def cast(admin_user, instructor, other_instructor, trainee_user, other_trainee_user, session):
    EnrollmentFactory(session=session, trainee=trainee_user.trainee)
    return {
        "anonymous": None,
        "trainee": trainee_user,
        "other_trainee": other_trainee_user,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "administrator": admin_user,
    }


@pytest.mark.parametrize("url_name", ACCESS)
@pytest.mark.parametrize("role", ROLES)
def test_access_by_role(client, cast, url_name, role):
    record = cast["trainee"].trainee
    args = [record.pk] if url_name in ("reports:trainee", "trainees:edit") else []
    url = reverse(url_name, args=args)
    if cast[role] is not None:
        client.force_login(cast[role])
    response = client.get(url)
    expected = ACCESS[url_name][ROLES.index(role)]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ["anonymous", "trainee", "instructor"])
def test_only_administrators_can_post_the_forms(client, cast, role):
    record = cast["trainee"].trainee
    if cast[role] is not None:
        client.force_login(cast[role])
    data = _form_data(service_number="MX-777777")
    assert client.post(reverse("trainees:create"), data).status_code in (302, 403)
    assert client.post(reverse("trainees:edit", args=[record.pk]), data).status_code in (302, 403)
    assert not Trainee.objects.filter(service_number="MX-777777").exists()
    record.refresh_from_db()
    assert record.given_names != "Lucía"


def test_me_shows_each_trainee_their_own_record(client, trainee_user, other_trainee_user):
    client.force_login(other_trainee_user)
    response = client.get(reverse("reports:me"))
    assert response.context["trainee_id"] == other_trainee_user.trainee.pk
    assert other_trainee_user.trainee.paternal_surname in response.content.decode()
    assert trainee_user.trainee.paternal_surname not in response.content.decode()


def test_trainee_sees_own_record_but_not_another(client, trainee_user, other_trainee_user):
    client.force_login(trainee_user)
    own = client.get(reverse("reports:trainee", args=[trainee_user.trainee.pk]))
    assert own.status_code == 200
    assert trainee_user.trainee.paternal_surname in own.content.decode()
    other = client.get(reverse("reports:trainee", args=[other_trainee_user.trainee.pk]))
    assert other.status_code == 404


def test_instructor_sees_only_trainees_of_sessions_they_teach(
    client, instructor, other_instructor, session, trainee_user, other_trainee_user
):
    EnrollmentFactory(session=session, trainee=trainee_user.trainee)
    client.force_login(instructor)
    assert client.get(reverse("reports:trainee", args=[trainee_user.trainee.pk])).status_code == 200
    assert client.get(reverse("reports:trainee", args=[other_trainee_user.trainee.pk])).status_code == 404
    client.force_login(other_instructor)
    assert client.get(reverse("reports:trainee", args=[trainee_user.trainee.pk])).status_code == 404


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
    body = client.get(reverse("reports:me")).content.decode()
    assert trainee_user.trainee.paternal_surname in body
    assert other_trainee_user.trainee.paternal_surname not in body
    assert "Passed" in body
    assert "Failed" not in body


def test_me_without_linked_record_is_friendly(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("reports:me"))
    assert response.status_code == 200
    assert "No trainee record is linked" in response.content.decode()


def test_me_requires_sign_in(client):
    response = client.get(reverse("reports:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_me_marks_certifications_valid_expiring_expired_with_sent_reminders(client, trainee_user):
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
    body = client.get(reverse("reports:me")).content.decode()
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
    """`rows` enrolments, each with a certification that has had one reminder sent."""
    for _ in range(rows):
        session = CourseSessionFactory()
        enrollment = EnrollmentFactory(session=session, trainee=trainee, result="passed")
        certification = CertificationFactory(trainee=trainee, type=session.course.grants, enrollment=enrollment)
        ExpiryReminderFactory(certification=certification, state="sent", sent_at=timezone.now())


def _query_count(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow(client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    # Each factory trainee has an organization of its own, so a lazy organization lookup would show.
    TraineeFactory.create_batch(3, status="active")
    url = reverse("trainees:list") + "?q=nunez&status=active"
    small = _query_count(client, url)
    TraineeFactory.create_batch(27, status="active")
    with django_assert_num_queries(small):
        response = client.get(url)
    assert len(response.context["trainees"]) == 30


@pytest.mark.parametrize("viewer", ["administrator", "trainee"])
def test_detail_query_count_does_not_grow(client, admin_user, trainee_user, viewer, django_assert_num_queries):
    trainee = trainee_user.trainee
    client.force_login(admin_user if viewer == "administrator" else trainee_user)
    url = reverse("reports:trainee", args=[trainee.pk])
    _record_with(trainee, 3)
    small = _query_count(client, url)
    _record_with(trainee, 27)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert len(response.context["record"]["enrollments"]) == 30
    assert len(response.context["record"]["reminders_sent"]) == 30


def test_me_query_count_does_not_grow(client, trainee_user, django_assert_num_queries):
    trainee = trainee_user.trainee
    client.force_login(trainee_user)
    url = reverse("reports:me")
    _record_with(trainee, 3)
    small = _query_count(client, url)
    _record_with(trainee, 27)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert len(response.context["record"]["certifications"]) == 30


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
    assert response["Location"] == reverse("reports:trainee", args=[trainee.pk])
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


def test_admin_edits_a_trainee(client, admin_user, trainee_user):
    trainee = trainee_user.trainee
    client.force_login(admin_user)
    response = client.post(
        reverse("trainees:edit", args=[trainee.pk]),
        _form_data(service_number=trainee.service_number, status="deployed"),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("reports:trainee", args=[trainee.pk]), 302)]
    trainee.refresh_from_db()
    assert trainee.status == "deployed"
    assert trainee.full_name == "Lucía Peña Ibarra"
    assert "Changes to Lucía Peña Ibarra saved." in response.content.decode()


def test_edit_refuses_another_trainees_service_number_with_input_kept(client, admin_user, trainee_user):
    TraineeFactory(service_number="GT-1", nationality="GT")
    trainee = trainee_user.trainee
    client.force_login(admin_user)
    url = reverse("trainees:edit", args=[trainee.pk])
    response = client.post(url, _form_data(service_number="GT-1", nationality="GT", given_names="Nuevo"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["service_number"] == ["Another trainee of this nationality already has service number GT-1."]
    assert not form.non_field_errors()
    body = response.content.decode()
    assert 'value="Nuevo"' in body
    trainee.refresh_from_db()
    assert trainee.given_names != "Nuevo"
    # The heading names the trainee as stored, not the rejected input.
    assert f"Edit {trainee.full_name}" in body


def test_duplicate_caught_only_by_the_database_is_still_a_field_error(client, admin_user, monkeypatch):
    """Two administrators saving the same number at once: the form's checks pass, the constraint fires."""
    from trainees.forms import TraineeForm

    TraineeFactory(service_number="MX-900001", nationality="MX")
    monkeypatch.setattr(TraineeForm, "clean", lambda self: self.cleaned_data)
    monkeypatch.setattr(Trainee, "validate_constraints", lambda self, exclude=None: None)
    client.force_login(admin_user)
    response = client.post(reverse("trainees:create"), _form_data())
    assert response.status_code == 200
    assert "service_number" in response.context["form"].errors
    assert Trainee.objects.filter(service_number="MX-900001").count() == 1


def test_garbage_post_on_edit_is_never_a_server_error(client, admin_user, trainee_user):
    client.force_login(admin_user)
    url = reverse("trainees:edit", args=[trainee_user.trainee.pk])
    response = client.post(url, {"nationality": "\x00", "gender": ["a", "b"], "email": "@", "status": "x" * 100})
    assert response.status_code == 200
    assert {"nationality", "gender", "email", "status", "service_number"} <= set(response.context["form"].errors)
    assert client.get(reverse("reports:trainee", args=[10**12])).status_code == 404


def test_garbage_query_string_on_the_list_is_never_a_server_error(client, admin_user):
    TraineeFactory(paternal_surname="Visible")
    client.force_login(admin_user)
    for params in ({"q": "\x00"}, {"nationality": "ZZ"}, {"status": ["x", "y"]}, {"page": "-1"}, {"q": "%_\\"}):
        response = client.get(reverse("trainees:list"), params)
        assert response.status_code == 200, params


def test_nul_character_in_a_name_is_a_field_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("trainees:create"), _form_data(given_names="Ana\x00"))
    assert response.status_code == 200
    assert "given_names" in response.context["form"].errors
