"""Deployment pages (administrators only): the deployments with their nominees' readiness, the
readiness pool (/readiness/) from which people are nominated, and a unit's readiness.

Records are fetched through the models' visible_to(user); readiness always comes from
deployments/readiness.py (assess for a page of people, pool for everyone).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.downloads import throttled_download
from common.permissions import administrator_required
from trainees.models import Trainee, name_order

from . import exports
from .forms import DeploymentForm, NominateForm, PoolForm, UnitForm
from .models import ACTIVE_NOMINATION_STATUSES, Deployment, Nomination
from .readiness import Readiness, assess, pool, with_readiness
from .services import nominate, withdraw_nomination

PAGE_SIZE = 50
ALMOST_READY_SHOWN = 50


@administrator_required
def deployment_list(request):
    deployments = (
        Deployment.objects.visible_to(request.user)
        .select_related("profile")
        .annotate(standing=Count("nominations", filter=Q(nominations__status__in=ACTIVE_NOMINATION_STATUSES)))
        .order_by("-starts_on", "code")
    )
    status = request.GET.get("status")
    if status in Deployment.Status.values:
        deployments = deployments.filter(status=status)
    page = Paginator(deployments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deployments/deployment_list.html",
        {"page_obj": page, "statuses": Deployment.Status.choices, "status": status},
    )


@administrator_required
def deployment_create(request):
    form = DeploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        deployment = form.save()
        messages.success(request, _("Deployment %(code)s created.") % {"code": deployment.code})
        return redirect("deployments:detail", pk=deployment.pk)
    return render(request, "deployments/deployment_form.html", {"form": form})


@administrator_required
def deployment_edit(request, pk):
    deployment = get_object_or_404(Deployment.objects.visible_to(request.user), pk=pk)
    form = DeploymentForm(request.POST or None, instance=deployment)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Deployment %(code)s saved.") % {"code": deployment.code})
        return redirect("deployments:detail", pk=deployment.pk)
    return render(request, "deployments/deployment_form.html", {"form": form, "deployment": deployment})


def _deployment(request, pk):
    return get_object_or_404(
        Deployment.objects.visible_to(request.user).select_related("profile"),
        pk=pk,
    )


def nominees(deployment, *, today=None):
    """(nomination, readiness) for every nomination of the deployment, standing ones first, in a
    fixed number of queries."""
    nominations = list(
        Nomination.objects.filter(deployment=deployment)
        .select_related("trainee__organization", "nominated_by")
        .order_by(*name_order("trainee__"))
    )
    for nomination in nominations:
        nomination.deployment = deployment  # with its profile: no query per row
    standing = [n for n in nominations if n.status in ACTIVE_NOMINATION_STATUSES]
    others = [n for n in nominations if n.status not in ACTIVE_NOMINATION_STATUSES]
    return with_readiness(standing + others, today=today)


@administrator_required
def deployment_detail(request, pk):
    deployment = _deployment(request, pk)
    rows = nominees(deployment)
    standing = [row for row in rows if row[0].status in ACTIVE_NOMINATION_STATUSES]
    pool_query = {
        "profile": deployment.profile.code,
        "starts_on": deployment.starts_on.isoformat(),
        "ends_on": deployment.ends_on.isoformat(),
        "deployment": deployment.pk,
    }
    return render(
        request,
        "deployments/deployment_detail.html",
        {
            "deployment": deployment,
            "rows": rows,
            "standing_count": len(standing),
            "ready_count": sum(1 for _n, r in standing if r.ready),
            "pool_query": pool_query,
            "requirements": list(deployment.profile.required_types.all()),
            "languages": list(deployment.profile.languages.all()),
        },
    )


@administrator_required
@require_POST
def deployment_nominate(request, pk):
    deployment = _deployment(request, pk)
    if not deployment.is_open:
        messages.error(request, _("This deployment is closed: nobody can be nominated any more."))
        return redirect("deployments:detail", pk=deployment.pk)
    visible = Trainee.objects.visible_to(request.user)
    if "service_numbers" in request.POST:
        # Typed service numbers: anyone, ready or not (the pool lists only the ready and almost ready).
        numbers = request.POST["service_numbers"].replace(",", " ").replace(";", " ").split()
        found = list(visible.filter(service_number__in=numbers))
        by_number = {}
        for trainee in found:
            by_number.setdefault(trainee.service_number, []).append(trainee)
        unknown = [n for n in numbers if n not in by_number]
        ambiguous = [n for n, people in by_number.items() if len(people) > 1]
        if not numbers or unknown or ambiguous:
            if unknown:
                messages.error(
                    request, _("No trainee has the service number %(numbers)s.") % {"numbers": ", ".join(unknown)}
                )
            if ambiguous:
                messages.error(
                    request,
                    _("%(numbers)s belongs to people of several nationalities: nominate them from the pool.")
                    % {"numbers": ", ".join(ambiguous)},
                )
            if not numbers:
                messages.error(request, _("Choose at least one person to nominate."))
            return redirect("deployments:detail", pk=deployment.pk)
        chosen, notes = found, request.POST.get("notes", "")
    else:
        form = NominateForm(request.POST, trainees=visible)
        if not form.is_valid():
            messages.error(request, _("Choose at least one person to nominate."))
            return redirect("deployments:detail", pk=deployment.pk)
        chosen, notes = form.cleaned_data["trainees"], form.cleaned_data["notes"]
    made = nominate(deployment=deployment, trainees=chosen, by=request.user, notes=notes)
    not_ready = [n for n in made if not n.ready_when_nominated]
    if made:
        messages.success(
            request,
            ngettext("%(count)d person nominated for %(code)s.", "%(count)d people nominated for %(code)s.", len(made))
            % {"count": len(made), "code": deployment.code},
        )
    else:
        messages.info(request, _("They were already nominated."))
    for nomination in not_ready:
        messages.warning(
            request,
            _("%(person)s is not ready: %(warning)s. Their training officer has been told.")
            % {"person": nomination.trainee.full_name, "warning": nomination.warning},
        )
    return redirect("deployments:detail", pk=deployment.pk)


@administrator_required
@require_POST
def nomination_withdraw(request, pk, nomination_pk):
    deployment = _deployment(request, pk)
    nomination = get_object_or_404(
        Nomination.objects.visible_to(request.user).select_related("trainee"), pk=nomination_pk, deployment=deployment
    )
    if withdraw_nomination(nomination=nomination, reason=request.POST.get("reason", "")):
        messages.success(request, _("%(person)s withdrawn.") % {"person": nomination.trainee.full_name})
    else:
        messages.info(request, _("That nomination was no longer standing."))
    return redirect("deployments:detail", pk=deployment.pk)


@administrator_required
@throttled_download
def nominations_export(request, pk, export):
    deployment = _deployment(request, pk)
    if export not in ("csv", "xlsx", "pdf"):
        raise Http404
    return exports.nominations_response(deployment, nominees(deployment), export, user=request.user)


def _pool_context(request):
    form = PoolForm(request.GET or None)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    trainees = form.trainees(Trainee.objects.visible_to(request.user))
    found = pool(data["profile"], data["starts_on"], data["ends_on"], trainees=trainees)
    return form, found


@administrator_required
def readiness_pool(request):
    """Who is ready for a profile over a window (and apart, the almost ready), filterable by
    organization, category, nationality and gender; with `deployment=<id>`, people are
    nominated from here, several at once."""
    form, found = _pool_context(request)
    context = {"form": form}
    if found is not None:
        data = form.cleaned_data
        order = name_order()
        page = Paginator(found.ready.select_related("organization").order_by(*order), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        almost_total = found.almost.count()
        # The page's ids first (the selection alone), then the readiness of those few.
        shown = list(found.almost.order_by(*order).values_list("pk", flat=True)[:ALMOST_READY_SHOWN])
        almost = assess(
            Trainee.objects.filter(pk__in=shown).select_related("organization").order_by(*order),
            data["profile"],
            data["starts_on"],
            data["ends_on"],
            pool=found,
        )
        deployment = None
        nominated = set()
        if data.get("deployment"):
            deployment = Deployment.objects.visible_to(request.user).filter(pk=data["deployment"]).first()
            if deployment is not None:
                nominated = set(
                    Nomination.objects.filter(deployment=deployment).active().values_list("trainee_id", flat=True)
                )
        context.update(
            {
                "profile": data["profile"],
                "starts_on": data["starts_on"],
                "ends_on": data["ends_on"],
                "requirements": found.requirements,
                "page_obj": page,
                "almost": almost,
                "almost_total": almost_total,
                "deployment": deployment,
                "nominated": nominated,
            }
        )
    return render(request, "deployments/readiness.html", context)


@administrator_required
@throttled_download
def readiness_csv(request):
    form, found = _pool_context(request)
    if found is None:
        raise Http404
    data = form.cleaned_data
    order = name_order()
    ready = [
        Readiness(trainee=t, starts_on=data["starts_on"], ends_on=data["ends_on"])
        for t in found.ready.select_related("organization").order_by(*order).iterator(chunk_size=2000)
    ]
    almost = assess(
        Trainee.objects.filter(pk__in=found.almost.values("pk")).select_related("organization").order_by(*order),
        data["profile"],
        data["starts_on"],
        data["ends_on"],
        pool=found,
    )
    parameters = {key: value for key, value in request.GET.items() if value}
    return exports.readiness_csv_response(ready + almost, user=request.user, parameters=parameters)


@administrator_required
def unit_readiness(request):
    """A unit's readiness for a profile over a window: how many are ready, how many could be
    in time (one requirement, renewed by a session before the start), how many not; with names."""
    form = UnitForm(request.GET or None)
    context = {"form": form, "today": timezone.localdate()}
    if form.is_valid():
        data = form.cleaned_data
        people = (
            Trainee.objects.visible_to(request.user)
            .filter(organization=data["organization"])
            .exclude(status=Trainee.Status.INACTIVE)
            .select_related("organization")
            .order_by(*name_order())
        )
        results = assess(people, data["profile"], data["starts_on"], data["ends_on"])
        context.update(
            {
                "organization": data["organization"],
                "profile": data["profile"],
                "ready": [r for r in results if r.ready],
                "fixable": [r for r in results if r.fixable],
                "not_ready": [r for r in results if not r.ready and not r.fixable],
                "total": len(results),
            }
        )
    return render(request, "deployments/unit_readiness.html", context)
