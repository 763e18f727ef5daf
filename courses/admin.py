from django.contrib import admin

from common.admin import AdministratorModelAdmin

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
        "recorded_by",
        "recorded_at",
        "enrolled_by",
    )

    def has_add_permission(self, request):
        return False
