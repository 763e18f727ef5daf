"""Pages that show the data of several apps: the role landing pages, a trainee's record
(/trainees/<id>/ and /me/) and the history timelines.

Records are fetched through Trainee.objects.visible_to(user), so a trainee cannot reach
another trainee's record by editing the URL (404). The record's rows are read, and rendered,
only when its cached rendering is missing or stale (records.py). A history request from htmx
(HX-Request header) gets the timeline fragment alone, so a record page can load it into a
panel; any other request gets the full page.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from certifications.models import Certification, ExpiryReminder
from common.permissions import administrator_required, is_administrator, is_instructor
from courses.models import CourseSession
from deployments.models import OPEN_DEPLOYMENT_STATUSES, Deployment, Nomination
from deployments.readiness import with_readiness
from trainees.models import Trainee

from .history import deployment_timeline, session_timeline, trainee_timeline
from .records import RECORD_CACHE_SECONDS, lazy_record, own_record_version, with_record_version


@login_required
def home(request):
    """Send each role where its work is: administrators to the overview, instructors to
    their sessions, trainees to their own record."""
    if is_administrator(request.user):
        return redirect("reports:overview")
    if is_instructor(request.user):
        return redirect("courses:session-list")
    return redirect("reports:me")


@administrator_required
def overview(request):
    today = timezone.localdate()
    context = {
        "trainee_count": Trainee.objects.count(),
        "running_sessions": CourseSession.objects.running(today).select_related("course").order_by("ends_on")[:10],
        "upcoming_sessions": CourseSession.objects.upcoming(today).select_related("course").order_by("starts_on")[:10],
        "expiring_count": Certification.objects.expiring_soon(today).count(),
        "expired_recently_count": Certification.objects.lapsed_recently(today).count(),
        "reminder_problems": ExpiryReminder.objects.needs_attention().count(),
        "soon_days": settings.CERT_EXPIRING_SOON_DAYS,
    }
    return render(request, "reports/overview.html", context)


def _record_context(queryset, trainee_id, record_version):
    return {
        "trainee_id": trainee_id,
        "record_version": record_version,
        "record": lazy_record(queryset, trainee_id),
        "record_cache_seconds": RECORD_CACHE_SECONDS,
        "today": timezone.localdate().isoformat(),
    }


@login_required
def trainee_record(request, pk):
    visible = Trainee.objects.visible_to(request.user)
    trainee = get_object_or_404(with_record_version(visible), pk=pk)
    context = _record_context(visible, trainee.pk, trainee.record_version)
    # Staff see draft results; a trainee reaching their own record here sees what /me/ shows.
    own_record = not (is_administrator(request.user) or is_instructor(request.user))
    return render(request, "reports/trainee_record.html", {**context, "trainee": trainee, "own_record": own_record})


@login_required
def me(request):
    own = own_record_version(request.user)
    if own is None:
        return render(request, "reports/me_unlinked.html")
    context = _record_context(Trainee.objects.filter(user=request.user), *own)
    # Not part of the cached record: readiness changes with the calendar and other people's edits.
    nominations = (
        Nomination.objects.visible_to(request.user)
        .active()
        .filter(trainee_id=own[0], deployment__status__in=OPEN_DEPLOYMENT_STATUSES)
        .select_related("deployment__profile")
        .order_by("deployment__starts_on", "pk")
    )
    context["nominations"] = with_readiness(nominations)
    return render(request, "reports/me.html", context)


def _render(request, template, context):
    if request.headers.get("HX-Request"):
        template = "reports/includes/history.html"
    return render(request, template, context)


@administrator_required
def trainee_history(request, pk):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
    return _render(request, "reports/history/trainee.html", {"trainee": trainee, "entries": trainee_timeline(trainee)})


@administrator_required
def session_history(request, pk):
    session = get_object_or_404(CourseSession.objects.visible_to(request.user).select_related("course"), pk=pk)
    return _render(request, "reports/history/session.html", {"session": session, "entries": session_timeline(session)})


@administrator_required
def deployment_history(request, pk):
    deployment = get_object_or_404(Deployment.objects.visible_to(request.user), pk=pk)
    return _render(
        request,
        "reports/history/deployment.html",
        {"deployment": deployment, "entries": deployment_timeline(deployment)},
    )
