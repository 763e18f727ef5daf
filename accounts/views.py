"""Landing pages per role, the administrators' overview, language switching and health."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from certifications.models import Certification, ExpiryReminder
from common.permissions import administrator_required, is_administrator, is_instructor
from courses.models import CourseSession
from trainees.models import Trainee


@login_required
def home(request):
    """Send each role where its work is: administrators to the overview, instructors to
    their sessions, trainees to their own record."""
    if is_administrator(request.user):
        return redirect("overview")
    if is_instructor(request.user):
        return redirect("courses:session-list")
    return redirect("trainees:me")


@administrator_required
def overview(request):
    today = timezone.localdate()
    soon = today + timedelta(days=settings.CERT_EXPIRING_SOON_DAYS)
    context = {
        "trainee_count": Trainee.objects.count(),
        "running_sessions": CourseSession.objects.running(today).select_related("course").order_by("ends_on")[:10],
        "upcoming_sessions": CourseSession.objects.upcoming(today).select_related("course").order_by("starts_on")[:10],
        "expiring_count": Certification.objects.expiring_between(today, soon).count(),
        "expired_recently_count": Certification.objects.expiring_between(
            today - timedelta(days=90), today - timedelta(days=1)
        ).count(),
        "reminder_problems": ExpiryReminder.objects.filter(
            state__in=[ExpiryReminder.State.FAILING, ExpiryReminder.State.UNDELIVERABLE]
        ).count(),
    }
    return render(request, "accounts/overview.html", context)


@require_POST
def set_language(request):
    """Switch the interface language and remember it on the signed-in user's account."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return django_set_language(request)


@never_cache
def healthz(request):
    """200 when the database answers; says nothing about versions or settings."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return HttpResponse("unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
