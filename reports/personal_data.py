"""A trainee's whole record, for the Mexican ARCO right of access (/me/personal-data.json|pdf,
/trainees/<id>/personal-data.json|pdf): personal data, languages, enrolments, certifications,
reminders sent to them and, where deployments/ is installed, nominations.

Results of a session not yet finalized are drafts: the export carries the enrolment but no
result, score, attendance or remarks (the same rule as every report: courses' final()).
"""

from django.apps import apps
from django.utils import timezone

from certifications.documents import render_pdf
from certifications.models import Certification, ExpiryReminder
from courses.models import Enrollment


def _iso(value):
    return value.isoformat() if value is not None else None


def collect(trainee):
    """The record as JSON-ready data, in a fixed number of queries."""
    final_ids = set(Enrollment.objects.filter(trainee=trainee).final().values_list("pk", flat=True))
    enrollments = (
        Enrollment.objects.filter(trainee=trainee)
        .select_related("session__course")
        .order_by("session__starts_on", "pk")
    )
    certifications = (
        Certification.objects.filter(trainee=trainee)
        .select_related("type", "enrollment__session")
        .order_by("issued_on", "pk")
    )
    reminders = (
        ExpiryReminder.objects.filter(certification__trainee=trainee, state=ExpiryReminder.State.SENT)
        .select_related("certification__type")
        .order_by("sent_at", "pk")
    )
    today = timezone.localdate()
    data = {
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "trainee": {
            "service_number": trainee.service_number,
            "nationality": trainee.nationality.code,
            "given_names": trainee.given_names,
            "paternal_surname": trainee.paternal_surname,
            "maternal_surname": trainee.maternal_surname,
            "rank": trainee.rank,
            "category": trainee.category,
            "branch": trainee.branch,
            "organization": trainee.organization.name if trainee.organization_id else None,
            "gender": trainee.gender,
            "email": trainee.email,
            "phone": trainee.phone,
            "status": trainee.status,
            "preferred_language": trainee.preferred_language,
            "languages": [
                {"language": language.language, "proficiency": language.proficiency}
                for language in trainee.languages.order_by("language")
            ],
            "created_at": trainee.created_at.isoformat(timespec="seconds"),
            "updated_at": trainee.updated_at.isoformat(timespec="seconds"),
        },
        "enrollments": [],
        "certifications": [],
        "reminders_sent": [
            {
                "certification": reminder.certification.code,
                "type": reminder.certification.type.name,
                "stage_days": reminder.stage,
                "sent_at": reminder.sent_at.isoformat(timespec="seconds") if reminder.sent_at else None,
                "recipients": reminder.recipients,
            }
            for reminder in reminders
        ],
    }
    for enrollment in enrollments:
        final = enrollment.pk in final_ids
        session = enrollment.session
        data["enrollments"].append(
            {
                "course": session.course.code,
                "course_title": session.course.title,
                "session": session.code,
                "starts_on": _iso(session.starts_on),
                "ends_on": _iso(session.ends_on),
                "status": enrollment.status,
                "results_final": final,
                "result": enrollment.result if final else None,
                "score": float(enrollment.score) if final and enrollment.score is not None else None,
                "attendance": enrollment.attendance if final else None,
                "remarks": enrollment.remarks if final else None,
            }
        )
    for certification in certifications:
        data["certifications"].append(
            {
                "code": certification.code,
                "type": certification.type.code,
                "type_name": certification.type.name,
                "issued_on": _iso(certification.issued_on),
                "expires_on": _iso(certification.expires_on),
                "state": certification.state(today),
                "session": certification.enrollment.session.code if certification.enrollment_id else None,
                "issuer": certification.issuer,
                "revoked_at": certification.revoked_at.isoformat(timespec="seconds")
                if certification.revoked_at
                else None,
                "revoked_reason": certification.revoked_reason,
            }
        )
    if apps.is_installed("deployments"):
        Nomination = apps.get_model("deployments", "Nomination")
        data["nominations"] = [
            {
                "deployment": nomination.deployment.code,
                "mission": nomination.deployment.mission,
                "starts_on": _iso(nomination.deployment.starts_on),
                "ends_on": _iso(nomination.deployment.ends_on),
                "status": nomination.status,
                "nominated_at": nomination.nominated_at.isoformat(timespec="seconds"),
            }
            for nomination in Nomination.objects.filter(trainee=trainee)
            .select_related("deployment")
            .order_by("nominated_at", "pk")
        ]
    return data


def pdf(data):
    """The same data, printed."""
    from django.utils.html import format_html

    return render_pdf(
        "reports/pdf/personal_data.html",
        {
            "data": data,
            "printed_at": timezone.localtime(),
            "page_number": format_html('<span class="{}"></span>', "page-number"),
            "page_count": format_html('<span class="{}"></span>', "page-count"),
        },
    )
