"""Printable documents: the CECOPAM certificate and the trainee's transcript, as PDF.

Both are Django templates rendered by WeasyPrint. Rendering never touches the network: the
URL fetcher below only opens data: URIs and files inside the project's static directory,
and fonts (DejaVu) come from the system through fontconfig, not from a URL.
"""

import functools
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

# CSS page sizes by the CERTIFICATE_PAGE_SIZE setting; anything unknown falls back to A4.
PAGE_SIZES = {"a4": "A4", "letter": "letter"}


@functools.cache
def _weasyprint():
    """WeasyPrint, imported on first use: importing it parses its stylesheets (about half a
    second), which every process that loads the URLconf would otherwise pay."""
    import weasyprint
    import weasyprint.urls

    return weasyprint


@functools.cache
def _fetcher_class():
    class LocalOnlyURLFetcher(_weasyprint().urls.URLFetcher):
        """Opens data: URIs and file: URIs under the given directories; refuses everything else.

        A document is rendered inside a web request: a template or a value that smuggled in
        an http:// reference must not make the server fetch it (SSRF, slow renders), and a
        file: reference must not read files outside the project's assets.
        """

        def __init__(self, roots):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
            self.roots = [Path(root).resolve() for root in roots]

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in self.roots):
                    return super().fetch(url, headers)
            raise ValueError(f"Refused to fetch {url!r} while rendering a document.")

    return LocalOnlyURLFetcher


def local_only_fetcher(roots):
    """A WeasyPrint URL fetcher that reads data: URIs and files under `roots`, and nothing else."""
    return _fetcher_class()(roots)


def static_dir():
    return Path(settings.BASE_DIR) / "static"


def render_pdf(template_name, context, *, request=None):
    """Render a Django template to PDF bytes, with assets resolved against static/."""
    return pdf_from_html(render_to_string(template_name, context, request=request))


def pdf_from_html(html):
    """PDF bytes of an HTML document rendered from a template, assets resolved against static/."""
    base = static_dir()
    document = _weasyprint().HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=local_only_fetcher([base]))
    return document.write_pdf()


def page_size():
    return PAGE_SIZES.get(str(settings.CERTIFICATE_PAGE_SIZE).lower(), "A4")


def verification_url(code):
    """The public address printed (and encoded in the QR code) on a certificate."""
    return settings.SITE_URL + reverse("verify", kwargs={"code": code})


@functools.lru_cache(maxsize=4096)
def qr_data_uri(text):
    """A QR code for `text` as an SVG data URI (scale 1: the CSS sizes it). Kept per process:
    encoding one costs ~10 ms, and every certificate download prints its own again to check that
    the stored PDF is still the one its HTML gives (stored_documents.py)."""
    return segno.make(text, error="m").svg_data_uri(scale=1, border=4, dark="#000", light="#fff")


def certificate_context(certification):
    """What the certificate template prints. The certification must come with its trainee,
    type and enrolment (session and course) already loaded."""
    enrollment = certification.enrollment
    session = enrollment.session if enrollment else None
    url = verification_url(certification.code)
    return {
        "certification": certification,
        "holder": certification.trainee,
        "session": session,
        "course": session.course if session else None,
        "verification_url": url,
        "qr_uri": qr_data_uri(url),
        "page_size": page_size(),
        "printed_on": timezone.localdate(),
    }


def certificate_pdf(certification):
    return render_pdf("certifications/certificate.html", certificate_context(certification))


def transcript_context(trainee, *, enrollments, certifications):
    """`enrollments` come from Enrollment.objects.visible_to(user, include_drafts=False): a draft
    pass is read as pending, so it is neither shown nor counted in the courses and hours."""
    today = timezone.localdate()
    rows = [(certification, certification.state(today)) for certification in certifications]
    passed = [enrollment for enrollment in enrollments if enrollment.result == enrollment.Result.PASSED]
    return {
        "trainee": trainee,
        "enrollments": enrollments,
        "passed_count": len(passed),
        "passed_hours": sum(enrollment.session.course.duration_hours for enrollment in passed),
        "certifications": rows,
        "site_url": settings.SITE_URL,
        "page_size": page_size(),
        "printed_on": today,
        "printed_at": timezone.localtime(),
        # The page counters are filled by the CSS (@page counters); the wording is translated.
        "page_number": format_html('<span class="{}"></span>', "page-number"),
        "page_count": format_html('<span class="{}"></span>', "page-count"),
    }


def transcript_pdf(trainee, *, enrollments, certifications):
    return render_pdf(
        "certifications/transcript.html",
        transcript_context(trainee, enrollments=enrollments, certifications=certifications),
    )
