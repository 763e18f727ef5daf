from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import AdministratorModelAdmin
from common.parsing import parse_int

from .models import Certification, CertificationType, ExpiryReminder


@admin.register(CertificationType)
class CertificationTypeAdmin(AdministratorModelAdmin):
    list_display = ("code", "name", "validity_months")
    search_fields = ("code", "name")


@admin.register(Certification)
class CertificationAdmin(AdministratorModelAdmin):
    list_display = ("code", "trainee", "type", "issued_on", "expires_on", "revoked_at", "superseded_by_code")
    list_filter = ("type", "issued_on")
    search_fields = ("code", "trainee__service_number", "trainee__paternal_surname")
    list_select_related = ("trainee", "type", "superseded_by")
    # Newest recorded first, read from the primary key's index: the model's order (by issue
    # date) would sort a million rows for each page.
    ordering = ("-pk",)
    raw_id_fields = ("trainee", "enrollment", "superseded_by")
    # Revocation and supersession go through certifications.services, which keeps the rules.
    readonly_fields = ("code", "revoked_at", "revoked_reason", "revoked_by", "superseded_by")
    # What a certificate states (printed, verified publicly, superseding older ones): issued by
    # finalizing a session or recorded on the trainee's page through
    # certifications.services.issue_certification; it never changes in place afterwards.
    STATED = ("trainee", "type", "enrollment", "issued_on", "expires_on", "issuer")

    def has_add_permission(self, request):
        # Adding here would skip issue_certification (code, expiry, supersession).
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.revoked_at is not None:  # a revoked certificate is kept as it was
            return [field.name for field in obj._meta.fields if field.editable or field.name == "code"]
        return (*self.readonly_fields, *self.STATED)

    @admin.display(description=_("superseded by"), ordering="superseded_by")
    def superseded_by_code(self, certification):
        # The successor's code: its full name would read its holder and type, a query a row.
        return certification.superseded_by.code if certification.superseded_by_id else None


class ReminderStageFilter(admin.SimpleListFilter):
    """The configured stages, not a SELECT DISTINCT over every reminder ever claimed."""

    title = _("stage (days before expiry)")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(str(days), str(days)) for days in sorted(set(settings.CERT_REMINDER_DAYS), reverse=True)]

    def queryset(self, request, queryset):
        stage = parse_int(self.value(), maximum=32767)  # a smallint column
        return queryset if stage is None else queryset.filter(stage=stage)


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(AdministratorModelAdmin):
    list_display = ("certification", "stage", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", ReminderStageFilter)
    ordering = ("-pk",)  # newest first from the primary key's index, not a sort of every row
    raw_id_fields = ("certification",)
    readonly_fields = (
        "certification",
        "stage",
        "recipients",
        "created_at",
        "sent_at",
        "attempts",
        "last_attempt_at",
        "last_error",
        "state",
        "language",
    )

    def has_add_permission(self, request):
        return False
