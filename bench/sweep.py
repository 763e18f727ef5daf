"""What the reminder sweep (selection + claim) costs, against the bare SQL that selects the due rows.

    .venv/bin/python -m bench.sweep [--certifications 100000] [--due 5000] [--runs 7] [--keep]

Creates its own database (default cecopam_h4_bench, on the server of DATABASE_URL), migrates
it, fills it by bulk INSERT ... SELECT generate_series (history triggers off for the load),
measures, and drops it at the end unless --keep. `measure_sweep(...)` returns the figures as a
dict, for bench/run.py. Results are written in bench/sweep.md.

Measured, each as the median of --runs warm runs (milliseconds):
- bare_range_ms: SELECT the ids of current certifications in the reminder range (index scan);
- bare_due_ms: the hand-written SQL that selects the due ones: range, most urgent stage
  (CASE) and NOT EXISTS a reminder at that stage or a more urgent one;
- sweep_ms: certifications.reminders.sweep() claiming all `due`: advisory lock, one INSERT ...
  SELECT ... ON CONFLICT DO NOTHING RETURNING, commit (nothing sent);
- claim_sql_ms: that same INSERT statement run raw in a transaction (the floor of a durable claim);
- sweep_again_ms / bare_due_after_claim_ms: both once everything is claimed (nothing due);
- sweep_tenth_ms / bare_due_tenth_ms: with only a tenth due, the rest claimed before;
- sweep_queries / sweep_queries_tenth_due: queries of the sweep (BEGIN and COMMIT included).
"""

import argparse
import datetime
import os
import statistics
import time

DEFAULT_DATABASE = "cecopam_h4_bench"
ORGANIZATIONS = 50
TYPES = 10
CERTIFICATIONS_PER_TRAINEE = 2


def _median_ms(function, runs, before=None):
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _admin_connection(settings_dict):
    import psycopg2

    connection = psycopg2.connect(
        dbname="postgres",
        user=settings_dict["USER"] or "postgres",
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        password=settings_dict.get("PASSWORD") or None,
    )
    connection.autocommit = True
    return connection


