# The version of a trainee's record, read by reports/records.py to key the record's cached
# rendering. It fingerprints the physical version (xmin, ctid) of every row the record shows:
# any INSERT, UPDATE or DELETE of such a row changes it. A function (PL/pgSQL keeps its plans
# for the connection) costs 0.2 ms where the same SQL sent with each request costs 0.5 ms.
# A new table shown on the record must be added here, in a new migration of this app
# (tests/reports/test_record_cache.py). It lives in reports because it reads the tables of every
# app the record shows; trainees/migrations/0003 defined it before the layers were enforced, and
# CREATE OR REPLACE takes over that definition on databases that ran it.

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION trainee_record_version(trainee bigint)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN md5(concat_ws('|',
    (SELECT concat_ws(':', t.xmin, t.ctid, o.xmin, o.ctid)
       FROM trainees_trainee t LEFT JOIN trainees_organization o ON o.id = t.organization_id
      WHERE t.id = trainee),
    (SELECT string_agg(concat_ws(':', l.xmin, l.ctid), ',' ORDER BY l.id)
       FROM trainees_traineelanguage l
      WHERE l.trainee_id = trainee),
    (SELECT string_agg(concat_ws(':', e.xmin, e.ctid, s.xmin, s.ctid, c.xmin, c.ctid), ',' ORDER BY e.id)
       FROM courses_enrollment e
       JOIN courses_coursesession s ON s.id = e.session_id
       JOIN courses_course c ON c.id = s.course_id
      WHERE e.trainee_id = trainee),
    -- A certificate's enrolment is one of the trainee's own, fingerprinted above.
    (SELECT string_agg(concat_ws(':', x.xmin, x.ctid, ct.xmin, ct.ctid), ',' ORDER BY x.id)
       FROM certifications_certification x
       JOIN certifications_certificationtype ct ON ct.id = x.type_id
      WHERE x.trainee_id = trainee),
    (SELECT string_agg(concat_ws(':', r.xmin, r.ctid), ',' ORDER BY r.id)
       FROM certifications_expiryreminder r
       JOIN certifications_certification x ON x.id = r.certification_id
      WHERE x.trainee_id = trainee)));
END $$;
"""



class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("trainees", "0003_record_version"),
        ("courses", "0003_history_protection"),
        ("certifications", "0007_reminder_certification_index"),
    ]

    operations = [
        migrations.RunSQL(sql=FUNCTION, reverse_sql="DROP FUNCTION trainee_record_version(bigint);"),
    ]
