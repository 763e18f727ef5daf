"""Trainee pages for administrators: the list, creating and editing a trainee.

A trainee's record (/trainees/<id>/, /me/) shows every app's data, so it is composed in
reports/ (layer 5); the list links to it through Trainee.get_absolute_url().
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from common.pagination import KeysetPaginator
from common.permissions import administrator_required

from .filters import filtered_trainees
from .forms import TraineeForm
from .models import Trainee

TRAINEES_PER_PAGE = 50


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
        return redirect(trainee)
    return render(request, "trainees/trainee_form.html", {"form": form})


@administrator_required
def trainee_edit(request, pk):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
    # Validation copies the input onto the instance; the heading keeps the name as stored.
    stored_name = trainee.full_name
    form = TraineeForm(request.POST or None, instance=trainee)
    if request.method == "POST" and form.is_valid() and _save(form):
        messages.success(request, _("Changes to %(name)s saved.") % {"name": trainee.full_name})
        return redirect(trainee)
    return render(request, "trainees/trainee_form.html", {"form": form, "trainee": trainee, "stored_name": stored_name})
