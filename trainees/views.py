"""Trainee pages: the administrators' list, a trainee's record, and /me/ for the trainee.

Records are fetched through Trainee.objects.visible_to(user), so a trainee cannot reach
another trainee's record by editing the URL (404). Enrolments, certifications and reminders
are read through reverse relations: this app imports neither courses nor certifications.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cecopam.pagination import KeysetPaginator
from cecopam.permissions import administrator_required

from .filters import filtered_trainees
from .forms import TraineeForm
from .models import Trainee

TRAINEES_PER_PAGE = 50


def _related_model(name):
    """The model behind one of Trainee's reverse relations, found without importing its app."""
    return Trainee._meta.get_field(name).related_model


def _with_record(queryset):
    """Everything the record page shows, in a fixed number of queries whatever its length."""
    enrollments = _related_model("enrollments").objects.select_related("session__course")
    certifications = _related_model("certifications").objects.select_related("type", "enrollment__session__course")
    return queryset.select_related("organization", "user").prefetch_related(
        "languages",
        Prefetch("enrollments", queryset=enrollments),
        Prefetch("certifications", queryset=certifications),
        "certifications__reminders",
    )


def _record_context(trainee):
    enrollments = sorted(trainee.enrollments.all(), key=lambda e: (e.session.starts_on, e.pk), reverse=True)
    certifications = sorted(trainee.certifications.all(), key=lambda c: (c.issued_on, c.pk), reverse=True)
    reminders_sent = sorted(
        (
            reminder
            for certification in certifications
            for reminder in certification.reminders.all()
            if reminder.state == "sent"
        ),
        key=lambda r: (r.sent_at is not None, r.sent_at),
        reverse=True,
    )
    return {
        "trainee": trainee,
        "enrollments": enrollments,
        "certifications": certifications,
        "reminders_sent": reminders_sent,
    }


@administrator_required
def trainee_list(request):
    filterset = filtered_trainees(request.GET, request.user)
    # Next / Previous seek from the neighbouring page's last / first row: fast at any depth.
    page = KeysetPaginator(filterset.qs, TRAINEES_PER_PAGE).get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )
    return render(
        request,
        "trainees/trainee_list.html",
        {"filter": filterset, "page_obj": page, "trainees": page.object_list},
    )


@login_required
def trainee_detail(request, pk):
    trainee = get_object_or_404(_with_record(Trainee.objects.visible_to(request.user)), pk=pk)
    return render(request, "trainees/trainee_detail.html", _record_context(trainee))


@login_required
def me(request):
    trainee = _with_record(Trainee.objects.filter(user=request.user)).first()
    if trainee is None:
        return render(request, "trainees/me_unlinked.html")
    return render(request, "trainees/me.html", _record_context(trainee))


def _save(form):
    """Save the form; a service number taken by a concurrent save becomes a field error.

    The form's own check catches the usual duplicate; this covers two administrators saving
    the same number at the same moment, when only the database constraint sees the clash.
    """
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error("service_number", form.duplicate_service_number_message())
        return None


@administrator_required
def trainee_create(request):
    form = TraineeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (trainee := _save(form)):
        messages.success(request, _("Trainee %(name)s created.") % {"name": trainee.full_name})
        return redirect("trainees:detail", pk=trainee.pk)
    return render(request, "trainees/trainee_form.html", {"form": form})


@administrator_required
def trainee_edit(request, pk):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
    # Validation copies the input onto the instance; the heading keeps the name as stored.
    stored_name = trainee.full_name
    form = TraineeForm(request.POST or None, instance=trainee)
    if request.method == "POST" and form.is_valid() and _save(form):
        messages.success(request, _("Changes to %(name)s saved.") % {"name": trainee.full_name})
        return redirect("trainees:detail", pk=trainee.pk)
    return render(request, "trainees/trainee_form.html", {"form": form, "trainee": trainee, "stored_name": stored_name})
