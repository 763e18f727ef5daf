"""A trainee's record (the body of /me/ and of a trainee's page), rendered once and reused.

A record is 30–100 rows from nine tables; reading them into model instances and rendering
them costs ~12 ms, which trainees opening /me/ again and again would pay on every visit.
`reports/me.html` and `reports/trainee_record.html` therefore cache the record's rendering
(`{% cache %}`) under the trainee's *record version*: a SQL function
(reports/migrations/0001_record_version.py; it lives in this layer
because it reads the tables of every app the record shows), read with the trainee, that fingerprints the
physical version of every row the record shows. PostgreSQL gives each row version a
`(xmin, ctid)` pair — the transaction that wrote it and where it lies — and every INSERT,
UPDATE or DELETE changes the set of pairs, whoever writes (views, services, bulk SQL, the
admin, a psql session), so a record can never be served stale and no code has to remember to
invalidate anything. A VACUUM FULL moves rows: the renderings are then rebuilt once.

What else a rendering depends on is in the cache key beside the version (the templates): the
day (a certificate's state), the language, and who reads (own record, administrator). The
renderings are kept in each server process (`CACHES["records"]`): reading one costs no round
trip, and a new release, which restarts the processes, starts without them. The rows
themselves are read only when the rendering is missing (`lazy_record`), after the version: a
rendering is never older than the version it is stored under.
"""

from django.db import connection
from django.db.models import F, Func, Prefetch, TextField
from django.utils.functional import SimpleLazyObject

from certifications.models import Certification, ExpiryReminder
from courses.models import Enrollment
from trainees.models import Trainee

# Renderings expire on their own after a day (the key also changes with the date).
RECORD_CACHE_SECONDS = 24 * 60 * 60


def with_record_version(queryset):
    """The trainees of `queryset`, each with `record_version` (see the module's docstring)."""
    version = Func(F("pk"), function="trainee_record_version", output_field=TextField())
    return queryset.annotate(record_version=version)


def own_record_version(user):
    """(trainee id, record version) of the user's own trainee record, or None if the account
    has none. /me/ asks this on every visit: one plain statement costs 0.25 ms where the same
    through the ORM costs 0.6, a fifth of the page once the record is cached."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, trainee_record_version(id) FROM {Trainee._meta.db_table} WHERE user_id = %s",  # noqa: S608
            [user.pk],
        )
        return cursor.fetchone()


def _with_rows(queryset):
    """Everything the record shows, in a fixed number of queries whatever its length."""
    enrollments = Enrollment.objects.select_related("session__course")
    certifications = Certification.objects.select_related("type", "enrollment__session__course")
    return queryset.select_related("organization").prefetch_related(
        "languages",
        Prefetch("enrollments", queryset=enrollments),
        Prefetch("certifications", queryset=certifications),
        "certifications__reminders",
    )


def _read_record(queryset, pk):
    trainee = _with_rows(queryset).get(pk=pk)
    enrollments = sorted(trainee.enrollments.all(), key=lambda e: (e.session.starts_on, e.pk), reverse=True)
    certifications = sorted(trainee.certifications.all(), key=lambda c: (c.issued_on, c.pk), reverse=True)
    reminders_sent = sorted(
        (
            reminder
            for certification in certifications
            for reminder in certification.reminders.all()
            if reminder.state == ExpiryReminder.State.SENT
        ),
        key=lambda r: (r.sent_at is not None, r.sent_at),
        reverse=True,
    )
    return {
        "trainee": trainee,
        "enrollments": enrollments,
        "certifications": certifications,
        "reminders_sent": reminders_sent,
    }


def lazy_record(queryset, trainee_id):
    """The record's rows for the template, read from `queryset` (the one that limits what the
    user may see) only if the template asks for them, i.e. when the rendering is not cached."""
    return SimpleLazyObject(lambda: _read_record(queryset, trainee_id))
