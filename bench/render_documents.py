"""What a certificate PDF and a 40-course transcript PDF cost to render (they render per request).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cecopam .venv/bin/python -m bench.render_documents [--runs 20]

Builds its data inside a transaction that is rolled back, so any database will do. Prints,
for each document, the first (cold) render in this process, then the median and the slowest
of the warm renders, both for the rendering alone and for the whole HTTP request through the
view (queries and permission checks included). Results are written in bench/render_documents.md.
"""

import argparse
import datetime
import os
import statistics
import time


def measure(function, runs):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--courses", type=int, default=40)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from accounts.testing import verify_second_factor
    from certifications import documents, services
    from certifications.models import Certification
    from tests import factories

    settings.ALLOWED_HOSTS = ["*"]
    with transaction.atomic():
        trainee = factories.TraineeFactory(
            given_names="María José", paternal_surname="Núñez", maternal_surname="Ibáñez"
        )
        enrollment = None
        for index in range(args.courses):
            session = factories.CourseSessionFactory(
                course__title=f"Curso de Protección de Civiles en Operaciones de Paz {index + 1}",
                starts_on=datetime.date(2018, 1, 8) + datetime.timedelta(days=45 * index),
                ends_on=datetime.date(2018, 1, 19) + datetime.timedelta(days=45 * index),
            )
            enrollment = factories.EnrollmentFactory(
                session=session, trainee=trainee, result="passed", score="88.50", attendance=100
            )
            services.issue_certification(
                trainee=trainee, type=session.course.grants, issued_on=session.ends_on, enrollment=enrollment
            )
        certification = Certification.objects.select_related("trainee", "type", "enrollment__session__course").get(
            enrollment=enrollment
        )
        enrollments = list(trainee.enrollments.select_related("session__course"))
        certifications = list(trainee.certifications.select_related("type"))
        admin = User.objects.create_superuser("bench-admin", "bench@example.mx", None)
        client = Client()
        client.force_login(admin)
        verify_second_factor(client, admin)  # administrators sign in with a code too

        started = time.perf_counter()
        documents.certificate_pdf(certification)
        cold = (time.perf_counter() - started) * 1000
        rows = [
            ("certificate, first render in the process", (cold, cold)),
            ("certificate, render", measure(lambda: documents.certificate_pdf(certification), args.runs)),
            (
                "certificate, whole request",
                measure(lambda: client.get(reverse("certifications:certificate", args=[certification.pk])), args.runs),
            ),
            (
                f"transcript ({args.courses} courses, {len(certifications)} certifications), render",
                measure(
                    lambda: documents.transcript_pdf(trainee, enrollments=enrollments, certifications=certifications),
                    max(args.runs // 2, 1),
                ),
            ),
            (
                "transcript, whole request",
                measure(
                    lambda: client.get(reverse("certifications:transcript", args=[trainee.pk])), max(args.runs // 2, 1)
                ),
            ),
        ]
        transaction.set_rollback(True)

    print(f"{'document':<62} {'median ms':>10} {'max ms':>8}")
    for label, (median, slowest) in rows:
        print(f"{label:<62} {median:>10.0f} {slowest:>8.0f}")


if __name__ == "__main__":
    main()
