"""The demo is the same on any database: nothing in it is drawn from the ids the database hands out.

A draw keyed on a trainee's id made the demo's observers' deployment find four ready people on
one database and two on another (the ids depended on what the database had held before, here
the tests that ran first). tests/test_seed_demo.py checks what the demo holds; this checks that
it holds it whatever the ids: seeded once, then again with every sequence moved on.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from certifications.models import Certification
from deployments.models import Nomination
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def _demo():
    """Seed the demo in a savepoint that is rolled back; return what it holds, without ids."""
    with transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        held = {
            "nominations": set(
                Nomination.objects.values_list("deployment__code", "trainee__service_number", "ready_when_nominated")
            ),
            "certifications": set(
                Certification.objects.values_list(
                    "trainee__service_number", "type__code", "issuer", "issued_on", "expires_on", "revoked_at"
                )
            ),
            "people": set(Trainee.objects.values_list("service_number", "date_of_birth", "service_started_on")),
        }
        transaction.set_rollback(True)
    return held


def _move_every_sequence_on(by):
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, sequencename, COALESCE(last_value, 0) FROM pg_sequences")
        for schema, name, last in cursor.fetchall():
            cursor.execute("SELECT setval(%s, %s)", [f'"{schema}"."{name}"', last + by])


def test_the_demo_does_not_depend_on_the_ids_the_database_hands_out():
    first = _demo()
    _move_every_sequence_on(7_777)
    again = _demo()
    assert first["nominations"] == again["nominations"]
    assert first["certifications"] == again["certifications"]
    assert first["people"] == again["people"]
    assert sum(ready for _code, _person, ready in first["nominations"]) >= 3
