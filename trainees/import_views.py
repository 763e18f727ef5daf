"""Administrators' trainee files: the import page (upload, preview, confirm) and the list export.

The uploaded file waits for its confirmation where common.import_pages keeps it (a private
directory, under a random token kept in the user's session), so a confirmation only applies the
file this user previewed. The confirmation validates the file again and imports it only if
the plan is still the one the user saw (trainees.imports.import_trainees).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.import_pages import ImportUploadForm, discard, stage, staged
from common.permissions import administrator_required

from . import exports
from .imports import COLUMNS, REQUIRED_COLUMNS, import_trainees

SESSION_KEY = "trainee_import"
PREVIEW_ROWS = 200  # rows listed per table in the preview; the counts cover every row


def _discard(request):
    discard(request, SESSION_KEY)


def _stage(request, data, filename, fingerprint):
    return stage(request, SESSION_KEY, data, filename, fingerprint)


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
    staged_file, data = staged(request, SESSION_KEY)
    token = request.POST.get("token", "")
    if staged_file is None:
        messages.error(request, _("No import is waiting for confirmation. Upload the file again."))
        return redirect("trainees:import")
    if "cancel" in request.POST:
        _discard(request)
        messages.info(request, _("Import cancelled; nothing was imported."))
        return redirect("trainees:import")
    if data is None:
        _discard(request)
        messages.error(request, _("The uploaded file has expired. Upload it again."))
        return redirect("trainees:import")

    report = import_trainees(
        data,
        filename=staged_file["filename"],
        commit=True,
        expected_fingerprint=staged_file["fingerprint"],
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
        request.session[SESSION_KEY] = {**staged_file, "fingerprint": report.fingerprint}
        messages.warning(
            request, _("The trainees changed since the preview. Check this new preview and confirm again.")
        )
        return _preview(request, report, token)
    _discard(request)
    return _preview(request, report, None)


@administrator_required
@require_GET
def trainee_export_csv(request):
    """The trainee list, with the list page's filters (query string), as CSV."""
    return exports.trainees_csv_response(request.GET, user=request.user)


@administrator_required
@require_GET
def trainee_export_xlsx(request):
    """The trainee list, with the list page's filters (query string), as XLSX."""
    return exports.trainees_xlsx_response(request.GET, user=request.user)
