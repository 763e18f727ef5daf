"""Every file the application hands out (rosters, exports, certificates, transcripts, scans,
credentials) gets its headers here, and each download view is throttled per user here.

The file name goes through Django's content_disposition_header, which quotes what can be
quoted and sends anything else (a `"` or an emoji in a session code, a newline) as RFC 6266
`filename*=utf-8''...`: a name built by string formatting broke the header. Downloads hold
personal data, so no shared cache or back/forward cache keeps them.

Rendering a document costs a worker up to a second or more: one user asking for many at
once slowed every other user's pages (issue 12). `throttled_download` lets each user render
at most DOWNLOAD_RATE_LIMIT documents per window and DOWNLOAD_CONCURRENCY at the same time;
beyond that the answer is a 429 page, in the user's language, with Retry-After.
"""

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.http import content_disposition_header

from .errors import too_many_requests
from .ratelimit import count_in_window, parse_rate, uncount


def being_prepared(request, template_name, refresh_seconds):
    """202 with `template_name`: what was asked is being prepared by a worker (a document, a
    report's figures); the page asks again by itself (HTTP Refresh, no script). Never kept by a
    cache: the next answer is the real one."""
    response = render(request, template_name, status=202)
    response["Refresh"] = str(refresh_seconds)
    response["Cache-Control"] = "private, no-store"
    return response


def attach_file(response, filename, *, inline=False):
    """Name the file of `response` (attachment, or shown in the browser when `inline`)."""
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _too_many(request, retry_after):
    return too_many_requests(
        request,
        retry_after=retry_after,
        template="errors/too_many_downloads.html",
        context={"retry_after": retry_after},
    )


def throttled_download(view):
    """Refuse (429) a user's download beyond their rate or concurrency allowance."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:  # the view's own login check answers
            return view(request, *args, **kwargs)
        limit, period = parse_rate(settings.DOWNLOAD_RATE_LIMIT)
        rate_key = f"download-rate:{user.pk}"
        count, retry_after = count_in_window(rate_key, period)
        if count > limit:
            return _too_many(request, retry_after)
        running_key = f"download-running:{user.pk}"
        # The counter expires on its own should a worker die mid-render.
        cache.add(running_key, 0, timeout=settings.DOWNLOAD_RENDER_TIMEOUT)
        try:
            running = cache.incr(running_key)
        except ValueError:
            cache.add(running_key, 1, timeout=settings.DOWNLOAD_RENDER_TIMEOUT)
            running = 1
        try:
            if running > settings.DOWNLOAD_CONCURRENCY:
                return _too_many(request, 1)
            response = view(request, *args, **kwargs)
            if response.status_code == 202:  # "being prepared", asked again by itself: not a download
                uncount(rate_key, period)
            return response
        finally:
            try:
                cache.decr(running_key)
            except ValueError:
                pass

    return wrapped
