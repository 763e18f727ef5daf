"""Names sort in Spanish order everywhere — in SQL (the name columns' ICU collation) and in Python
(common.collation.spanish_key) — on a database whose default collation is C, where "Ávila" sorted
after "Zúñiga"."""

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from common.collation import spanish_key
from tests.factories import CourseSessionFactory, EnrollmentFactory, OrganizationFactory, TraineeFactory
from trainees.models import Organization

pytestmark = pytest.mark.django_db

SURNAMES = ["Zúñiga", "Ávila", "Núñez", "Nava", "Ortiz", "Ñúñez", "Ibáñez"]
SPANISH_ORDER = ["Ávila", "Ibáñez", "Nava", "Núñez", "Ñúñez", "Ortiz", "Zúñiga"]


@pytest.fixture
def people(admin_user, instructor):
    session = CourseSessionFactory(code="SES-ORDER", instructors=[instructor])
    for surname in SURNAMES:
        trainee = TraineeFactory(paternal_surname=surname, maternal_surname="", given_names="Ana")
        EnrollmentFactory(session=session, trainee=trainee)
    return session


def _positions(text, names=SPANISH_ORDER):
    found = {name: text.find(f"{name}") for name in names}
    assert all(index >= 0 for index in found.values()), found
    return sorted(names, key=found.get)


def test_the_database_default_would_sort_accents_after_z():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lc_collate")
        (collation,) = cursor.fetchone()
        cursor.execute("SELECT 'Ávila' < 'Zúñiga', 'Ávila' COLLATE \"es-x-icu\" < 'Zúñiga'")
        default_order, spanish_order = cursor.fetchone()
    if collation.split(".")[0] in ("C", "POSIX"):
        assert default_order is False  # what the name columns' collation corrects
    assert spanish_order is True


def test_the_trainee_list_and_its_exports(client, admin_user, people):
    client.force_login(admin_user)
    assert _positions(client.get(reverse("trainees:list")).content.decode()) == SPANISH_ORDER
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(reverse("trainees:export-csv")).streaming_content).decode()))
    )
    assert [row[2] for row in rows[1:]] == SPANISH_ORDER
    response = client.get(reverse("trainees:export-xlsx"))
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == SPANISH_ORDER


def test_the_session_page_and_rosters(client, instructor, people):
    client.force_login(instructor)
    page = client.get(reverse("courses:session-detail", args=[people.pk])).content.decode()
    assert _positions(page) == SPANISH_ORDER
    roster = b"".join(client.get(reverse("courses:roster-csv", args=[people.pk])).streaming_content).decode()
    assert _positions(roster) == SPANISH_ORDER
    grid = client.get(reverse("courses:session-results", args=[people.pk])).content.decode()
    assert _positions(grid) == SPANISH_ORDER


def test_organizations_in_spanish_order():
    for name in ("Zapadores", "Ejército de Guatemala", "Armada de México", "Ñandú"):
        OrganizationFactory(name=name)
    names = [name for name in Organization.objects.order_by("name").values_list("name", flat=True)]
    assert names.index("Ejército de Guatemala") < names.index("Ñandú") < names.index("Zapadores")


NAME = st.text(alphabet="aábcdeéfghiíjlmnñoóprstuúüvzAÁEÉNÑOÓUÚZ ", min_size=1, max_size=8)


@given(st.lists(NAME, min_size=2, max_size=12))
@settings(max_examples=60, deadline=None)
def test_python_sorts_names_as_the_database_does(names):
    with connection.cursor() as cursor:
        cursor.execute('SELECT n FROM unnest(%s::text[]) AS n ORDER BY n COLLATE "es-x-icu"', [names])
        database = [row[0] for row in cursor.fetchall()]
    assert [spanish_key(name)[0] for name in sorted(names, key=spanish_key)] == [
        spanish_key(name)[0] for name in database
    ]
