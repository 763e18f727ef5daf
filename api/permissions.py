"""Who may do what through the API: the roles of common.permissions, and the token's scope."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from common.permissions import is_administrator

from .models import ApiToken


class TokenScope(BasePermission):
    """A read token may only read (GET, HEAD, OPTIONS)."""

    message = _("This token may only read; writing needs a token with the write scope.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return isinstance(token, ApiToken) and token.can_write


class AdministratorWrites(BasePermission):
    """Writes are for administrators (as on the pages); reads follow the querysets' visible_to."""

    message = _("Only an administrator may do this.")

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_administrator(request.user)
