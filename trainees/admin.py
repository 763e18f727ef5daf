from django.contrib import admin

from common.admin import AdministratorModelAdmin

from .models import Organization, Trainee, TraineeLanguage


@admin.register(Organization)
class OrganizationAdmin(AdministratorModelAdmin):
    list_display = ("name", "kind", "country", "training_officer_email")
    list_filter = ("kind", "country")
    search_fields = ("name",)


class TraineeLanguageInline(admin.TabularInline):
    model = TraineeLanguage
    extra = 0

    def has_delete_permission(self, request, obj=None):
        return True  # a language entry is a detail of the record, not the record


@admin.register(Trainee)
class TraineeAdmin(AdministratorModelAdmin):
    list_display = (
        "service_number",
        "paternal_surname",
        "maternal_surname",
        "given_names",
        "nationality",
        "organization",
        "status",
    )
    list_filter = ("status", "category", "gender", "nationality")
    search_fields = ("service_number", "given_names", "paternal_surname", "maternal_surname", "email")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization", "user")
    inlines = [TraineeLanguageInline]

    def get_search_results(self, request, queryset, search_term):
        """As the trainee list searches: accent- and case-insensitive words in the names and
        service number, through the trigram index (Trainee.objects.search)."""
        return queryset.search(search_term), False
