"""The administrators' training history import page: upload, preview, confirm (as /trainees/import/).

The file waits for its confirmation in common.import_pages' private staging; the confirmation
validates it again and imports it only if the plan is still the one previewed
(courses.imports.import_training_history).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.import_pages import ImportUploadForm, discard, stage, staged
from common.permissions import administrator_required

from .imports import COLUMNS, REQUIRED_COLUMNS, import_training_history

SESSION_KEY = "training_history_import"
PREVIEW_ROWS = 200  # rows listed in the preview; the counts cover every row
OPTIONAL_COLUMNS = ("certificate_issued_on", "certificate_code", "certificate_expires_on", "issuer")


def _preview(request, report, token):
    return render(
        request,
        "courses/import_history_preview.html",
        {
            "report": report,
            "token": token,
            "form": ImportUploadForm(),
            "planned": report.planned[:PREVIEW_ROWS],
            "preview_rows": PREVIEW_ROWS,
        },
    )


@administrator_required
def history_import(request):
    """Upload a file of past training; a valid one is previewed and waits for confirmation."""
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if form.is_bound:
        discard(request, SESSION_KEY)  # a new upload replaces any file still waiting for confirmation
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = import_training_history(data, filename=upload.name, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES)
        if report.file_errors:
            for error in report.file_errors:
                form.add_error("file", error.message)
        else:
            token = stage(request, SESSION_KEY, data, upload.name, report.fingerprint) if report.ok else None
            return _preview(request, report, token)
    return render(
        request,
        "courses/import_history.html",
        {
            "form": form,
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
            "max_bytes": settings.IMPORT_MAX_UPLOAD_BYTES,
        },
    )


@administrator_required
@require_POST
def history_import_confirm(request):
    """Import the previewed file, all or nothing; or cancel it."""
    staged_file, data = staged(request, SESSION_KEY)
    if staged_file is None:
        messages.error(request, _("No import is waiting for confirmation. Upload the file again."))
        return redirect("courses:import-history")
    if "cancel" in request.POST:
        discard(request, SESSION_KEY)
        messages.info(request, _("Import cancelled; nothing was imported."))
        return redirect("courses:import-history")
    if data is None:
        discard(request, SESSION_KEY)
        messages.error(request, _("The uploaded file has expired. Upload it again."))
        return redirect("courses:import-history")
    report = import_training_history(
        data,
        filename=staged_file["filename"],
        commit=True,
        by=request.user,
        expected_fingerprint=staged_file["fingerprint"],
        max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
    )
    if report.committed:
        discard(request, SESSION_KEY)
        messages.success(request, report.summary())
        return redirect("courses:session-list")
    if report.changed_since_preview and report.ok:
        request.session[SESSION_KEY] = {**staged_file, "fingerprint": report.fingerprint}
        messages.warning(request, _("The records changed since the preview. Check this new preview and confirm again."))
        return _preview(request, report, request.POST.get("token", ""))
    discard(request, SESSION_KEY)
    return _preview(request, report, None)
