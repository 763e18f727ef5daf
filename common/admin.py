"""The Django admin is for administrators (the role), whatever their is_staff flag.

Records are never deleted: history must stay whole, so the admin offers no delete.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError

from .permissions import is_administrator
from .text import PlainTextFormMixin


def _administrators_only(request):
    return request.user.is_active and is_administrator(request.user)


admin.site.has_permission = _administrators_only
admin.site.site_header = "CECOPAM"
admin.site.site_title = "CECOPAM"


def _valid_keys(field, values):
    """The values that can be keys of `field`'s target (a form re-shown with a posted value
    that is not one: Django's autocomplete widget would look it up and fail)."""
    target = field.target_field
    kept = []
    for value in values:
        try:
            target.get_prep_value(target.to_python(value))
        except (ValidationError, ValueError, TypeError):
            continue
        kept.append(value)
    return kept


class SafeAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _valid_keys(self.field, value), attr)


class SafeAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _valid_keys(self.field, value), attr)


SAFE_AUTOCOMPLETE = {
    AutocompleteSelect: SafeAutocompleteSelect,
    AutocompleteSelectMultiple: SafeAutocompleteSelectMultiple,
}


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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._safe_autocomplete(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._safe_autocomplete(super().formfield_for_manytomany(db_field, request, **kwargs))

    @staticmethod
    def _safe_autocomplete(formfield):
        widget = getattr(formfield, "widget", None)
        if type(widget) in SAFE_AUTOCOMPLETE:
            widget.__class__ = SAFE_AUTOCOMPLETE[type(widget)]
        return formfield

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The admin's form, refusing control characters in text as every form does."""
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (PlainTextFormMixin, form), {})


class AdministratorModelAdmin(AdministratorsOnlyMixin, admin.ModelAdmin):
    # "12 of 1,000,000" would count the whole table again on every filtered page; the
    # filtered count alone is shown.
    show_full_result_count = False
