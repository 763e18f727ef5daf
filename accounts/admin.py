from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.admin import AdministratorModelAdmin, AdministratorsOnlyMixin

from . import services
from .models import ExportLog, User

# django-otp's own admin pages would show any administrator another's TOTP secret (its QR
# code) and recovery codes: devices are managed by their owner (Two-step sign-in) and by the
# `totp_device` command only.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(AdministratorsOnlyMixin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    actions = ("reset_two_step",)

    @admin.action(description=_("Reset two-step sign-in (lost phone)"))
    def reset_two_step(self, request, queryset):
        """Delete the authenticator and recovery codes of the chosen users: an administrator
        sets up a new one at the next sign-in, anyone else signs in with the password only."""
        users = list(queryset)
        for user in users:
            services.remove_second_factor(user=user)
        message = ngettext(
            "Two-step sign-in reset for %(count)d user.", "Two-step sign-in reset for %(count)d users.", len(users)
        )
        self.message_user(request, message % {"count": len(users)})


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
