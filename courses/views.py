"""Course and session pages: the catalogue, sessions, enrolment, the instructor's results grid,
finalize and reopen.

Views are thin: they fetch records through the querysets that limit them to the user
(CourseSession.objects.visible_to / recordable_by, Trainee.objects.visible_to, ...) and call
courses/services.py for every write, showing its ValidationErrors to the user.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.downloads import attach_file, throttled_download
from common.filtering import rows_or_none
from common.parsing import parse_id
from common.permissions import administrator_required, is_administrator, staff_required
from trainees.models import Organization, Trainee, name_key, name_order

from . import exports, services
from .filters import PERIODS, CourseFilter, SessionFilter
from .forms import (
    CourseForm,
    EnrollForm,
    EnrollManyForm,
    OverrideEnrollForm,
    ReopenForm,
    ResultsGrid,
    SessionForm,
)
from .models import Course, CourseSession, Enrollment

PAGE_SIZE = 25
SEARCH_LIMIT = 10
SEARCH_MAX_LENGTH = 100


def _enrollment_count(status):
    counted = (
        Enrollment.objects.filter(session=OuterRef("pk"), status=status)
        .order_by()
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


def _with_counts(sessions):
    """Seats taken and waiting, counted by the database in the same query as the sessions.

    A subquery per row, which PostgreSQL evaluates for the page's rows only (after the sort
    and LIMIT); a join with GROUP BY would first count every enrolment of every session
    (1 s on the national benchmark's 2,000,000 enrolments)."""
    return sessions.annotate(
        enrolled_count=_enrollment_count(Enrollment.Status.ENROLLED),
        waitlisted_count=_enrollment_count(Enrollment.Status.WAITLISTED),
    )


def _errors(error):
    return " ".join(error.messages)


# --- The catalogue -----------------------------------------------------------------------


@staff_required
@require_GET
def course_list(request):
    """The catalogue, filtered by `q`, `category` and `is_active` (instructors read it too)."""
    courses = (
        Course.objects.select_related("grants")
        .prefetch_related("prerequisites")
        .annotate(session_count=Count("sessions"))
        .order_by("code")
    )
    filterset = CourseFilter(request.GET, queryset=courses)
    courses = rows_or_none(filterset)
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "courses/course_list.html", {"filter": filterset, "page_obj": page})


@staff_required
@require_GET
def course_detail(request, pk):
    course = get_object_or_404(Course.objects.select_related("grants").prefetch_related("prerequisites"), pk=pk)
    sessions = _with_counts(
        CourseSession.objects.visible_to(request.user).filter(course=course).prefetch_related("instructors")
    ).order_by("-starts_on", "code")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "courses/course_detail.html", {"course": course, "page_obj": page})


