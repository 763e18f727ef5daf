"""Administrators' trainee files: the import page (upload, preview, confirm) and the list export.

Between the preview and the confirmation the uploaded file waits in a private directory
(mode 0700, outside the static and media trees), under a random token kept in the user's
session: nobody can guess its name or reach it by URL, and a confirmation only applies the
file this user previewed. The confirmation validates the file again and imports it only if
the plan is still the one the user saw (trainees.imports.import_trainees).
"""

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from common.downloads import throttled_download
from common.permissions import administrator_required

from . import exports
from .imports import COLUMNS, REQUIRED_COLUMNS, import_trainees, too_large_message

SESSION_KEY = "trainee_import"
STAGED_MAX_AGE_SECONDS = 24 * 60 * 60
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
PREVIEW_ROWS = 200  # rows listed per table in the preview; the counts cover every row


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


# --- the staged file ----------------------------------------------------------------------------


def _staging_dir():
    default = Path(tempfile.gettempdir()) / "cecopam-imports"
    path = Path(getattr(settings, "IMPORT_STAGING_DIR", default))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _staged_path(token):
    if not TOKEN_PATTERN.match(token or ""):
        return None
    return _staging_dir() / token


def _purge_stale():
    """Files of previews never confirmed nor cancelled are removed after a day."""
    limit = time.time() - STAGED_MAX_AGE_SECONDS
    for path in _staging_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # removed by another request meanwhile


def _discard(request):
    staged = request.session.pop(SESSION_KEY, None)
    path = _staged_path(staged["token"]) if staged else None
    if path is not None:
        path.unlink(missing_ok=True)


def _stage(request, data, filename, fingerprint):
    """Keep the file for its confirmation; returns the token that names it."""
    _discard(request)
    _purge_stale()
    token = secrets.token_urlsafe(32)
    descriptor = os.open(_staging_dir() / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    request.session[SESSION_KEY] = {"token": token, "filename": filename, "fingerprint": fingerprint}
    return token


# --- pages ----------------------------------------------------------------------------------------


def _preview(request, report, token, form=None):
    return render(
        request,
        "trainees/import_preview.html",
        {
            "report": report,
            "token": token,
            "form": form or ImportUploadForm(),
            "created": report.created[:PREVIEW_ROWS],
            "updated": report.updated[:PREVIEW_ROWS],
            "preview_rows": PREVIEW_ROWS,
        },
    )


@administrator_required
def trainee_import(request):
    """Upload a file; a valid one is previewed (created, updated, unchanged) and waits for confirmation."""
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if form.is_bound:
        _discard(request)  # a new upload replaces any file still waiting for confirmation
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = import_trainees(data, filename=upload.name, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES)
        if report.file_errors:
            for error in report.file_errors:
                form.add_error("file", error.message)
        else:
            token = _stage(request, data, upload.name, report.fingerprint) if report.ok else None
            return _preview(request, report, token)
    return render(
        request,
        "trainees/import.html",
        {
            "form": form,
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
            "max_bytes": settings.IMPORT_MAX_UPLOAD_BYTES,
        },
    )


@administrator_required
@require_POST
def trainee_import_confirm(request):
    """Import the previewed file, all or nothing; or cancel it."""
    staged = request.session.get(SESSION_KEY)
    token = request.POST.get("token", "")
    if not staged or not secrets.compare_digest(str(staged.get("token", "")), token):
        messages.error(request, _("No import is waiting for confirmation. Upload the file again."))
        return redirect("trainees:import")
    if "cancel" in request.POST:
        _discard(request)
        messages.info(request, _("Import cancelled; nothing was imported."))
        return redirect("trainees:import")
    try:
        data = _staged_path(token).read_bytes()
    except (OSError, AttributeError):
        _discard(request)
        messages.error(request, _("The uploaded file has expired. Upload it again."))
        return redirect("trainees:import")

    report = import_trainees(
        data,
        filename=staged["filename"],
        commit=True,
        expected_fingerprint=staged["fingerprint"],
        max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
    )
    if report.committed:
        _discard(request)
        text = report.summary()
        if report.new_organizations:
            text += " " + _("New organizations: %(names)s.") % {
                "names": ", ".join(o.name for o in report.new_organizations)
            }
        messages.success(request, text)
        return redirect("trainees:list")
    if report.changed_since_preview and report.ok:
        request.session[SESSION_KEY] = {**staged, "fingerprint": report.fingerprint}
        messages.warning(
            request, _("The trainees changed since the preview. Check this new preview and confirm again.")
        )
        return _preview(request, report, token)
    _discard(request)
    return _preview(request, report, None)


@administrator_required
@require_GET
@throttled_download
def trainee_export_csv(request):
    """The trainee list, with the list page's filters (query string), as CSV."""
    return exports.trainees_csv_response(request.GET, user=request.user)


@administrator_required
@require_GET
@throttled_download
def trainee_export_xlsx(request):
    """The trainee list, with the list page's filters (query string), as XLSX."""
    return exports.trainees_xlsx_response(request.GET, user=request.user)
