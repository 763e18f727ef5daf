from django.contrib import admin

from cecopam.admin import AdministratorModelAdmin

from .models import Certification, CertificationType, ExpiryReminder


@admin.register(CertificationType)
class CertificationTypeAdmin(AdministratorModelAdmin):
    list_display = ("code", "name", "validity_months")
    search_fields = ("code", "name")


@admin.register(Certification)
class CertificationAdmin(AdministratorModelAdmin):
    list_display = ("code", "trainee", "type", "issued_on", "expires_on", "revoked_at", "superseded_by")
    list_filter = ("type", "issued_on")
    search_fields = ("code", "trainee__service_number", "trainee__paternal_surname")
    list_select_related = ("trainee", "type")
    raw_id_fields = ("trainee", "enrollment", "superseded_by")
    # Revocation and supersession go through certifications.services, which keeps the rules.
    readonly_fields = ("code", "revoked_at", "revoked_reason", "revoked_by", "superseded_by")


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(AdministratorModelAdmin):
    list_display = ("certification", "stage", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "stage")
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
