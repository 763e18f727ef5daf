"""The set-up a new user runs (Makefile, Procfile, .ci/run, README): what `make` does, read from
`make -n` (print the commands without running them)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*targets, **environment):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "PORT", "DB_NAME")}
    env.update(environment)
    result = subprocess.run(
        ["make", "-n", "--always-make", *targets], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_database_url_alone_chooses_the_database_make_creates():
    commands = _make("database", DATABASE_URL="postgres://postgres@127.0.0.1:5432/cecopam_elsewhere?sslmode=disable")
    assert 'CREATE DATABASE cecopam_elsewhere"' in commands
    assert 'psql "postgres://postgres@127.0.0.1:5432/postgres"' in commands


def test_the_port_of_make_run_is_chosen_with_port():
    assert "honcho start --port 8123" in _make("run", PORT="8123")
    assert "runserver 0.0.0.0:${PORT:-8000}" in (ROOT / "Procfile").read_text()


def test_apt_waits_for_the_dpkg_lock_everywhere():
    for path in (ROOT / "Makefile", ROOT / ".ci" / "run"):
        text = path.read_text()
        calls = [line for line in text.splitlines() if "apt-get" in line and not line.lstrip().startswith("#")]
        assert calls, path
        assert all("DPkg::Lock::Timeout=600" in line or "$(APT)" in line or "$apt" in line for line in calls), path
    assert "apt-get -o DPkg::Lock::Timeout=600 install -y -qq libreoffice-calc-nogui" in _make("test")


def test_make_requirements_has_pip_tools():
    assert "pip-tools" in (ROOT / "requirements-dev.in").read_text()
    assert (ROOT / ".venv" / "bin" / "pip-compile").exists()
    assert "pip-compile" in _make("requirements")


def test_the_readme_says_what_make_test_installs_and_keeps_its_first_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert readme.splitlines()[2].strip().startswith("make run")
    assert readme.splitlines()[3].strip().startswith("make test")
    assert "LibreOffice" in readme and "DATABASE_URL" in readme and "PORT=8080 make run" in readme
