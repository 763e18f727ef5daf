"""/certifications/expiring/: the administrators' report of certifications expiring soon."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from certifications.models import ExpiryReminder
from tests import factories

URL = reverse("certifications:expiring")
State = ExpiryReminder.State


def expiring_in(days, **trainee_fields):
    today = timezone.localdate()
    return factories.CertificationFactory(
        trainee=factories.TraineeFactory(**trainee_fields),
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=days),
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_administrator_sees_what_expires_in_90_days_with_reminder_states(admin_client):
    sent = expiring_in(20, paternal_surname="Enviado")
    factories.ExpiryReminderFactory(certification=sent, stage=30, state=State.SENT, sent_at=timezone.now())
    failing = expiring_in(5, paternal_surname="Fallido")
    factories.ExpiryReminderFactory(
        certification=failing, stage=7, state=State.FAILING, attempts=3, last_error="SMTPServerDisconnected: gone"
    )
    nobody = expiring_in(40, paternal_surname="Sindireccion", email="")
    factories.ExpiryReminderFactory(certification=nobody, stage=90, state=State.UNDELIVERABLE)
    untouched = expiring_in(89, paternal_surname="Nuevo")
    expiring_in(120, paternal_surname="Lejano")
    expiring_in(-3, paternal_surname="Vencido")

    response = admin_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Enviado", "Fallido", "Sindireccion", "Nuevo"):
        assert name in page
    assert "Lejano" not in page and "Vencido" not in page
    assert "4 certifications expire within 90 days." in page
    rows = {c.pk: c for c in response.context["page_obj"]}
    assert str(rows[sent.pk].reminder_label) == "Sent"
    assert str(rows[failing.pk].reminder_label) == "Failing"
    assert str(rows[nobody.pk].reminder_label) == "Undeliverable"
    assert str(rows[untouched.pk].reminder_label) == "None yet"
    # The panel at the top: failing and undeliverable at a glance, before the list.
    assert "Reminders not delivered" in page
    assert "1 failing" in page and "1 undeliverable" in page
    assert "SMTPServerDisconnected: gone" in page
    assert page.index("Reminders not delivered") < page.index("Nuevo")


@pytest.mark.django_db
def test_no_panel_when_every_reminder_was_delivered(admin_client):
    expiring_in(10)
    response = admin_client.get(URL)
    assert "Reminders not delivered" not in response.content.decode()
    assert "Every reminder so far was delivered." in response.content.decode()


@pytest.mark.django_db
def test_revoked_and_superseded_are_not_listed(admin_client, admin_user):
    from certifications.services import issue_certification, revoke_certification

    revoked = expiring_in(10, paternal_surname="Revocado")
    revoke_certification(certification=revoked, reason="Error", by=admin_user)
    old = expiring_in(10, paternal_surname="Renovado")
    issue_certification(trainee=old.trainee, type=old.type, issued_on=timezone.localdate())

    page = admin_client.get(URL).content.decode()

    assert "Revocado" not in page and "Renovado" not in page


@pytest.mark.django_db
def test_filters_by_window_organization_type_nationality_and_reminder(admin_client):
    army = factories.OrganizationFactory(name="Ejército Mexicano")
    police = factories.OrganizationFactory(name="Policía Federal")
    unmem = factories.CertificationTypeFactory(code="UNMEM", name="UN Military Expert")
    a = expiring_in(10, organization=army, nationality="MX", paternal_surname="Alfa")
    a.type = unmem
    a.save()
    b = expiring_in(60, organization=police, nationality="GT", paternal_surname="Bravo")
    factories.ExpiryReminderFactory(certification=b, stage=90, state=State.FAILING)

    def names(**params):
        response = admin_client.get(URL, params)
        assert response.status_code == 200
        return sorted(c.trainee.paternal_surname for c in response.context["page_obj"])

    assert names() == ["Alfa", "Bravo"]
    assert names(days=30) == ["Alfa"]
    assert names(organization=police.pk) == ["Bravo"]
    assert names(type=unmem.pk) == ["Alfa"]
    assert names(nationality="GT") == ["Bravo"]
    assert names(reminder="failing") == ["Bravo"]
    assert names(reminder="none") == ["Alfa"]
    assert names(days=30, nationality="GT") == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"days": "abc"}, {"days": "-1"}, {"days": "99999999999"}, {"organization": "999999"}, {"nationality": "XX"}],
)
def test_invalid_filters_are_reported_at_the_field_not_a_500(admin_client, params):
    expiring_in(10, paternal_surname="Alfa")

    response = admin_client.get(URL, params)

    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["page_obj"]) == []
    assert "is-invalid" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["trainee_user", "instructor"])
def test_only_administrators_see_the_report(client, request, who):
    expiring_in(10)
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
    assert client.get(URL, {"format": "xlsx"}).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_csv_export_streams_the_filtered_rows_with_bom_and_neutralized_formulas(admin_client):
    dangerous = expiring_in(10, given_names='=HYPERLINK("http://evil")', paternal_surname="Muñoz", nationality="MX")
    factories.ExpiryReminderFactory(certification=dangerous, stage=30, state=State.SENT, sent_at=timezone.now())
    expiring_in(10, given_names="+52 Pedro", paternal_surname="Ibáñez", nationality="GT")
    expiring_in(200, paternal_surname="Lejano")

    response = admin_client.get(URL, {"format": "csv", "nationality": "MX"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Service number", "Rank", "Given names", "Surnames"]
    assert len(rows) == 2
    (row,) = rows[1:]
    assert row[2] == '\'=HYPERLINK("http://evil")'
    assert row[3] == "Muñoz Ibáñez"
    assert row[8] == dangerous.code
    assert row[10] == dangerous.expires_on.isoformat()
    assert row[11] == "10"
    assert row[12:14] == ["30", "Sent"]

    everything = b"".join(admin_client.get(URL, {"format": "csv"}).streaming_content).decode()
    assert "'+52 Pedro" in everything
    assert "Lejano" not in everything


@pytest.mark.django_db
def test_xlsx_export_keeps_types_and_neutralizes_formulas(admin_client):
    certification = expiring_in(15, given_names="@SUM(A1)", paternal_surname="Peña")

    response = admin_client.get(URL, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[0] == "Service number"
    assert row[2] == "'@SUM(A1)"
    assert row[3] == "Peña Ibáñez"
    assert row[10].date() == certification.expires_on
    assert row[11] == 15
    assert row[13] == "None yet"


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(URL, params)
            if params.get("format"):
                b"".join(response.streaming_content)
            assert response.status_code == 200
        return len(queries)

    def add(n):
        for i in range(n):
            cert = expiring_in(5 + i % 50)
            factories.ExpiryReminderFactory(
                certification=cert, stage=90, state=[State.SENT, State.FAILING, State.UNDELIVERABLE][i % 3]
            )

    add(3)
    small = {fmt: count({"format": fmt} if fmt else {}) for fmt in ("", "csv", "xlsx")}
    add(30)
    large = {fmt: count({"format": fmt} if fmt else {}) for fmt in ("", "csv", "xlsx")}
    assert small == large
    assert small[""] <= 15  # session, user, roles, navbar, filter choices, count, page, panel


def test_report_exports_are_recorded_in_the_export_log(client, admin_user):
    from accounts.models import ExportLog

    client.force_login(admin_user)
    for export in ("csv", "xlsx"):
        response = client.get(reverse("certifications:expiring"), {"format": export, "days": "60"})
        assert response.status_code == 200
        b"".join(response.streaming_content)
    entries = ExportLog.objects.filter(user=admin_user).order_by("kind")
    assert [entry.kind for entry in entries] == ["expiring-csv", "expiring-xlsx"]
    assert entries[0].parameters == {"days": "60"}
