"""Trainee pages: the administrators' list, a trainee's record, and /me/ for the trainee.

Records are fetched through Trainee.objects.visible_to(user), so a trainee cannot reach
another trainee's record by editing the URL (404). The record's rows are read, and rendered,
only when its cached rendering is missing or stale (records.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from common.pagination import KeysetPaginator
from common.permissions import administrator_required, is_administrator, is_instructor

from .filters import filtered_trainees
from .forms import TraineeForm
from .models import Trainee
from .records import RECORD_CACHE_SECONDS, lazy_record, own_record_version, with_record_version

TRAINEES_PER_PAGE = 50


def _record_context(queryset, trainee_id, record_version):
    return {
        "trainee_id": trainee_id,
        "record_version": record_version,
        "record": lazy_record(queryset, trainee_id),
        "record_cache_seconds": RECORD_CACHE_SECONDS,
        "today": timezone.localdate().isoformat(),
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
    visible = Trainee.objects.visible_to(request.user)
    trainee = get_object_or_404(with_record_version(visible), pk=pk)
    context = _record_context(visible, trainee.pk, trainee.record_version)
    # Staff see draft results; a trainee reaching their own record here sees what /me/ shows.
    own_record = not (is_administrator(request.user) or is_instructor(request.user))
    return render(request, "trainees/trainee_detail.html", {**context, "trainee": trainee, "own_record": own_record})


@login_required
def me(request):
    own = own_record_version(request.user)
    if own is None:
        return render(request, "trainees/me_unlinked.html")
    return render(request, "trainees/me.html", _record_context(Trainee.objects.filter(user=request.user), *own))


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
