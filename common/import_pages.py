"""The pages of a two-phase import (upload, preview, confirm), shared by every importer.

Between the preview and the confirmation the uploaded file waits in a private directory
(mode 0700, outside the static and media trees), under a random token kept in the user's
session: nobody can guess its name or reach it by URL, and a confirmation only applies the
file this user previewed. Each importer keeps its file under its own session key.
"""

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from .imports import too_large_message

STAGED_MAX_AGE_SECONDS = 24 * 60 * 60
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        allow_empty_file=True,  # the importer's own message says the file is empty
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise ValidationError(too_large_message(upload.size, settings.IMPORT_MAX_UPLOAD_BYTES))
        return upload


def staging_dir():
    default = Path(tempfile.gettempdir()) / "cecopam-imports"
    path = Path(getattr(settings, "IMPORT_STAGING_DIR", default))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def staged_path(token):
    if not TOKEN_PATTERN.match(token or ""):
        return None
    return staging_dir() / token


def _purge_stale():
    """Files of previews never confirmed nor cancelled are removed after a day."""
    limit = time.time() - STAGED_MAX_AGE_SECONDS
    for path in staging_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # removed by another request meanwhile


def discard(request, key):
    staged = request.session.pop(key, None)
    path = staged_path(staged["token"]) if staged else None
    if path is not None:
        path.unlink(missing_ok=True)


def stage(request, key, data, filename, fingerprint):
    """Keep the file for its confirmation; returns the token that names it."""
    discard(request, key)
    _purge_stale()
    token = secrets.token_urlsafe(32)
    descriptor = os.open(staging_dir() / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    request.session[key] = {"token": token, "filename": filename, "fingerprint": fingerprint}
    return token


def staged(request, key):
    """(the staged entry, its bytes) for the token posted with the confirmation; (None, None) when
    no file waits under that token, (entry, None) when its file is gone."""
    entry = request.session.get(key)
    token = request.POST.get("token", "")
    if not entry or not secrets.compare_digest(str(entry.get("token", "")), token):
        return None, None
    try:
        return entry, staged_path(token).read_bytes()
    except (OSError, AttributeError):
        return entry, None
