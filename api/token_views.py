"""The page where an administrator creates, lists and revokes API tokens. A new token is
shown once, on the page that answers its creation; only its digest is kept."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common.permissions import administrator_required

from . import services
from .forms import TokenForm
from .models import ApiToken, ApiTokenUse

RECENT_USES = 5


@never_cache
@administrator_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        token, text = services.create_token(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            days=form.cleaned_data["days"],
            by=request.user,
        )
        created = {"token": token, "text": text}
        form = TokenForm()
    tokens = list(ApiToken.objects.select_related("user", "created_by", "revoked_by").order_by("-created_at", "-pk"))
    now = timezone.now()
    for token in tokens:
        token.current_state = token.state(now)
    recent = ApiTokenUse.objects.select_related("token").order_by("-used_at", "-pk")[:20]
    return render(
        request,
        "api/tokens.html",
        {"form": form, "created": created, "tokens": tokens, "recent_uses": recent},
    )


@administrator_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk)
    if token.revoked_at:
        messages.info(request, _("The token “%(name)s” was already revoked.") % {"name": token.name})
    else:
        services.revoke_token(token=token, by=request.user)
        messages.success(request, _("Token “%(name)s” revoked: it is refused from now on.") % {"name": token.name})
    return redirect("api-tokens:list")
