"""common/csv_copy.py: the CSV PostgreSQL writes has the same cells as csv_response() writes."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from common.csv_copy import copy_csv_response, safe_text
from common.spreadsheets import csv_response
from courses.models import Enrollment
from tests.factories import EnrollmentFactory, OrganizationFactory, TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

TRICKY = [
    "=1+1",
    "+52 55 1234 5678",
    "-3",
    "@SUM(A1)",
    "\tTab",
    "\rReturn",
    'Comillas "dobles"',
    "Coma, punto; y coma",
    "Dos\nlíneas",
    "Núñez Ávila Peña",
    "",
    "'ya con apóstrofo",
    "\\.",
]


def _cells(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_same_cells_as_csv_response():
    organization = OrganizationFactory(name="=Organización, S.A.")
    for index, text in enumerate(TRICKY):
        TraineeFactory(
            service_number=f"MX-{index:04d}",
            given_names=text or "Ana",
            paternal_surname=text or "López",
            maternal_surname=text,
            rank=text,
            phone=text,
            organization=organization if index % 2 else None,
        )
    trainees = Trainee.objects.order_by("service_number")
    fields = ["service_number", "given_names", "paternal_surname", "maternal_surname", "rank", "phone"]
    header = [*fields, "organization", "=header"]
    expected = csv_response(
        header,
        (
            [*(getattr(t, name) for name in fields), t.organization.name if t.organization else "", t.nationality.code]
            for t in trainees.select_related("organization")
        ),
        "x.csv",
    )
    cells = [safe_text(F(name)) for name in [*fields, "organization__name", "nationality"]]
    actual = copy_csv_response(header, trainees.values_list(*cells), "x.csv")
    assert _cells(actual) == _cells(expected)
    assert actual["Content-Type"] == "text/csv; charset=utf-8"
    assert actual["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_numbers_dates_and_nulls_as_csv_response_writes_them():
    EnrollmentFactory(score=Decimal("95.5"), attendance=100, recorded_at=None)
    EnrollmentFactory(score=None, attendance=None)
    enrollments = Enrollment.objects.order_by("pk")
    expected = csv_response(
        ["score", "attendance", "starts"],
        ([e.score, e.attendance, e.session.starts_on] for e in enrollments.select_related("session")),
        "x.csv",
    )
    actual = copy_csv_response(
        ["score", "attendance", "starts"], enrollments.values_list("score", "attendance", "session__starts_on"), "x.csv"
    )
    rows = _cells(actual)
    assert rows == _cells(expected)
    first = enrollments.select_related("session").first()
    assert rows[1] == ["95.50", "100", first.session.starts_on.isoformat()]
    assert rows[2][:2] == ["", ""]


def test_one_statement_whatever_the_rows():
    TraineeFactory.create_batch(3)
    with CaptureQueriesContext(connection) as small:
        _cells(
            copy_csv_response(["n"], Trainee.objects.order_by("pk").values_list(safe_text(F("service_number"))), "x")
        )
    TraineeFactory.create_batch(30)
    with CaptureQueriesContext(connection) as large:
        rows = _cells(
            copy_csv_response(["n"], Trainee.objects.order_by("pk").values_list(safe_text(F("service_number"))), "x")
        )
    assert len(rows) == 34
    assert len(small) == len(large) == 1
    assert large.captured_queries[0]["sql"].startswith("COPY (SELECT")


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_roster_csv_has_the_cells_of_roster_rows(language):
    from django.utils import translation

    from courses.exports import roster_csv_response, roster_header, roster_rows
    from tests.factories import CertificationFactory, CourseSessionFactory

    session = CourseSessionFactory(capacity=3)
    people = [
        ("Ana María", "Núñez", "Peña", "=Capitán", None),
        ("", "Solo", "", "", 'Unidad, "Norte"'),
        ("José", "López", "", "@rank", "-Organización"),
        ("Íñigo", "Sáenz", "Ávila", "", "Policía"),
        ("Zoe", "Zúñiga", "", "", None),
    ]
    statuses = ["enrolled", "enrolled", "enrolled", "waitlisted", "withdrawn"]
    for (given, paternal, maternal, rank, organization), status in zip(people, statuses, strict=True):
        enrollment = EnrollmentFactory(
            session=session,
            status=status,
            result="passed" if status == "enrolled" else "pending",
            score=Decimal("88.25") if status == "enrolled" else None,
            attendance=90 if status == "enrolled" else None,
            trainee=TraineeFactory(
                given_names=given or "X",
                paternal_surname=paternal,
                maternal_surname=maternal,
                rank=rank,
                organization=OrganizationFactory(name=organization) if organization else None,
            ),
        )
        if status == "enrolled":
            CertificationFactory(trainee=enrollment.trainee, enrollment=enrollment, expires_on=None)
    with translation.override(language):
        expected = _cells(csv_response(roster_header(), roster_rows(session), "x.csv"))
        actual = _cells(roster_csv_response(session))
    assert actual == expected
    assert len(actual) == 6
