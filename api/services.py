"""Writes about API tokens: create (the token is returned once), revoke, and record a use."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import TOKEN_PREFIX, ApiToken, ApiTokenUse, token_digest

TOKEN_BYTES = 32  # 256 random bits
MAX_DAYS = 3650


@transaction.atomic
def create_token(*, user, name, scope=ApiToken.Scope.READ, days=None, by=None):
    """Create a token for `user` and return (ApiToken, the token text).

    Guarantees: the token text is 32 random bytes (URL-safe base64) after a recognisable
    prefix; only its SHA-256 digest is stored, so the text is never available again; it
    expires after `days` (default API_TOKEN_DEFAULT_DAYS, at most ten years).
    """
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    text = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    token = ApiToken.objects.create(
        name=name.strip(),
        user=user,
        digest=token_digest(text),
        hint=text[: len(TOKEN_PREFIX) + 4],
        scope=scope,
        created_at=now,
        created_by=by,
        expires_at=now + timedelta(days=days),
    )
    return token, text


@transaction.atomic
def revoke_token(*, token, by):
    """Revoke a token: it is refused from the next request on. Revoking twice changes nothing."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=by)
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return token


def record_use(*, token, method, path, status, client_ip=None):
    """Log one request made with `token` and count it: two single-row writes, whatever the history."""
    now = timezone.now()
    ApiTokenUse.objects.create(
        token=token, used_at=now, method=method[:8], path=path[:300], status=status, client_ip=client_ip or None
    )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, use_count=F("use_count") + 1)
