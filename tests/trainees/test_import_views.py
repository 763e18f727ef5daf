"""The /trainees/import/ page: upload, preview, confirm (all or nothing), and who may use it."""

import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import TraineeFactory
from tests.fixtures.spreadsheets import PNG_BYTES, ROWS, csv_bytes, xlsx_bytes
from trainees.import_views import SESSION_KEY
from trainees.models import Organization, Trainee

pytestmark = pytest.mark.django_db

IMPORT = reverse("trainees:import")
CONFIRM = reverse("trainees:import-confirm")


@pytest.fixture(autouse=True)
def staging(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path / "staging"
    return settings.IMPORT_STAGING_DIR


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _upload(client, data, name="trainees.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def _state():
    return sorted(Trainee.objects.values_list("service_number", "email", "updated_at")), Organization.objects.count()


def test_upload_previews_then_confirm_imports(admin_client, staging):
    TraineeFactory(service_number="MX-100001", nationality="MX", email="old@example.mx")
    response = _upload(admin_client, csv_bytes(ROWS, delimiter=";", encoding="cp1252"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Import preview" in page
    assert '<div class="h4 mb-0" id="count-created">2</div>' in page
    assert '<div class="h4 mb-0" id="count-updated">1</div>' in page
    assert "Íñigo" in page and "old@example.mx" in page and "jose.nunez@example.mx" in page
    assert "Ejército de Guatemala" in page  # a new organization, listed
    assert "Windows-1252" in page and "semicolon-separated" in page
    assert Trainee.objects.count() == 1  # the preview wrote nothing

    # The file waits in a private place named by a random token kept in the session.
    token = admin_client.session[SESSION_KEY]["token"]
    assert len(token) >= 43
    staged = staging / token
    assert staged.exists()
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600
    assert stat.S_IMODE(staging.stat().st_mode) == 0o700
    assert f'name="token" value="{token}"' in page

    response = admin_client.post(CONFIRM, {"token": token}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("trainees:list")
    assert "Imported 3 rows: 2 created, 1 updated, 0 unchanged." in response.content.decode()
    assert Trainee.objects.count() == 3
    assert Trainee.objects.get(service_number="MX-100001").email == "jose.nunez@example.mx"
    assert not staged.exists()
    assert SESSION_KEY not in admin_client.session


def test_xlsx_upload(admin_client):
    response = _upload(admin_client, xlsx_bytes(ROWS, trailing_empty_rows=3), name="lista.xlsx")
    assert '<div class="h4 mb-0" id="count-created">3</div>' in response.content.decode()
    admin_client.post(CONFIRM, {"token": admin_client.session[SESSION_KEY]["token"]})
    assert Trainee.objects.count() == 3


def test_errors_are_listed_by_row_and_column_and_nothing_can_be_confirmed(admin_client):
    rows = [list(row) for row in ROWS]
    rows[0][10] = "not-an-email"
    rows[2][8] = "XX"
    state = _state()
    response = _upload(admin_client, csv_bytes(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 errors: nothing will be imported" in page
    assert "<td>2</td><td><code>email</code></td><td>not-an-email</td><td>Enter a valid email address.</td>" in page
    assert "<td>4</td><td><code>nationality</code></td><td>XX</td>" in page
    assert CONFIRM not in page
    assert SESSION_KEY not in admin_client.session
    assert _state() == state


def test_unknown_column_is_a_warning(admin_client):
    header = ["service_number", "given_names", "paternal_surname", "nationality", "Notas"]
    response = _upload(admin_client, csv_bytes([["Z-1", "Ana", "Ruiz", "MX", "x"]], header=header))
    page = response.content.decode()
    assert "Unknown column ignored: Notas." in page
    assert CONFIRM in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (PNG_BYTES, "photo.png", "This file is neither a CSV nor an XLSX spreadsheet."),
        (
            csv_bytes([["X", "Y", "MX"]], header=["service_number", "given_names", "nationality"]),
            "x.csv",
            "The required column paternal_surname is missing from the header row.",
        ),
    ],
)
def test_file_level_problems_are_shown_at_the_field(admin_client, data, name, message):
    state = _state()
    response = _upload(admin_client, data, name=name)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(error.startswith(message) for error in form.errors["file"]), form.errors
    assert 'class="invalid-feedback"' in response.content.decode()
    assert _state() == state
    assert SESSION_KEY not in admin_client.session


def test_a_file_above_the_size_limit_is_refused(admin_client, settings):
    data = csv_bytes(ROWS)
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    state = _state()
    response = _upload(admin_client, data)
    [error] = response.context["form"].errors["file"]
    assert error == f"The file is {len(data)}\xa0bytes; the limit is 100\xa0bytes."
    assert _state() == state


def test_no_file_at_all(admin_client):
    response = admin_client.post(IMPORT, {})
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_confirm_with_a_wrong_or_missing_token_imports_nothing(admin_client):
    _upload(admin_client, csv_bytes(ROWS))
    for data in ({}, {"token": "x" * 43}, {"token": "../../etc/passwd"}):
        response = admin_client.post(CONFIRM, data, follow=True)
        assert "No import is waiting for confirmation" in response.content.decode()
    assert not Trainee.objects.exists()


def test_another_administrator_cannot_confirm_my_upload(client, admin_user, staging):
    from tests.factories import AdministratorFactory

    client.force_login(admin_user)
    _upload(client, csv_bytes(ROWS))
    token = client.session[SESSION_KEY]["token"]
    other = AdministratorFactory(username="admin2")
    client.force_login(other)
    client.post(CONFIRM, {"token": token})
    assert not Trainee.objects.exists()


def test_cancel_discards_the_file(admin_client, staging):
    _upload(admin_client, csv_bytes(ROWS))
    token = admin_client.session[SESSION_KEY]["token"]
    response = admin_client.post(CONFIRM, {"token": token, "cancel": "1"}, follow=True)
    assert "Import cancelled; nothing was imported." in response.content.decode()
    assert not (staging / token).exists()
    assert not Trainee.objects.exists()


def test_changes_since_the_preview_ask_for_a_new_confirmation(admin_client):
    trainee = TraineeFactory(service_number="MX-100001", nationality="MX", email="old@example.mx")
    _upload(admin_client, csv_bytes(ROWS))
    Trainee.objects.filter(pk=trainee.pk).update(email="jose.nunez@example.mx", rank="Capitán")
    token = admin_client.session[SESSION_KEY]["token"]
    response = admin_client.post(CONFIRM, {"token": token})
    assert response.status_code == 200
    assert "The trainees changed since the preview" in response.content.decode()
    assert Trainee.objects.count() == 1
    response = admin_client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    assert Trainee.objects.count() == 3


def test_a_bigger_file_shows_the_first_rows_and_every_count(admin_client):
    rows = [[f"N-{n}", "Ana", f"Ruiz{n}", "", "", "", "", "", "MX", "", "", "", ""] for n in range(250)]
    page = _upload(admin_client, csv_bytes(rows)).content.decode()
    assert '<div class="h4 mb-0" id="count-created">250</div>' in page
    assert "The first 200 of 250." in page
    assert "Ruiz199" in page and "Ruiz249" not in page


@pytest.mark.parametrize("who", ["instructor", "trainee_user"])
def test_only_administrators_import(client, request, who, staging):
    client.force_login(request.getfixturevalue(who))
    state = _state()
    assert client.get(IMPORT).status_code == 403
    assert _upload(client, csv_bytes(ROWS)).status_code == 403
    assert client.post(CONFIRM, {"token": "x" * 43}).status_code == 403
    assert _state() == state
    assert not staging.exists() or not any(staging.iterdir())


def test_anonymous_is_sent_to_sign_in(client, db):
    response = _upload(client, csv_bytes(ROWS))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Trainee.objects.exists()


def test_the_trainee_list_links_to_import_and_exports_with_its_filters(admin_client):
    page = admin_client.get(reverse("trainees:list"), {"nationality": "MX", "q": "núñez"}).content.decode()
    assert f'href="{IMPORT}"' in page
    assert f'href="{reverse("trainees:export-csv")}?nationality=MX&amp;q=n%C3%BA%C3%B1ez"' in page
    assert f'href="{reverse("trainees:export-xlsx")}?nationality=MX&amp;q=n%C3%BA%C3%B1ez"' in page


def test_a_new_upload_replaces_the_file_waiting_for_confirmation(admin_client, staging):
    _upload(admin_client, csv_bytes(ROWS))
    first = admin_client.session[SESSION_KEY]["token"]
    rows = [list(row) for row in ROWS]
    rows[0][10] = "bad"
    _upload(admin_client, csv_bytes(rows))
    assert not (staging / first).exists()
    admin_client.post(CONFIRM, {"token": first})
    assert not Trainee.objects.exists()
