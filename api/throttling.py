"""Rate limits: per token (the token's id, so that two integrations of one user are counted
apart), per client address for requests without a token. 429 with Retry-After when exceeded."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from common.clients import client_ip

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self):
        # Read at each request (not when the class is defined), so a changed setting applies.
        return settings.API_RATE_LIMIT

    def allow_request(self, request, view):
        self.rate = settings.API_RATE_LIMIT if isinstance(request.auth, ApiToken) else settings.API_ANONYMOUS_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": "anonymous", "ident": client_ip(request)}
