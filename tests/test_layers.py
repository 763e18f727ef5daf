"""The layers of DESIGN.md hold: `lint-imports` passes on the code as it is, and fails as soon as
a module imports from a layer above it, directly or through a module of a lower layer.

Each case copies the Python sources to a scratch directory, adds one import, and runs the
same `lint-imports` that `make test` runs there (its contracts are in pyproject.toml).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "staticfiles",
    "var",
    "locale",
    "static",
    "templates",
    "tests",
    "bench",
    "__pycache__",
    "*.pyc",
    "*.mo",
    "*.po",
    "*.html",
    "*.txt",
    ".ruff_cache",
    "test-results",
)


def _lint(project):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(BASE_DIR, copy, ignore=NOT_COPIED)
    return copy


def _append(path, line):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}\n")


def test_the_code_keeps_its_layers(project):
    result = _lint(project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "upward_import"),
    [
        ("trainees/models.py", "import reports.views  # noqa"),  # people reading a page composed above them
        ("courses/models.py", "from reports import records  # noqa"),
        ("accounts/views.py", "from trainees.models import Trainee  # noqa"),  # the old landing pages
        ("common/pagination.py", "import certifications.models  # noqa"),
        ("cecopam/celery.py", "import courses.services  # noqa"),  # configuration reaching into an app
    ],
)
def test_an_upward_import_breaks_the_layers(project, module, upward_import):
    _append(project / module, upward_import)
    result = _lint(project)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout


def test_an_upward_import_through_a_lower_module_breaks_the_layers(project):
    """trainees -> common.helper (allowed: down) -> courses (up from common): the chain is caught."""
    (project / "common" / "helper.py").write_text("import courses.models  # noqa\n", encoding="utf-8")
    _append(project / "trainees" / "forms.py", "import common.helper  # noqa")
    result = _lint(project)
    assert result.returncode != 0
    assert "common.helper -> courses.models" in result.stdout


def test_certifications_never_calls_courses_services(project):
    _append(project / "certifications" / "reminders.py", "from courses import services  # noqa")
    result = _lint(project)
    assert result.returncode != 0
    assert "certifications.reminders -> courses.services" in result.stdout
