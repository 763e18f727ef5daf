"""Names in Spanish order: the name columns take the ICU collation for Spanish ("es-x-icu").

A database created with the C collation sorted "Ávila" after "Zúñiga". The collation is created
where PostgreSQL did not import it from ICU. The trainee name columns are read by the generated
column search_text and by the history trigger's WHEN clause, which PostgreSQL will not let a
column's collation change under: both are dropped and made again around the change (the
trigger from its own definition, so it stays exactly as django-pghistory installed it).
"""

from django.db import migrations, models


COLLATION = "es-x-icu"
TRIGGER = "pgtrigger_update_update_5a33c"


def _recollate(collation):
    return f"""
DO $$
DECLARE
    definition text;
BEGIN
    SELECT pg_get_triggerdef(oid) INTO definition FROM pg_trigger
        WHERE tgrelid = 'trainees_trainee'::regclass AND tgname = '{TRIGGER}';
    IF definition IS NOT NULL THEN
        EXECUTE 'DROP TRIGGER {TRIGGER} ON trainees_trainee';
    END IF;
    ALTER TABLE trainees_trainee DROP COLUMN search_text;
    ALTER TABLE trainees_trainee
        ALTER COLUMN given_names TYPE varchar(120) COLLATE {collation},
        ALTER COLUMN paternal_surname TYPE varchar(80) COLLATE {collation},
        ALTER COLUMN maternal_surname TYPE varchar(80) COLLATE {collation};
    ALTER TABLE trainees_trainee ADD COLUMN search_text text GENERATED ALWAYS AS
        (trainee_search_text(given_names, paternal_surname, maternal_surname, service_number)) STORED;
    CREATE INDEX trainee_search_trgm_idx ON trainees_trainee USING gin (search_text gin_trgm_ops);
    IF definition IS NOT NULL THEN
        EXECUTE definition;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("trainees", "0003_record_version"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE COLLATION IF NOT EXISTS \"{COLLATION}\" (provider = icu, locale = 'es')",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(_recollate(f'"{COLLATION}"'), reverse_sql=_recollate('"default"')),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="trainee",
                    name="given_names",
                    field=models.CharField(db_collation="es-x-icu", max_length=120, verbose_name="given names"),
                ),
                migrations.AlterField(
                    model_name="trainee",
                    name="maternal_surname",
                    field=models.CharField(
                        blank=True, db_collation="es-x-icu", max_length=80, verbose_name="maternal surname"
                    ),
                ),
                migrations.AlterField(
                    model_name="trainee",
                    name="paternal_surname",
                    field=models.CharField(db_collation="es-x-icu", max_length=80, verbose_name="paternal surname"),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="organization",
            name="name",
            field=models.CharField(db_collation="es-x-icu", max_length=200, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="traineeevent",
            name="given_names",
            field=models.CharField(db_collation="es-x-icu", max_length=120, verbose_name="given names"),
        ),
        migrations.AlterField(
            model_name="traineeevent",
            name="maternal_surname",
            field=models.CharField(blank=True, db_collation="es-x-icu", max_length=80, verbose_name="maternal surname"),
        ),
        migrations.AlterField(
            model_name="traineeevent",
            name="paternal_surname",
            field=models.CharField(db_collation="es-x-icu", max_length=80, verbose_name="paternal surname"),
        ),
    ]
