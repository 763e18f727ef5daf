"""Writes to what a person holds: issue, revoke, supersede.

Called by courses.services when a session is finalized, by the admin and by the views that
record external certifications. Nothing here calls back into courses.
"""

import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trainees.models import Trainee

if TYPE_CHECKING:
    from courses.models import Enrollment

from . import credentials, stored_documents
from .models import Certification, CertificationType


@transaction.atomic
def issue_certification(
    *,
    trainee: Trainee,
    type: CertificationType,
    issued_on: datetime.date,
    enrollment: "Enrollment | None" = None,
    expires_on: datetime.date | None = None,
    issuer: str = "",
    scan=None,
    code: str | None = None,
    prepare_pdf: bool = True,
) -> Certification:
    """Issue a certification and keep one current certificate per person and type.

    Guarantees: the new certificate supersedes the holder's current ones of the same type
    issued on or before it (they get no more reminders); if the holder already has a newer
    current one, the new certificate is itself recorded as superseded by it. At most one
    live certificate per enrolment (database constraint). `code` keeps a code already printed
    on a paper certificate (imported history), so that it still verifies; else one is generated.
    A certificate of an enrolment has its PDF rendered by Celery once the transaction commits
    (`prepare_pdf=False`: when it is first downloaded, as for imported history).
    """
    # Two issues to one holder at once (two sessions finalized together, an external record
    # typed meanwhile) would each miss the other's new certificate and both stay current:
    # issuing serializes on the holder's row.
    Trainee.objects.select_for_update().filter(pk=trainee.pk).first()
    certification = Certification(
        trainee=trainee,
        type=type,
        issued_on=issued_on,
        expires_on=expires_on,
        enrollment=enrollment,
        issuer=issuer,
    )
    if scan is not None:
        certification.scan = scan
    if code:
        certification.code = code
    certification.save()
    current_same_type = Certification.objects.current().filter(trainee=trainee, type=type).exclude(pk=certification.pk)
    newer = current_same_type.filter(issued_on__gt=issued_on).order_by("-issued_on", "-id").first()
    if newer is not None:
        certification.superseded_by = newer
        certification.save(update_fields=["superseded_by"])
        credentials.status_changed([certification.pk])
    else:
        superseded = list(current_same_type.filter(issued_on__lte=issued_on).values_list("pk", flat=True))
        if superseded:
            Certification.objects.filter(pk__in=superseded).update(superseded_by=certification)
            # Their verifiable credentials now show as revoked in the status list.
            credentials.status_changed(superseded)
    if prepare_pdf and enrollment is not None:
        transaction.on_commit(partial(stored_documents.prepare_certificates, [certification.pk]))
    return certification


@transaction.atomic
def revoke_certification(*, certification: Certification, reason: str, by: AbstractBaseUser) -> Certification:
    """Revoke a certification with a reason (kept in its history).

    Guarantees: a revoked certificate gets no reminders and verifies as revoked (also its
    verifiable credential, through the status list); the
    newest certificate it had superseded becomes current again (older ones it had superseded
    are re-pointed to that one), so the holder keeps at most one current certificate of the
    type. Revoking a certificate that was itself superseded hands its predecessors to its
    successor.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for revoking this certification.")})
    certification = Certification.objects.select_for_update().get(pk=certification.pk)
    if certification.revoked_at is not None:
        raise ValidationError(_("This certification is already revoked."))
    certification.revoked_at = timezone.now()
    certification.revoked_reason = reason
    certification.revoked_by = by if by is not None and by.is_authenticated else None
    certification.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    certification.stored_pdfs.all().delete()  # a revoked certificate is never printed again
    predecessors = list(
        Certification.objects.filter(superseded_by=certification, revoked_at__isnull=True)
        .order_by("-issued_on", "-id")
        .values_list("pk", flat=True)
    )
    if certification.superseded_by_id is not None:
        heir_pk, others = certification.superseded_by_id, predecessors
    elif predecessors:
        heir_pk, others = predecessors[0], predecessors[1:]
        Certification.objects.filter(pk=heir_pk).update(superseded_by=None)
    else:
        others = []
    if others:
        Certification.objects.filter(pk__in=others).update(superseded_by=heir_pk)
    # The revoked credential's bit is set, the heir's (current again) cleared.
    credentials.status_changed([certification.pk, *predecessors[:1]])
    return certification
