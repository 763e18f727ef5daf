"""The reminder sweep on a generated database, against the bare SQL that selects what is due.

`measure_sweep_in_place(...)` times, on the data already in the database (bench.generate: the
reminder job has run daily for six months, so today's sweep finds the daily load):

- bare_due_ms: the hand-written SQL that selects the due certifications and their most urgent
  stage (range on expires_on, stage CASE, NOT EXISTS a reminder at that stage or a more urgent
  one): what the database must do at the least to know what is due;
- sweep_ms: certifications.reminders.sweep(today=...) (advisory lock, one INSERT ... SELECT ...
  ON CONFLICT DO NOTHING RETURNING), nothing sent.

Everything runs in one transaction that is rolled back, each sweep in a savepoint rolled back
after it, so every run claims the same rows and the database is left as it was. Deferred
constraints are checked immediately, so a claim pays for its foreign-key checks as a committed
one does (only the commit's WAL flush is left out). Medians of `runs` warm runs.
sweep_vs_sql = sweep_ms / bare_due_ms (goal <= 2).

bench/sweep.py measures the same sweep on its own synthetic database (5,000 due at once, the
first run after go-live); measure_sweep_in_place(synthetic=True) runs it too.
"""

import datetime
import statistics
import time


def _median_ms(function, runs, around=None):
    timings = []
    for _ in range(runs):
        if around is None:
            started = time.perf_counter()
            function()
            timings.append((time.perf_counter() - started) * 1000)
        else:
            with around():
                started = time.perf_counter()
                function()
                timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bare_due_sql(today):
    """The least SQL that selects what is due on `today`: (certification id, stage)."""
    from django.conf import settings

    from certifications.models import Certification, ExpiryReminder

    stages = sorted(settings.CERT_REMINDER_DAYS)
    first = today - datetime.timedelta(days=settings.CERT_REMINDER_GRACE_DAYS)
    last = today + datetime.timedelta(days=stages[-1])
    stage_case = " ".join(f"WHEN c.expires_on <= %s THEN {stage}" for stage in stages)
    sql = (
        f"SELECT id, stage FROM (SELECT c.id, CASE {stage_case} END AS stage "
        f"FROM {Certification._meta.db_table} c "
        f"WHERE c.revoked_at IS NULL AND c.superseded_by_id IS NULL AND c.expires_on IS NOT NULL "
        f"AND c.expires_on BETWEEN %s AND %s) due WHERE NOT EXISTS "
        f"(SELECT 1 FROM {ExpiryReminder._meta.db_table} r WHERE r.certification_id = due.id AND r.stage <= due.stage)"
    )
    return sql, [*(today + datetime.timedelta(days=stage) for stage in stages), first, last]


def measure_sweep_in_place(
    *, today=None, runs=15, synthetic=False, synthetic_database=None, synthetic_certifications=100_000, out=print
):
    import contextlib

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from certifications import reminders
    from certifications.models import Certification

    today = today or timezone.localdate()
    sql, params = bare_due_sql(today)

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    @contextlib.contextmanager
    def rolled_back():
        with transaction.atomic():
            yield
            transaction.set_rollback(True)

    figures = {"today": today.isoformat()}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        due = bare()
        orm_due = Certification.objects.due_for_reminder(today).count()
        assert len(due) == orm_due, ("the bare SQL and due_for_reminder disagree", len(due), orm_due)
        figures["due"] = len(due)
        with rolled_back(), CaptureQueriesContext(connection) as captured:
            claims = reminders.sweep(today=today)
        assert sorted((claim.certification_id, claim.stage) for claim in claims) == sorted(due)
        figures["sweep_queries"] = len(captured)
        bare()  # warm
        figures["bare_due_ms"] = round(_median_ms(bare, runs), 2)
        figures["sweep_ms"] = round(_median_ms(lambda: reminders.sweep(today=today), runs, around=rolled_back), 2)
        transaction.set_rollback(True)
    figures["sweep_vs_sql"] = round(figures["sweep_ms"] / figures["bare_due_ms"], 2)
    out(
        f"  {figures['due']:,} due on {figures['today']}: bare SQL {figures['bare_due_ms']} ms, "
        f"sweep {figures['sweep_ms']} ms ({figures['sweep_queries']} queries): ratio {figures['sweep_vs_sql']}"
    )
    if synthetic:
        from bench.sweep import measure_sweep

        # Its own database (created, filled, dropped by bench/sweep.py), never the generated one.
        worst = measure_sweep(
            database=synthetic_database, certifications=synthetic_certifications, runs=5, out=lambda text: None
        )
        figures["synthetic"] = {
            key: worst[key]
            for key in (
                "certifications",
                "due",
                "bare_due_ms",
                "sweep_ms",
                "claim_sql_ms",
                "ratio_to_bare_due",
                "ratio_tenth_to_bare_due",
                "ratio_nothing_due_to_bare_due",
            )
            if key in worst
        }
        out(
            f"  synthetic (bench/sweep.py, {worst['due']:,} due at once of {worst['certifications']:,}): "
            f"bare {worst['bare_due_ms']} ms, sweep {worst['sweep_ms']} ms: ratio {worst['ratio_to_bare_due']}; "
            f"a tenth due: {worst.get('ratio_tenth_to_bare_due')}; nothing due: {worst.get('ratio_nothing_due_to_bare_due')}"
        )
    return figures
