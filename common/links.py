"""Links from a page to a page composed by a higher layer, named in configuration.

A trainee's record, /me/ and the history timelines are composed in reports/ (layer 5) because
they show the data of every app; the pages below link to them without naming reports, as
Django's own apps link to the sign-in page through settings.LOGIN_URL: they name the page
(`"trainee-record"`), and settings.PAGE_LINKS says which URL pattern serves it.
"""

from django.conf import settings
from django.urls import reverse


def page_url(page: str, *args) -> str:
    """The path of `page` (a key of settings.PAGE_LINKS) for `args`."""
    return reverse(settings.PAGE_LINKS[page], args=args)
