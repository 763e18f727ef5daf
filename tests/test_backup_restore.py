"""The backup of the README's Production section restores (scripts/backup_restore_check.sh): a
real pg_dump of the test database, restored into a scratch database and compared table by table."""

import subprocess
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from tests import factories

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backup_restore_check.sh"


def database_url():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_with_every_row(tmp_path):
    factories.TraineeUserFactory(username="respaldo")
    completed = subprocess.run(
        [str(SCRIPT), database_url(), str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "restore check passed" in completed.stdout
    assert list(tmp_path.glob("*.dump"))


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_lost_rows_fails_the_check(tmp_path):
    """The comparison can fail: a dump that leaves out a table's rows is reported."""
    SessionStore().create()  # a row in a table nothing references: the restore itself succeeds
    failing = tmp_path / "pg_dump"
    failing.write_text('#!/bin/sh\nexec /usr/bin/pg_dump --exclude-table-data=django_session "$@"\n')
    failing.chmod(0o755)
    completed = subprocess.run(
        [str(SCRIPT), database_url(), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
    )
    assert completed.returncode == 1
    assert "restore check FAILED" in completed.stderr and "django_session 1" in completed.stderr
