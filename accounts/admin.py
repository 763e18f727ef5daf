from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from common.admin import AdministratorModelAdmin, AdministratorsOnlyMixin

from .models import ExportLog, User


@admin.register(User)
class UserAdmin(AdministratorsOnlyMixin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")


@admin.register(ExportLog)
class ExportLogAdmin(AdministratorModelAdmin):
    """The export log: read-only, for administrators (who exported what, when, with which filters)."""

    list_display = ("created_at", "user", "kind", "row_count")
    list_select_related = ("user",)
    list_filter = ("kind",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "user", "kind", "parameters", "row_count")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
