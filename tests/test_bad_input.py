"""The thirteen requests that answered 500 (issue 12), one by one: each now gets a page that
says what is wrong, or the page without the bad value. tests/test_fuzz.py looks for the rest
of their class over every URL pattern."""

import pytest
from django.urls import reverse

from common.pagination import encode_key
from common.parsing import parse_id, parse_int
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "cursor",
    [
        encode_key(["a", "b", "c", "not-an-id"]),
        encode_key(["a", "b", "c", 2**64]),
        encode_key([1, 2, 3, 4]),
        encode_key(["a\x00", "b", "c", 1]),
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_tampered_cursor_shows_the_page(admin_client, cursor, direction):
    factories.TraineeFactory(paternal_surname="Visible")
    response = admin_client.get(reverse("trainees:list"), {"page": "2", direction: cursor})
    assert response.status_code == 200
    assert "Visible" in response.content.decode()


def test_a_nul_in_a_search_is_a_bad_request(admin_client):
    session = factories.CourseSessionFactory()
    for url in (
        reverse("trainees:export-csv"),
        reverse("courses:session-detail", args=[session.pk]),
        reverse("courses:session-enroll-search", args=[session.pk]),
    ):
        response = admin_client.get(url, {"q": "ana\x00"})
        assert response.status_code == 400, url
        assert "NUL" in response.content.decode()


@pytest.mark.parametrize("digits", ["²", "٣", "9" * 30, "-1"])
def test_digits_that_are_not_an_id_are_ignored_or_not_found(admin_client, digits):
    assert admin_client.get(reverse("courses:session-create"), {"course": digits}).status_code == 200
    assert admin_client.get(reverse("certifications:external-new"), {"trainee": digits}).status_code == 404
    reminders = reverse("admin:certifications_expiryreminder_changelist")
    assert admin_client.get(reminders, {"stage": digits}).status_code in (200, 302)


@pytest.mark.parametrize("digits", ["²", "9" * 30])
def test_a_grid_row_whose_enrollment_is_not_an_id_is_a_row_error(admin_client, digits):
    session = factories.CourseSessionFactory()
    factories.EnrollmentFactory(session=session)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-enrollment": digits,
        "form-0-result": "passed",
        "form-0-score": "90",
    }
    response = admin_client.post(reverse("courses:session-results", args=[session.pk]), data)
    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode().lower()


def test_unlocking_something_that_is_not_an_address_says_so(admin_client):
    response = admin_client.post(reverse("unlock"), {"ip_address": "not-an-ip"}, follow=True)
    assert response.status_code == 200
    assert "not-an-ip is not a network address." in response.content.decode()


def test_parsing_ids_takes_ascii_digits_within_a_bigint():
    assert [parse_id(text) for text in ("1", "42", "²", "٣", "-1", "0", "1.0", " 1", str(2**63), None)] == [
        1,
        42,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert parse_int("90", maximum=32767) == 90 and parse_int("99999", maximum=32767) is None


def test_an_admin_form_reshown_with_a_key_that_is_not_one_shows_the_error(admin_client):
    """Django's autocomplete widget looked the posted value up as a key (found by test_fuzz)."""
    response = admin_client.post(reverse("admin:trainees_trainee_add"), {"organization": "\x18", "user": "abc"})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


@pytest.mark.password_only
def test_a_next_that_is_not_a_path_goes_to_the_start_page(client, admin_user):
    """Found by test_fuzz: redirect() read a `next` without a slash as a URL name."""
    client.force_login(admin_user)
    response = client.post(reverse("two-step-code"), {"next": "a b", "code": "000000"})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].startswith("/")
