"""The foundations: health check, search column, role landing."""

from django.urls import reverse

from tests.factories import TraineeFactory
from trainees.models import Trainee


def test_healthz_answers_when_database_is_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_search_text_is_unaccented_and_lowercase(db):
    TraineeFactory(given_names="María José", paternal_surname="Núñez", maternal_surname="Ibáñez", service_number="A-1")
    assert Trainee.objects.search("nunez ibanez").count() == 1
    assert Trainee.objects.search("NÚÑEZ maria").count() == 1
    assert Trainee.objects.search("gomez").count() == 0


def test_home_sends_each_role_to_its_page(client, admin_user, instructor, trainee_user):
    client.force_login(admin_user)
    assert client.get(reverse("reports:home"))["Location"] == reverse("reports:overview")
    client.force_login(instructor)
    assert client.get(reverse("reports:home"))["Location"] == reverse("courses:session-list")
    client.force_login(trainee_user)
    assert client.get(reverse("reports:home"))["Location"] == reverse("reports:me")
