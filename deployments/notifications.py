"""The message a training officer gets when someone of their unit is nominated while not ready."""

import logging

from django.conf import settings
from django.urls import reverse

from certifications.emails import build_message

from .models import Nomination
from .readiness import assess

logger = logging.getLogger(__name__)


def notify_training_officers(nomination_ids, *, connection=None) -> int:
    """Tell each nominee's training officer what the nominee does not meet (and when it lapses,
    and which session renews it). Best effort after the nomination committed: the warning is
    recorded on the nomination and shown on the deployment page whether or not this is sent.
    Returns the messages sent."""
    nominations = list(
        Nomination.objects.filter(pk__in=nomination_ids).select_related("deployment__profile", "trainee__organization")
    )
    sent = 0
    for nomination in nominations:
        trainee = nomination.trainee
        officer = trainee.organization.training_officer_email if trainee.organization_id else ""
        if not officer:
            continue
        deployment = nomination.deployment
        result = assess(
            type(trainee).objects.filter(pk=trainee.pk), deployment.profile, deployment.starts_on, deployment.ends_on
        )[0]
        if result.ready:
            continue
        message = build_message(
            "nomination_warning",
            {
                "nomination": nomination,
                "deployment": deployment,
                "trainee": trainee,
                "readiness": result,
                "deployment_url": settings.SITE_URL + reverse("deployments:detail", args=[deployment.pk]),
            },
            to=[officer],
            reply_to=[settings.CERT_REMINDER_CONTACT_EMAIL],
            language=trainee.preferred_language or None,
            connection=connection,
        )
        try:
            message.send()
            sent += 1
        except Exception:
            logger.exception("Nomination warning for nomination %s not sent", nomination.pk)
    return sent
