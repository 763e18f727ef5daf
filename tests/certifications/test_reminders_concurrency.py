"""Two reminder sweeps in parallel processes, against the same (committed) test database,
send each stage once."""

import datetime
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from certifications.models import ExpiryReminder
from tests import factories

TODAY = datetime.date(2027, 3, 1)


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_processes_send_each_stage_once(tmp_path):
    stages = {}
    for days_left in (90, 45, 30, 12, 7, 3, 0, -2) * 5:
        certification = factories.CertificationFactory(
            issued_on=datetime.date(2025, 1, 10), expires_on=TODAY + timedelta(days=days_left)
        )
        stages[certification.pk] = min(s for s in (90, 30, 7, 0) if days_left <= s)

    processes = []
    for number in (1, 2):
        mail_dir = tmp_path / f"mail{number}"
        mail_dir.mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"filemail:///{mail_dir}",  # four slashes: an absolute path
            "CONN_MAX_AGE": "0",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "send_expiry_reminders", "--today", TODAY.isoformat()],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        outputs.append(stdout)

    claimed = dict(ExpiryReminder.objects.values_list("certification_id", "stage"))
    assert claimed == stages
    assert set(ExpiryReminder.objects.values_list("state", flat=True)) == {ExpiryReminder.State.SENT}
    sent_lines = [line for output in outputs for line in output.splitlines() if line.startswith("sent:")]
    assert len(sent_lines) == len(stages)
    message_ids = [
        match
        for path in tmp_path.glob("mail*/*")
        for match in re.findall(r"^Message-ID: (\S+)$", Path(path).read_text(), flags=re.MULTILINE)
    ]
    assert len(message_ids) == len(stages)
    assert len(set(message_ids)) == len(stages)
