"""Data and tools shared by the certificate, transcript, verification and external-record tests."""

import datetime
import subprocess
import tempfile
from pathlib import Path

from django.utils import timezone

from certifications import services
from tests import factories

LOCMEM_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "documents-tests"}}


def use_private_cache(settings):
    """Point the cache at a fresh in-memory one, so that the rate-limit counters of this test
    never meet those of another test run (the real cache is a Redis shared by everyone)."""
    from django.core.cache import cache

    settings.CACHES = {**settings.CACHES, **LOCMEM_CACHE}
    cache.clear()


def name_the_holder(trainee):
    """Give the trainee an accented name that a broken font or encoding would mangle."""
    trainee.given_names = "María José"
    trainee.paternal_surname = "Núñez"
    trainee.maternal_surname = "Ibáñez"
    trainee.rank = "Capitana"
    trainee.phone = "+52 55 1234 9876"
    trainee.save()
    return trainee


def cecopam_certification(trainee, *, starts_on=None, ends_on=None, title="Derecho Internacional Humanitario"):
    """A certification issued by CECOPAM for a passed session of a 60-hour course."""
    ends_on = ends_on or timezone.localdate() - datetime.timedelta(days=30)
    starts_on = starts_on or ends_on - datetime.timedelta(days=11)
    session = factories.CourseSessionFactory(
        course__title=title,
        course__duration_hours=60,
        course__grants__name="Certificación en Derecho Internacional Humanitario",
        starts_on=starts_on,
        ends_on=ends_on,
        status="finalized",  # a result counts once its session is finalized
    )
    enrollment = factories.EnrollmentFactory(
        session=session, trainee=trainee, result="passed", score="91.50", attendance=100
    )
    return services.issue_certification(
        trainee=trainee, type=session.course.grants, issued_on=ends_on, enrollment=enrollment
    )


def pdf_text(content):
    """The text of a PDF, as pdftotext extracts it (reading order, no layout)."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True)
    text = result.stdout.decode("utf-8")
    return " ".join(text.split())


def decode_qr_codes(content):
    """Every QR code on the PDF's first page: pdftoppm at 150 dpi to PNG, then zbarimg."""
    with tempfile.TemporaryDirectory() as directory:
        pdf = Path(directory) / "document.pdf"
        pdf.write_bytes(content)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))], check=True
        )
        (png,) = Path(directory).glob("*.png")
        result = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, check=True)
    return result.stdout.decode("utf-8").split()
