"""Translation completeness: every string marked for translation has a Spanish translation.

The test runs the Makefile's `translations` makemessages command in a scratch copy of the
project, so the catalogue it checks is the one the current source would produce (a string
added to a template or to Python since the catalogue was last refreshed appears there
untranslated), then fails on any untranslated or fuzzy Spanish entry and on any placeholder
that differs between an English msgid and its Spanish msgstr.
"""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SPANISH = BASE_DIR / "locale/es/LC_MESSAGES/django.po"
ENGLISH = BASE_DIR / "locale/en/LC_MESSAGES/django.po"


# Not copied into the scratch project: not ours, or not source (makemessages ignores them too).
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "staticfiles", "var", "__pycache__", "*.pyc", "*.mo", ".ruff_cache", "test-results"
)


def _makemessages_arguments():
    """The makemessages arguments of the Makefile's `translations` target: one command, one place."""
    makefile = (BASE_DIR / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^translations:.*?(?=^\S)", makefile + "\nend:", re.M | re.S)
    assert target, "the Makefile has no `translations` target"
    command = re.search(r"manage\.py (makemessages [^\n]+)", target.group(0))
    assert command, "the `translations` target does not run makemessages"
    return shlex.split(command.group(1))


def _run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _msgids(po_text):
    """The msgids of the entries in a .po text (header excluded), joined across continuation lines."""
    ids = []
    for block in re.split(r"\n\s*\n", po_text):
        match = re.search(r'^msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)', block, re.M)
        if not match:
            continue
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)))
        if msgid:
            ids.append(msgid)
    return ids


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory):
    for tool in ("msgattrib", "msgfmt", "msgmerge", "xgettext"):
        assert shutil.which(tool), f"{tool} is missing: install gettext (apt-get install gettext)"
    project = tmp_path_factory.mktemp("translations") / "project"
    shutil.copytree(BASE_DIR, project, ignore=NOT_COPIED, symlinks=True)
    _run(sys.executable, "manage.py", *_makemessages_arguments(), cwd=project)
    return project / "locale/es/LC_MESSAGES/django.po"


def test_english_catalogue_exists():
    assert ENGLISH.exists(), "run `make translations` to create locale/en/LC_MESSAGES/django.po"


def test_every_marked_string_has_a_spanish_translation(fresh_catalogue):
    untranslated = _msgids(_run("msgattrib", "--untranslated", "--no-obsolete", str(fresh_catalogue), cwd=None))
    assert untranslated == [], (
        f"{len(untranslated)} string(s) without a Spanish translation (run `make translations` and translate "
        f"them in locale/es/LC_MESSAGES/django.po): {untranslated[:30]}"
    )


def test_no_spanish_translation_is_fuzzy(fresh_catalogue):
    fuzzy_output = _run("msgattrib", "--only-fuzzy", "--no-obsolete", str(fresh_catalogue), cwd=None)
    fuzzy = _msgids(fuzzy_output)
    assert fuzzy == [], f"fuzzy entries (check the translation, then delete its '#, fuzzy' line): {fuzzy[:30]}"
    header = fresh_catalogue.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    assert "#, fuzzy" not in header, "the catalogue's header is marked fuzzy: delete that '#, fuzzy' line"


def test_spanish_placeholders_match_the_english_ones(fresh_catalogue):
    # --check-format: %(name)s and {{ name }} placeholders must agree, or the page breaks at runtime.
    _run("msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(fresh_catalogue), cwd=None)


def test_the_committed_catalogue_is_current(fresh_catalogue):
    """Every msgid the source produces is already in the committed catalogue (no forgotten refresh)."""
    committed = set(_msgids(SPANISH.read_text(encoding="utf-8")))
    missing = [msgid for msgid in _msgids(fresh_catalogue.read_text(encoding="utf-8")) if msgid not in committed]
    assert missing == [], f"run `make translations`: the catalogue lacks {missing[:30]}"
