from django.contrib import admin

from common.admin import AdministratorModelAdmin

from .models import Deployment, DeploymentReminder, LanguageRequirement, Nomination, RequirementProfile


class LanguageRequirementInline(admin.TabularInline):
    model = LanguageRequirement
    extra = 1

    def has_delete_permission(self, request, obj=None):
        return True  # a language rule may be dropped from a profile (its history keeps it)


@admin.register(RequirementProfile)
class RequirementProfileAdmin(AdministratorModelAdmin):
    list_display = ("code", "name", "role", "min_age", "min_service_years", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("required_types",)
    inlines = [LanguageRequirementInline]


@admin.register(Deployment)
class DeploymentAdmin(AdministratorModelAdmin):
    list_display = ("code", "mission", "profile", "starts_on", "ends_on", "status")
    list_filter = ("status", "profile")
    search_fields = ("code", "mission")
    list_select_related = ("profile",)


@admin.register(Nomination)
class NominationAdmin(AdministratorModelAdmin):
    list_display = ("deployment", "trainee", "status", "ready_when_nominated", "nominated_at")
    list_filter = ("status",)
    list_select_related = ("deployment", "trainee")
    raw_id_fields = ("trainee", "deployment", "nominated_by")
    search_fields = ("deployment__code", "trainee__service_number", "trainee__paternal_surname")


@admin.register(DeploymentReminder)
class DeploymentReminderAdmin(AdministratorModelAdmin):
    list_display = ("nomination", "certification", "state", "sent_at", "attempts")
    list_filter = ("state",)
    list_select_related = ("nomination__deployment", "nomination__trainee", "certification")
    raw_id_fields = ("nomination", "certification")
