from django.contrib import admin

from common.admin import AdministratorModelAdmin

from . import services
from .models import Course, CourseSession, Enrollment


@admin.register(Course)
class CourseAdmin(AdministratorModelAdmin):
    list_display = ("code", "title", "category", "duration_hours", "pass_mark", "grants", "is_active")
    list_filter = ("category", "ugps_category", "is_active")
    search_fields = ("code", "title")
    filter_horizontal = ("prerequisites",)


@admin.register(CourseSession)
class CourseSessionAdmin(AdministratorModelAdmin):
    list_display = ("code", "course", "starts_on", "ends_on", "capacity", "status")
    list_filter = ("status", "course")
    search_fields = ("code", "course__title")
    date_hierarchy = "starts_on"
    filter_horizontal = ("instructors",)
    list_select_related = ("course",)
    # Status changes go through the session page (finalize / reopen), which keeps the rules.
    readonly_fields = ("status", "finalized_at", "finalized_by", "reopen_reason")

    def get_readonly_fields(self, request, obj=None):
        """A finalized session is read-only where the session page says so (its certificates
        were issued from those values) until it is reopened: CourseSession.frozen_fields."""
        frozen = obj.frozen_fields if obj is not None else ()
        return (*self.readonly_fields, *(name for name in frozen if name not in self.readonly_fields))

    def save_model(self, request, obj, form, change):
        """A change goes through courses.services.update_session, as on the session page: the
        frozen fields stay, and added seats are filled from the waitlist in order."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "instructors"}
        services.update_session(session=obj, changes=changes)
        obj.refresh_from_db()


@admin.register(Enrollment)
class EnrollmentAdmin(AdministratorModelAdmin):
    list_display = ("session", "trainee", "status", "result", "score", "attendance")
    list_filter = ("status", "result")
    search_fields = ("trainee__service_number", "trainee__paternal_surname", "session__code")
    list_select_related = ("session__course", "trainee")
    raw_id_fields = ("session", "trainee")
    # Enrolment and results go through courses.services (capacity, prerequisites, finalization).
    readonly_fields = (
        "session",
        "trainee",
        "status",
        "result",
        "score",
        "attendance",
        "remarks",
        "recorded_by",
        "recorded_at",
        "enrolled_at",
        "enrolled_by",
        "prerequisites_overridden",
        "override_reason",
    )

    def has_change_permission(self, request, obj=None):
        # What is left (nothing of the result) still waits for a reopen once finalized.
        if obj is not None and obj.session.frozen_fields:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False
