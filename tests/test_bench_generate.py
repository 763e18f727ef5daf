"""The benchmark data generator keeps up with the models: it writes every table by COPY with
explicit columns, so a field added without a default it knows (a sequence's `db_default`, say)
broke it once without any test noticing. A tiny scale, generated into the test database."""

import datetime
import io

import pytest
from django.db import connection

from bench.generate import Generator, Scale
from certifications.models import Certification
from courses.models import Enrollment
from trainees.models import Trainee

TINY = Scale(trainees=300, enrollments=2_000, organizations=6, instructors=6, trainee_accounts=10)


@pytest.mark.django_db(transaction=True)
def test_the_generator_fills_a_migrated_database():
    Generator(scale=TINY, seed=7, today=datetime.date(2026, 12, 1), reminder_log=True, out=io.StringIO()).run()

    assert Trainee.objects.count() == TINY.trainees
    assert Enrollment.objects.count() == TINY.enrollments
    certifications = Certification.objects.all()
    assert certifications.exists()
    # Columns the database fills by itself got their values (unique, from the sequence).
    indexes = list(certifications.values_list("status_list_index", flat=True))
    assert None not in indexes and len(set(indexes)) == len(indexes)
    # The sequences were moved past the generated ids: the next row inserts.
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM trainees_trainee")
        (highest,) = cursor.fetchone()
    assert Trainee.objects.create(service_number="NEW-1", given_names="Ana", paternal_surname="Ruiz").pk > highest
