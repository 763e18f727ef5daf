"""The Django admin is for administrators (the role), whatever their is_staff flag.

Records are never deleted: history must stay whole, so the admin offers no delete.
"""

from django.contrib import admin

from .permissions import is_administrator
from .text import PlainTextFormMixin


def _administrators_only(request):
    return request.user.is_active and is_administrator(request.user)


admin.site.has_permission = _administrators_only
admin.site.site_header = "CECOPAM"
admin.site.site_title = "CECOPAM"


class AdministratorsOnlyMixin:
    def has_module_permission(self, request):
        return _administrators_only(request)

    def has_view_permission(self, request, obj=None):
        return _administrators_only(request)

    def has_add_permission(self, request):
        return _administrators_only(request)

    def has_change_permission(self, request, obj=None):
        return _administrators_only(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The admin's form, refusing control characters in text as every form does."""
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (PlainTextFormMixin, form), {})


class AdministratorModelAdmin(AdministratorsOnlyMixin, admin.ModelAdmin):
    # "12 of 1,000,000" would count the whole table again on every filtered page; the
    # filtered count alone is shown.
    show_full_result_count = False
