"""Builds an email from its template trio: emails/<name>_subject.txt, _body.txt and _body.html."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def build_message(name, context, *, to, cc=(), reply_to=(), headers=None, language=None, connection=None):
    """An EmailMultiAlternatives (plain text with an HTML alternative) rendered in `language`.

    The subject is rendered from `emails/<name>_subject.txt` and folded onto one line; the
    bodies from `emails/<name>_body.txt` and `emails/<name>_body.html`. Every string in the
    templates goes through the translation catalogue of `language` (default: the site's).
    """
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, "language": language, **context}
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}_body.txt", context)
        html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
        reply_to=list(reply_to),
        headers={"Content-Language": language, **(headers or {})},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message
