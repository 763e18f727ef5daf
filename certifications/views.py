"""Certification pages: the administrators' report of certifications expiring soon, with the
reminder state of each and its CSV/XLSX export."""

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ExportLog
from common.permissions import administrator_required
from common.spreadsheets import csv_response, xlsx_response
from trainees.models import name_order

from .filters import ExpiringFilter
from .models import Certification, ExpiryReminder

PAGE_SIZE = 50
ATTENTION_PANEL_SIZE = 20
EXPORT_CHUNK = 2000

State = ExpiryReminder.State
REMINDER_LABELS = {
    None: gettext_lazy("None yet"),
    State.PENDING: gettext_lazy("Queued"),
    State.SENDING: gettext_lazy("Queued"),
    State.SENT: State.SENT.label,
    State.FAILING: State.FAILING.label,
    State.UNDELIVERABLE: State.UNDELIVERABLE.label,
    State.CANCELLED: State.CANCELLED.label,
}
REMINDER_BADGES = {
    State.SENT: "text-bg-success",
    State.FAILING: "text-bg-danger",
    State.UNDELIVERABLE: "text-bg-warning",
}


def reminder_label(state):
    return REMINDER_LABELS.get(state, state)


def _expiring_queryset(user):
    return (
        Certification.objects.visible_to(user)
        .current()
        .with_reminder_state()
        .select_related("trainee__organization", "type")
        .order_by("expires_on", *name_order("trainee__"))
    )


@administrator_required
def expiring(request):
    """Certifications expiring within `?days=` (default 90), filtered by the query string;
    `?format=csv` or `?format=xlsx` exports the same rows."""
    today = timezone.localdate()
    filterset = ExpiringFilter(request.GET, queryset=_expiring_queryset(request.user), today=today)
    valid = filterset.is_valid()
    certifications = filterset.qs if valid else Certification.objects.none()
    export = request.GET.get("format")
    if valid and export in ("csv", "xlsx"):
        ExportLog.objects.record(
            user=request.user,
            kind=f"expiring-{export}",
            parameters={key: value for key, value in request.GET.items() if key != "format"},
            row_count=certifications.count(),
        )
        return _export(certifications, export, today)

    page = Paginator(certifications, PAGE_SIZE).get_page(request.GET.get("page"))
    for certification in page:
        certification.days_left_on_page = certification.days_left(today)
        certification.reminder_label = reminder_label(certification.last_reminder_state)
        certification.reminder_badge = REMINDER_BADGES.get(certification.last_reminder_state, "text-bg-light")

    attention_qs = (
        ExpiryReminder.objects.visible_to(request.user)
        .needs_attention()
        .filter(certification__revoked_at__isnull=True, certification__superseded_by__isnull=True)
        .select_related("certification__trainee__organization", "certification__type")
        .order_by("state", "certification__expires_on", "pk")
    )
    attention_counts = dict(attention_qs.order_by().values_list("state").annotate(total=Count("pk")))
    return render(
        request,
        "certifications/expiring.html",
        {
            "filter": filterset,
            "page_obj": page,
            "today": today,
            "window_days": filterset.window_days,
            "standing": filterset.chosen_standing,
            "attention": attention_qs[:ATTENTION_PANEL_SIZE] if attention_counts else [],
            "attention_total": sum(attention_counts.values()),
            "failing_count": attention_counts.get(State.FAILING, 0),
            "undeliverable_count": attention_counts.get(State.UNDELIVERABLE, 0),
        },
    )


def _export(certifications, export, today):
    header = [
        _("Service number"),
        _("Rank"),
        _("Given names"),
        _("Surnames"),
        _("Nationality"),
        _("Organization"),
        _("Email"),
        _("Certification type"),
        _("Certificate code"),
        _("Issued on"),
        _("Expires on"),
        _("Days left"),
        _("Reminder stage (days)"),
        _("Reminder"),
        _("Reminder sent at"),
    ]

    # Translated now: the rows are produced while the response streams, after the view returned.
    labels = {state: str(label) for state, label in REMINDER_LABELS.items()}

    def rows():
        for certification in certifications.iterator(chunk_size=EXPORT_CHUNK):
            trainee = certification.trainee
            yield [
                trainee.service_number,
                trainee.rank,
                trainee.given_names,
                trainee.surnames,
                trainee.nationality.code,
                trainee.organization.name if trainee.organization_id else "",
                trainee.email,
                certification.type.name,
                certification.code,
                certification.issued_on,
                certification.expires_on,
                certification.days_left(today),
                certification.last_reminder_stage,
                labels.get(certification.last_reminder_state, certification.last_reminder_state),
                certification.last_reminder_sent_at,
            ]

    filename = f"expiring-certifications-{today.isoformat()}.{export}"
    if export == "csv":
        return csv_response(header, rows(), filename)
    return xlsx_response(header, rows(), filename, title=_("Expiring certifications"))