@administrator_required
@require_http_methods(["GET", "POST"])
def course_create(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = form.save()
        messages.success(request, _("Course %(code)s created.") % {"code": course.code})
        return redirect("courses:course-detail", pk=course.pk)
    return render(request, "courses/course_form.html", {"form": form})


@administrator_required
@require_http_methods(["GET", "POST"])
def course_edit(request, pk):
    course = get_object_or_404(Course, pk=pk)
    stored = {"code": course.code}
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        course = form.save()
        messages.success(request, _("Course %(code)s saved.") % {"code": course.code})
        return redirect("courses:course-detail", pk=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": course, "stored": stored})


# --- Sessions ----------------------------------------------------------------------------


@login_required
@require_GET
def session_list(request):
    """Sessions the user may see (administrators: all; instructors: those they teach; trainees:
    their own), in period tabs and filtered by the query string."""
    filterset = SessionFilter(request.GET, queryset=CourseSession.objects.visible_to(request.user))
    sessions = rows_or_none(filterset)
    valid = filterset.is_valid()
    if not sessions.query.order_by:  # the period tabs order their own way; else newest first
        sessions = sessions.order_by("-starts_on", "code")
    sessions = _with_counts(sessions.select_related("course").prefetch_related("instructors"))
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    period = filterset.form.cleaned_data.get("period") if valid else ""
    return render(
        request,
        "courses/session_list.html",
        {"filter": filterset, "page_obj": page, "period": period or "", "periods": PERIODS},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def session_create(request):
    initial = {}
    if (course_id := parse_id(request.GET.get("course"))) is not None:
        initial["course"] = course_id
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        session = form.save()
        messages.success(request, _("Session %(code)s created.") % {"code": session.code})
        return redirect("courses:session-detail", pk=session.pk)
    return render(request, "courses/session_form.html", {"form": form})


@administrator_required
@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    """Edit a session; a capacity change goes through services.change_capacity, so added seats
    are filled from the waitlist in order."""
    session = get_object_or_404(CourseSession.objects.visible_to(request.user), pk=pk)
    # The form writes the posted values onto the instance while validating: keep what is stored.
    stored = {"code": session.code, "capacity": session.capacity}
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        instructors = data.pop("instructors")
        try:
            promoted = services.update_session(
                session=CourseSession.objects.get(pk=session.pk), changes=data, instructors=instructors
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Session %(code)s saved.") % {"code": data["code"]})
            _announce_promoted(request, promoted)
            return redirect("courses:session-detail", pk=session.pk)
    return render(request, "courses/session_form.html", {"form": form, "session": session, "stored": stored})


def _announce_promoted(request, promoted):
    for enrollment in Enrollment.objects.filter(pk__in=[e.pk for e in promoted]).select_related("trainee"):
        messages.info(
            request,
            _("%(name)s moved up from the waitlist and now holds a seat.") % {"name": enrollment.trainee.full_name},
        )


def _visible_session(user, pk):
    return get_object_or_404(
        CourseSession.objects.visible_to(user)
        .select_related("course__grants")
        .prefetch_related("instructors", "course__prerequisites"),
        pk=pk,
    )


def _search_trainees(request, session, q):
    """At most SEARCH_LIMIT trainees matching `q` (accent-insensitive), each marked when already
    on the session; and whether there were more."""
    if not q.strip():
        return [], False
    on_session = Enrollment.objects.filter(session=session, trainee=OuterRef("pk")).exclude(
        status=Enrollment.Status.WITHDRAWN
    )
    matches = list(
        Trainee.objects.visible_to(request.user)
        .search(q)
        .select_related("organization")
        .annotate(on_session=Exists(on_session))
        .order_by(*name_order())[: SEARCH_LIMIT + 1]
    )
    return matches[:SEARCH_LIMIT], len(matches) > SEARCH_LIMIT


def _session_context(request, session, **extra):
    """Everything the session page shows; the same number of queries whatever the class size."""
    user = request.user
    administrator = is_administrator(user)
    can_record = services.can_record_results(user, session)
    rows = list(
        Enrollment.objects.visible_to(user)
        .filter(session=session)
        .select_related("trainee__organization")
        .order_by("enrolled_at", "pk")
    )

    def by_name(enrollment):
        return name_key(enrollment.trainee)

    enrolled = sorted((e for e in rows if e.status == Enrollment.Status.ENROLLED), key=by_name)
    waitlist = [e for e in rows if e.status == Enrollment.Status.WAITLISTED]  # first come, first served
    withdrawn = sorted((e for e in rows if e.status == Enrollment.Status.WITHDRAWN), key=by_name)
    open_for_changes = session.takes_changes
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH] if administrator else ""
    search_results, more_results = (
        _search_trainees(request, session, q) if administrator and open_for_changes else ([], False)
    )
    context = {
        "session": session,
        "is_staff_view": can_record,
        "can_record": can_record,
        "can_manage": administrator,
        "can_enroll": administrator and open_for_changes,
        "can_withdraw": administrator and not session.is_finalized,
        "can_finalize": can_record and open_for_changes,
        "can_reopen": administrator and session.is_finalized,
        "enrolled": enrolled,
        "waitlist": waitlist,
        "withdrawn": withdrawn,
        "own_enrollments": rows if not can_record else [],
        "q": q,
        "search_results": search_results,
        "more_results": more_results,
        "search_limit": SEARCH_LIMIT,
        "reopen_form": ReopenForm() if administrator and session.is_finalized else None,
        "enroll_many_form": _enroll_many_form(request) if administrator and open_for_changes else None,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def session_detail(request, pk):
    session = _visible_session(request.user, pk)
    return render(request, "courses/session_detail.html", _session_context(request, session))


@administrator_required
@require_GET
def session_enroll_search(request, pk):
    """The enrol box's matches (htmx partial); without JavaScript the search form reloads the page."""
    session = _visible_session(request.user, pk)
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    results, more = _search_trainees(request, session, q)
    return render(
        request,
        "courses/includes/enroll_results.html",
        {"session": session, "q": q, "search_results": results, "more_results": more, "search_limit": SEARCH_LIMIT},
    )


@administrator_required
@require_POST
def session_enroll(request, pk):
    """Enrol a trainee through services.enroll; a missing prerequisite is shown with a second
    form that overrides it with a recorded reason."""
    session = _visible_session(request.user, pk)
    trainees = Trainee.objects.visible_to(request.user)
    override = request.POST.get("override") == "1"
    form = (OverrideEnrollForm if override else EnrollForm)(request.POST, trainees=trainees)
    if not form.is_valid():
        if override and "trainee" in form.cleaned_data:
            context = _session_context(
                request, session, override_form=form, override_trainee=form.cleaned_data["trainee"]
            )
            return render(request, "courses/session_detail.html", context)
        messages.error(request, _("Choose a trainee to enrol."))
        return redirect("courses:session-detail", pk=session.pk)
    trainee = form.cleaned_data["trainee"]
    try:
        enrollment = services.enroll(
            session=session,
            trainee=trainee,
            by=request.user,
            override_prerequisites=override,
            override_reason=form.cleaned_data.get("override_reason", ""),
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "prerequisites":
            context = _session_context(
                request,
                session,
                enroll_error=_errors(error),
                override_form=OverrideEnrollForm(initial={"trainee": trainee.pk}, trainees=trainees),
                override_trainee=trainee,
            )
            return render(request, "courses/session_detail.html", context)
        messages.error(request, _errors(error))
        return redirect("courses:session-detail", pk=session.pk)

    if enrollment.status == Enrollment.Status.WAITLISTED:
        position = session.enrollments.filter(
            status=Enrollment.Status.WAITLISTED, enrolled_at__lte=enrollment.enrolled_at
        ).count()
        messages.warning(
            request,
            _("The session is full: %(name)s was put on the waitlist (position %(position)d).")
            % {"name": trainee.full_name, "position": position},
        )
    else:
        messages.success(
            request, _("%(name)s enrolled in %(session)s.") % {"name": trainee.full_name, "session": session.code}
        )
    if enrollment.prerequisites_overridden:
        messages.info(
            request, _("Prerequisites overridden; reason recorded: %(reason)s") % {"reason": enrollment.override_reason}
        )
    return redirect("courses:session-detail", pk=session.pk)


def _enroll_many_form(request, data=None):
    return EnrollManyForm(
        data,
        trainees=Trainee.objects.visible_to(request.user),
        organizations=Organization.objects.order_by("name"),
        sessions=CourseSession.objects.visible_to(request.user),
    )


@administrator_required
@require_POST
def session_enroll_many(request, pk):
    """Enrol a whole class at once (services.enroll_many) and show what happened to each person:
    enrolled, waitlisted, or refused and why. The page is rendered, not redirected to, so that
    the per-person outcome stays on screen beside the updated lists."""
    session = _visible_session(request.user, pk)
    form = _enroll_many_form(request, request.POST)
    outcomes = []
    if form.is_valid():
        people, unmatched = form.people()
        try:
            results = services.enroll_many(
                session=session,
                trainees=people,
                by=request.user,
                override_prerequisites=form.cleaned_data["override_prerequisites"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            outcomes = [
                {"who": line, "outcome": "refused", "label": services.EnrollOutcome.REFUSED.label, "reason": reason}
                for line, reason in unmatched
            ]
            outcomes += [
                {
                    "who": result.trainee.full_name,
                    "service_number": result.trainee.service_number,
                    "outcome": result.outcome,
                    "label": services.EnrollOutcome(result.outcome).label,
                    "reason": result.reason,
                }
                for result in results
            ]
            counts = {kind: sum(o["outcome"] == kind for o in outcomes) for kind in services.EnrollOutcome.values}
            messages.info(
                request,
                _("%(enrolled)d enrolled, %(waitlisted)d waitlisted, %(refused)d refused.") % counts,
            )
            form = _enroll_many_form(request)
    context = _session_context(request, session, enroll_outcomes=outcomes)
    context["enroll_many_form"] = form
    return render(request, "courses/session_detail.html", context)


@administrator_required
@require_POST
def enrollment_withdraw(request, pk, enrollment_pk):
    """Withdraw through services.withdraw and announce who moved up from the waitlist."""
    session = _visible_session(request.user, pk)
    enrollment = get_object_or_404(
        Enrollment.objects.visible_to(request.user).select_related("trainee", "session"),
        pk=enrollment_pk,
        session=session,
    )
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        messages.info(request, _("%(name)s was already withdrawn.") % {"name": enrollment.trainee.full_name})
        return redirect("courses:session-detail", pk=session.pk)
    try:
        promoted = services.withdraw(enrollment=enrollment)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            _("%(name)s withdrawn from %(session)s.") % {"name": enrollment.trainee.full_name, "session": session.code},
        )
        _announce_promoted(request, promoted)
    return redirect("courses:session-detail", pk=session.pk)


@login_required
@require_POST
def session_finalize(request, pk):
    """Finalize (instructors of the session and administrators): locks the grid, issues and
    revokes certificates through services.finalize_session."""
    session = get_object_or_404(CourseSession.objects.recordable_by(request.user).select_related("course"), pk=pk)
    back = "courses:session-results" if request.POST.get("next") == "results" else "courses:session-detail"
    try:
        outcome = services.finalize_session(session=session, by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(back, pk=session.pk)
    _announce_finalized(request, session, outcome)
    return redirect(back, pk=session.pk)


def _announce_finalized(request, session, outcome, saved=0):
    if saved:
        messages.success(request, _("Results saved (%(count)d rows changed).") % {"count": saved})
    if session.course.grants_id is None:
        messages.success(
            request,
            _("Session %(code)s finalized. The course grants no certification.") % {"code": session.code},
        )
    else:
        messages.success(
            request,
            _("Session %(code)s finalized: %(issued)d certificates issued, %(revoked)d revoked.")
            % {"code": session.code, "issued": len(outcome.issued), "revoked": len(outcome.revoked)},
        )


@administrator_required
@require_POST
def session_reopen(request, pk):
    """Reopen a finalized session (administrators only, with a reason kept in its history)."""
    session = _visible_session(request.user, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        context = _session_context(request, session, reopen_form=form)
        return render(request, "courses/session_detail.html", context)
    try:
        services.reopen_session(session=session, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request, _("Session %(code)s reopened: its results can be changed again.") % {"code": session.code}
        )
    return redirect("courses:session-detail", pk=session.pk)


# --- The results grid --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def session_results(request, pk):
    """The whole class's results in one form, saved in one write (services.record_results).

    Only the session's instructors and administrators reach it (404 for anyone else). Once the
    session is finalized the grid is read-only and a POST changes nothing.
    """
    session = get_object_or_404(
        CourseSession.objects.recordable_by(request.user).select_related("course__grants"), pk=pk
    )
    enrollments = (
        session.enrollments.filter(status=Enrollment.Status.ENROLLED)
        .select_related("trainee")
        .order_by(*name_order("trainee__"))
    )
    read_only = session.is_finalized
    save_errors = []
    if request.method == "POST":
        if read_only:
            messages.error(request, _("The session is finalized: its results can no longer be changed."))
            return redirect("courses:session-results", pk=session.pk)
        finalizing = "finalize" in request.POST
        grid = ResultsGrid(request.POST, enrollments=enrollments, course=session.course, finalizing=finalizing)
        if not grid.management_form.is_valid():
            # A mangled or truncated submission: say so and show the class again as stored.
            save_errors = list(grid.non_form_errors())
            grid = ResultsGrid(enrollments=enrollments, course=session.course)
        elif grid.is_valid():
            try:
                if finalizing:
                    changed, outcome = services.record_results_and_finalize(
                        session=session, results=grid.results(), by=request.user
                    )
                else:
                    changed = services.record_results(session=session, results=grid.results(), by=request.user)
            except ValidationError as error:
                save_errors = error.messages
            else:
                if finalizing:
                    _announce_finalized(request, session, outcome, changed)
                elif changed:
                    messages.success(request, _("Results saved (%(count)d rows changed).") % {"count": changed})
                else:
                    messages.info(request, _("Nothing changed: the results were already saved."))
                return redirect("courses:session-results", pk=session.pk)
    else:
        grid = ResultsGrid(enrollments=enrollments, course=session.course, read_only=read_only)
    open_for_changes = session.takes_changes
    return render(
        request,
        "courses/session_results.html",
        {
            "session": session,
            "grid": grid,
            "read_only": read_only,
            "save_errors": save_errors,
            "can_finalize": open_for_changes,
        },
    )


def _roster_session(request, pk):
    """Rosters are for administrators and the session's instructors; anyone else gets 404."""
    return get_object_or_404(CourseSession.objects.recordable_by(request.user).select_related("course"), pk=pk)


@login_required
@require_GET
@throttled_download
def roster_csv(request, pk):
    return exports.roster_csv_response(_roster_session(request, pk), user=request.user)


@login_required
@require_GET
@throttled_download
def roster_xlsx(request, pk):
    return exports.roster_xlsx_response(_roster_session(request, pk), user=request.user)


@login_required
@require_GET
@throttled_download
def roster_pdf(request, pk):
    session = _roster_session(request, pk)
    response = HttpResponse(exports.roster_pdf_bytes(session, user=request.user), content_type="application/pdf")
    return attach_file(response, exports.roster_filename(session, "pdf"))
