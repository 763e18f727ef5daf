from django.contrib import admin
from django.db import transaction

from common.admin import AdministratorModelAdmin

from . import services
from .models import Course, CourseSession, Enrollment


@admin.register(Course)
class CourseAdmin(AdministratorModelAdmin):
    list_display = ("code", "title", "category", "duration_hours", "pass_mark", "grants", "is_active")
    list_filter = ("category", "is_active")
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
        were issued from those values) until it is reopened: the same rule,
        CourseSession.locked_fields()."""
        locked = obj.locked_fields() if obj is not None else ()
        return (*self.readonly_fields, *(name for name in locked if name not in self.readonly_fields))

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Saving the capacity goes through courses.services.change_capacity (the waitlist moves
        # up), as on the session page.
        self._old_capacity = obj.capacity if obj is not None else None
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and "capacity" in form.changed_data:
            capacity = obj.capacity
            obj.capacity = form.initial["capacity"]
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                services.change_capacity(session=obj, capacity=capacity, by=request.user)
                obj.refresh_from_db()
        else:
            super().save_model(request, obj, form, change)


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
        if obj is not None and obj.session.locked_fields():
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False
