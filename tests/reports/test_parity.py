"""UN gender parity: the CSV's figures equal what the test computes from the rows it created
(a person trained twice in one year counted once, a civilian without a target, a draft that
never counts, a withdrawn nomination that is not a nomination)."""

import csv
import datetime
import io
from collections import defaultdict

import pytest
from django.apps import apps
from django.urls import reverse

from courses.models import Enrollment
from reports.parity import BELOW, CLOSE, MET, NO_TARGET, parity_status

pytestmark = pytest.mark.django_db

OWN_CATEGORY = {"military": "troops", "police": "ipo", "civilian": "civilian"}


def _csv(client, params=None):
    response = client.get(reverse("reports:parity-csv"), params or {})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, list(reader)


def _expected_trained():
    """{(year, category): (women, total)} computed in Python from the enrolments."""
    people = defaultdict(set)
    for enrollment in Enrollment.objects.select_related("session__course", "trainee"):
        if (
            enrollment.session.status == "finalized"
            and enrollment.status == "enrolled"
            and enrollment.result == "passed"
        ):
            category = enrollment.session.course.ugps_category or OWN_CATEGORY[enrollment.trainee.category]
            people[(enrollment.session.ends_on.year, category)].add(enrollment.trainee)
    return {key: (sum(1 for t in group if t.gender == "female"), len(group)) for key, group in people.items()}


def test_csv_columns_and_trained_figures(client, admin_user, training, settings):
    client.force_login(admin_user)
    header, rows = _csv(client)
    assert header == ["year", "category", "stage", "women", "total", "share", "target"]
    trained = {(int(row[0]), row[1]): row for row in rows if row[2] == "trained"}
    expected = _expected_trained()
    assert set(trained) == set(expected)
    for (year, category), (women, total) in expected.items():
        row = trained[(year, category)]
        assert (int(row[3]), int(row[4])) == (women, total)
        assert row[5] == f"{women * 100 / total:.1f}"
        target = settings.UGPS_TARGETS.get(year, {}).get(category)
        assert row[6] == ("" if category == "civilian" or target is None else str(target))
    # Ana trained twice in 2026 (troops) counts once: Ana and Beto, one woman of two.
    assert trained[(2026, "troops")][3:6] == ["1", "2", "50.0"]
    assert trained[(2026, "troops")][6] == "13"
    # Dora, a civilian: no target.
    assert trained[(2026, "civilian")][3:] == ["1", "1", "100.0", ""]
    # The staff-officer course counts Ana and Beto under observers_staff in 2025, whatever their own category.
    assert trained[(2025, "observers_staff")][3:] == ["1", "2", "50.0", "22"]
    # Carla and Fer (police, no gender recorded for Fer): ipo.
    assert trained[(2026, "ipo")][3:6] == ["1", "2", "50.0"]


def test_xlsx_has_the_csv_rows(client, admin_user, training):
    from openpyxl import load_workbook

    client.force_login(admin_user)
    header, rows = _csv(client)
    response = client.get(reverse("reports:parity-xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values == [header, *rows]


def test_filters_by_organization_and_country(client, admin_user, people, training):
    client.force_login(admin_user)
    _header, rows = _csv(client, {"country": "GT"})
    assert [row[:5] for row in rows] == [["2026", "civilian", "trained", "1", "1"]]
    _header, rows = _csv(client, {"organization": people["carla"].organization.pk})
    assert [row[:5] for row in rows] == [["2026", "ipo", "trained", "1", "2"]]
    assert client.get(reverse("reports:parity-csv"), {"country": "ZZ"}).status_code == 400


def test_status_has_one_definition_with_words():
    assert parity_status(15.0, 15) is MET
    assert parity_status(10.0, 15) is CLOSE
    assert parity_status(9.9, 15) is BELOW
    assert parity_status(40.0, None) is NO_TARGET
    assert all(status.label for status in (MET, CLOSE, BELOW, NO_TARGET))


def test_page_shows_shares_targets_status_in_words_and_trend(client, admin_user, training):
    client.force_login(admin_user)
    response = client.get(reverse("reports:parity"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "1/2 = 50.0 %" in content
    assert "Target met" in content and "(13 %)" in content
    trained = next(table for table in response.context["tables"] if table.name == "parity-trained")
    assert trained.chart["type"] == "line" and trained.chart["labels"] == ["2025", "2026"]


@pytest.mark.skipif(not apps.is_installed("deployments"), reason="deployments/ is not installed")
def test_nominated_and_deployed_stages(client, admin_user, people, training):
    RequirementProfile = apps.get_model("deployments", "RequirementProfile")
    Deployment = apps.get_model("deployments", "Deployment")
    Nomination = apps.get_model("deployments", "Nomination")
    observers = RequirementProfile.objects.create(code="UNMEM", name="Observador", role="military_expert")
    police = RequirementProfile.objects.create(code="IPO", name="Policía", role="individual_police")
    minurso = Deployment.objects.create(
        code="MINURSO-26",
        mission="MINURSO",
        profile=observers,
        starts_on=datetime.date(2026, 6, 1),
        ends_on=datetime.date(2027, 5, 31),
    )
    second = Deployment.objects.create(
        code="MINURSO-26B",
        mission="MINURSO",
        profile=observers,
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2027, 8, 31),
    )
    colombia = Deployment.objects.create(
        code="COL-26",
        mission="Misión de Verificación en Colombia",
        profile=police,
        starts_on=datetime.date(2026, 7, 1),
        ends_on=datetime.date(2027, 6, 30),
    )
    p = people
    Nomination.objects.create(deployment=minurso, trainee=p["ana"], status="deployed")
    Nomination.objects.create(deployment=second, trainee=p["ana"], status="proposed")  # Ana twice: once
    Nomination.objects.create(deployment=minurso, trainee=p["beto"], status="withdrawn")  # not nominated
    Nomination.objects.create(deployment=minurso, trainee=p["eli"], status="returned")  # deployed and back
    Nomination.objects.create(deployment=colombia, trainee=p["carla"], status="approved")
    client.force_login(admin_user)
    _header, rows = _csv(client)
    stages = {(row[0], row[1], row[2]): row[3:] for row in rows if row[2] != "trained"}
    assert stages == {
        ("2026", "observers_staff", "nominated"): ["1", "2", "50.0", "23"],
        ("2026", "observers_staff", "deployed"): ["1", "2", "50.0", "23"],
        ("2026", "ipo", "nominated"): ["1", "1", "100.0", "28"],
    }
