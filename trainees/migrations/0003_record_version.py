# This migration once created the SQL function that versions a trainee's record; that function
# reads the tables of courses and certifications, which this app must not know, so it moved to
# reports/migrations/0001_record_version.py (CREATE OR REPLACE: databases that ran the old
# version of this migration get the same function). Kept as a no-op so that migration history
# stays consistent.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("trainees", "0002_history_protection"),
    ]

    operations = []
