"""Who is asking: the client's network address, for sign-in lockouts (django-axes) and the
public verification page's rate limit."""

from django.conf import settings


def client_ip(request):
    """The client's address. Behind TRUSTED_PROXY_COUNT reverse proxies, the address the
    outermost trusted proxy saw (the right-hand end of X-Forwarded-For is the only part a
    client cannot forge); otherwise REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