def _insert_select(model, expressions, source, params):
    """INSERT INTO <model> (...) SELECT ... FROM <source>, with named parameters.

    `expressions` gives the SQL of some columns; every other column gets now() (auto
    timestamps), the field's default cast to its type, or NULL, so that columns added to the
    model later need no change here.
    """
    from django.db import connection

    params = dict(params)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"CAST(%({key})s AS {field.db_type(connection)})")
        elif field.null:
            values.append("NULL")
        else:
            raise SystemExit(f"bench.sweep: {model.__name__}.{field.name} needs a value")
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _fill(*, certifications, due, today, stages, grace_days):
    """Bulk-load organizations, certification types, trainees and certifications: exactly `due`
    current certifications lie in the reminder range; the rest lie outside it, or inside it but
    revoked or superseded (which the sweep must skip)."""
    from django.db import connection, transaction

    from certifications.models import Certification, CertificationType
    from trainees.models import Organization, Trainee

    trainees = max(1, -(-certifications // CERTIFICATIONS_PER_TRAINEE))
    first, last = today - datetime.timedelta(days=grace_days), today + datetime.timedelta(days=max(stages))
    params = {
        "first": first,
        "last": last,
        "window": (last - first).days + 1,
        "due": due,
        "trainees": trainees,
        "total": certifications,
        "organizations": ORGANIZATIONS,
        "types": TYPES,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Triggers (history, foreign keys) off for the load only; check constraints still hold.
        cursor.execute("SET LOCAL session_replication_role = replica")
        _insert_select(
            Organization,
            {"name": "'Unidad ' || g", "training_officer_email": "'oficial' || g || '@example.mx'"},
            "generate_series(1, %(organizations)s) AS g",
            params,
        )
        _insert_select(
            CertificationType,
            {"code": "'T' || g", "name": "'Tipo ' || g", "validity_months": "24"},
            "generate_series(1, %(types)s) AS g",
            params,
        )
        _insert_select(
            Trainee,
            {
                "service_number": "'SN-' || lpad(g::text, 7, '0')",
                "given_names": "'Nombre'",
                "paternal_surname": "'Apellido' || g",
                "nationality": "'MX'",
                "email": "'t' || g || '@example.mx'",
                "organization_id": f"(SELECT min(id) FROM {Organization._meta.db_table}) + g %% %(organizations)s",
            },
            "generate_series(1, %(trainees)s) AS g",
            params,
        )
        # Certification g belongs to trainee g mod trainees (two per trainee, of different types).
        # g <= due: current, expiring inside the range. Beyond: outside the range, except every
        # 50th (revoked) and every 50th + 1 (superseded, below), which lie inside it.
        inside = "%(first)s::date + ((g::bigint * 7919) %% %(window)s)::int"
        outside = "CASE WHEN g %% 2 = 0 THEN %(last)s::date + 1 + g %% 900 ELSE %(first)s::date - 1 - g %% 700 END"
        expires = f"(CASE WHEN g <= %(due)s OR g %% 50 IN (0, 1) THEN {inside} ELSE {outside} END)"
        revoked = "g > %(due)s AND g %% 50 = 0"
        _insert_select(
            Certification,
            {
                "trainee_id": f"(SELECT min(id) FROM {Trainee._meta.db_table}) + g %% %(trainees)s",
                "type_id": f"(SELECT min(id) FROM {CertificationType._meta.db_table}) + (g / %(trainees)s) %% %(types)s",
                "code": "'BENCH-' || g",
                "issued_on": f"{expires} - 730",
                "expires_on": expires,
                "revoked_at": f"CASE WHEN {revoked} THEN now() END",
                "revoked_reason": f"CASE WHEN {revoked} THEN 'bench' ELSE '' END",
            },
            "generate_series(1, %(total)s) AS g",
            params,
        )
        table = Certification._meta.db_table
        cursor.execute(
            f"UPDATE {table} AS c SET superseded_by_id = other.id FROM {table} AS other "
            f"WHERE substring(c.code from 7)::int > %(due)s AND substring(c.code from 7)::int %% 50 = 1 "
            f"AND other.trainee_id = c.trainee_id AND other.id <> c.id",
            params,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return trainees


def measure_sweep(
    *, database=DEFAULT_DATABASE, certifications=100_000, due=5_000, runs=7, keep=False, today=None, out=print
):
    """Create and fill `database`, measure the sweep against the bare SQL, drop it; return the figures."""
    import django
    from django.conf import settings
    from django.db import connection, connections, transaction
    from django.test.utils import CaptureQueriesContext

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")
    django.setup()

    from django.core.management import call_command

    from certifications import reminders
    from certifications.models import Certification, ExpiryReminder

    today = today or datetime.date(2027, 3, 1)
    stages = sorted(settings.CERT_REMINDER_DAYS)
    grace_days = settings.CERT_REMINDER_GRACE_DAYS
    settings_dict = connections["default"].settings_dict
    original_name = settings_dict["NAME"]
    admin = _admin_connection(settings_dict)
    figures = {"certifications": certifications, "due": due, "runs": runs, "today": today.isoformat()}
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
            cursor.execute(f'CREATE DATABASE "{database}"')
        connections.close_all()
        settings_dict["NAME"] = database
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        figures["trainees"] = _fill(
            certifications=certifications, due=due, today=today, stages=stages, grace_days=grace_days
        )
        figures["setup_seconds"] = round(time.perf_counter() - started, 1)

        reminder_table = ExpiryReminder._meta.db_table
        table = Certification._meta.db_table
        first = today - datetime.timedelta(days=grace_days)
        last = today + datetime.timedelta(days=stages[-1])
        stage_case = " ".join(f"WHEN c.expires_on <= %s THEN {stage}" for stage in stages)
        stage_params = [today + datetime.timedelta(days=stage) for stage in stages]
        bare_range_sql = (
            f"SELECT c.id FROM {table} c WHERE c.revoked_at IS NULL AND c.superseded_by_id IS NULL "
            f"AND c.expires_on IS NOT NULL AND c.expires_on BETWEEN %s AND %s"
        )
        bare_due_sql = (
            f"SELECT id, stage FROM (SELECT c.id, CASE {stage_case} END AS stage FROM {table} c "
            f"WHERE c.revoked_at IS NULL AND c.superseded_by_id IS NULL AND c.expires_on IS NOT NULL "
            f"AND c.expires_on BETWEEN %s AND %s) due WHERE NOT EXISTS "
            f"(SELECT 1 FROM {reminder_table} r WHERE r.certification_id = due.id AND r.stage <= due.stage)"
        )

        def run_sql(sql, params):
            def run():
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return len(cursor.fetchall())

            return run

        def clear_reminders():
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {reminder_table}")

        clear_reminders()
        bare_range = run_sql(bare_range_sql, [first, last])
        bare_due = run_sql(bare_due_sql, [*stage_params, first, last])
        assert bare_range() == due, "the fill did not produce the intended number due"
        assert bare_due() == due
        figures["bare_range_ms"] = _median_ms(bare_range, runs)
        figures["bare_due_ms"] = _median_ms(bare_due, runs)

        def sweep():
            claimed = reminders.sweep(today=today)
            assert len(claimed) == due, len(claimed)

        claim_sql, claim_params = reminders._claim_statement(today)

        def claim_sql_only():
            # The sweep's own statement, run raw in a transaction: the floor for a durable claim.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(claim_sql, claim_params)
                assert len(cursor.fetchall()) == due

        sweep()  # warm up (plans, caches)
        figures["sweep_ms"] = _median_ms(sweep, runs, before=clear_reminders)
        figures["claim_sql_ms"] = _median_ms(claim_sql_only, runs, before=clear_reminders)
        figures["sweep_again_ms"] = _median_ms(lambda: reminders.sweep(today=today), runs)
        figures["bare_due_after_claim_ms"] = _median_ms(bare_due, runs)

        clear_reminders()
        with CaptureQueriesContext(connection) as queries:
            assert len(reminders.sweep(today=today)) == due
        figures["sweep_queries"] = len(queries)

        # A tenth due: the others already have a reminder at their most urgent stage.
        tenth = due // 10

        def claim_all_but_a_tenth():
            clear_reminders()
            _insert_select(
                ExpiryReminder,
                {"certification_id": "d.id", "stage": "0", "state": "'sent'"},
                f"({bare_range_sql.replace('%s', '%(first)s', 1).replace('%s', '%(last)s', 1)} "
                "ORDER BY c.id OFFSET %(offset)s) AS d",
                {"first": first, "last": last, "offset": tenth},
            )

        claim_all_but_a_tenth()
        assert bare_due() == tenth
        figures["bare_due_tenth_ms"] = _median_ms(bare_due, runs)
        figures["sweep_tenth_ms"] = _median_ms(lambda: reminders.sweep(today=today), runs, before=claim_all_but_a_tenth)
        claim_all_but_a_tenth()
        with CaptureQueriesContext(connection) as queries:
            assert len(reminders.sweep(today=today)) == tenth
        figures["sweep_queries_tenth_due"] = len(queries)

        figures["ratio_to_bare_due"] = round(figures["sweep_ms"] / figures["bare_due_ms"], 1)
        figures["ratio_to_claim_sql"] = round(figures["sweep_ms"] / figures["claim_sql_ms"], 2)
        figures["ratio_tenth_to_bare_due"] = round(figures["sweep_tenth_ms"] / figures["bare_due_tenth_ms"], 1)
        figures["ratio_nothing_due_to_bare_due"] = round(
            figures["sweep_again_ms"] / figures["bare_due_after_claim_ms"], 1
        )
        for key, value in list(figures.items()):
            if key.endswith("_ms"):
                figures[key] = round(value, 1)
        return figures
    finally:
        connections.close_all()
        settings_dict["NAME"] = original_name
        if not keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.close()
        out_lines = [f"{key}: {value}" for key, value in figures.items()]
        out("\n".join(out_lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--certifications", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")
    measure_sweep(
        database=args.database, certifications=args.certifications, due=args.due, runs=args.runs, keep=args.keep
    )


if __name__ == "__main__":
    main()
