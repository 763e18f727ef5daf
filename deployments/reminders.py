"""Deployment reminders: a nominee whose certificate lapses before their deployment ends is told
once (with their training officer in copy), naming the deployment, the date and the session
that renews it.

Exactly once per nomination and certificate, by the database, as certifications/reminders.py
does for expiry stages: the sweep claims with one INSERT ... SELECT ... ON CONFLICT DO NOTHING
RETURNING on the unique (nomination, certification) row, and delivery claims the send with a
conditional UPDATE (pending or failing -> sending) so that only one process sends. The daily
Celery job (deployments/tasks.py) and `manage.py send_deployment_reminders` call these
functions; certifications knows nothing of deployments.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from certifications.emails import build_message
from certifications.models import Certification
from certifications.reminders import recipients_for
from common.links import page_url

from .models import ACTIVE_NOMINATION_STATUSES, OPEN_DEPLOYMENT_STATUSES, DeploymentReminder
from .readiness import renewals

logger = logging.getLogger(__name__)
State = DeploymentReminder.State

SWEEP_LOCK_KEY = 0x4345434F50414D02  # "CECOPAM\x02": serializes deployment reminder sweeps
SEND_LEASE = timedelta(minutes=15)
FAILING_RETRY_AFTER = timedelta(hours=2)
PENDING_AFTER = timedelta(minutes=60)


class Outcome:
    SENT = "sent"
    SKIPPED = "skipped"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Claim:
    reminder_id: int
    nomination_id: int
    certification_id: int


def _pairs_query(today):
    # Certification joined with its holder's standing nominations whose profile requires its type
    # and whose deployment ends after it lapses.
    lookup = "trainee__nominations"
    return (
        Certification.objects.current()
        .filter(
            Q(**{f"{lookup}__status__in": ACTIVE_NOMINATION_STATUSES})
            & Q(**{f"{lookup}__deployment__status__in": OPEN_DEPLOYMENT_STATUSES})
            & Q(**{f"{lookup}__deployment__profile__required_types": F("type_id")})
            & Q(**{f"{lookup}__deployment__ends_on__gt": F("expires_on")})
            & Q(**{f"{lookup}__deployment__ends_on__gte": today})
        )
        .annotate(nomination_pk=F(f"{lookup}__pk"))
        .filter(
            ~Exists(
                DeploymentReminder.objects.filter(nomination=OuterRef("nomination_pk"), certification=OuterRef("pk"))
            )
        )
        .order_by()
        .values_list("nomination_pk", "pk")
    )


def due(today):
    """(nomination id, certification id) pairs owed a reminder on `today`: a standing
    nomination of a deployment still open and not yet over, and a current certificate of a type
    its profile requires that expires before the deployment's last day."""
    return _pairs_query(today)


@functools.lru_cache(maxsize=8)
def _claim_statement(today):
    due_sql, due_params = due(today).query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(DeploymentReminder._meta.db_table)
    # Identifiers from the model's metadata and the ORM's own SQL only; values are parameters.
    sql = (
        f"INSERT INTO {table} (nomination_id, certification_id, state, recipients, created_at, attempts, last_error) "  # noqa: S608
        f"SELECT due.nomination_id, due.certification_id, %s, '[]'::jsonb, now(), 0, '' "
        f"FROM ({due_sql}) AS due (nomination_id, certification_id) "
        f"ON CONFLICT (nomination_id, certification_id) DO NOTHING "
        f"RETURNING id, nomination_id, certification_id"
    )
    return sql, (State.PENDING, *due_params)


def sweep(*, today=None, dispatch=None) -> list[Claim]:
    """Claim a reminder for every (nomination, certificate) owed one; after commit, hand the
    claimed ids to `dispatch`. Guarantees: each pair is claimed once, ever, even by sweeps
    running at once (unique row, INSERT ... ON CONFLICT DO NOTHING); only the claims made by
    this call are returned. Two queries, whatever the number due."""
    sql, params = _claim_statement(today or timezone.localdate())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            cursor.execute(sql, list(params))
            claims = [Claim(*row) for row in cursor.fetchall()]
        if claims and dispatch is not None:
            ids = [claim.reminder_id for claim in claims]
            transaction.on_commit(lambda: dispatch(ids))
    return claims


def build_reminder_message(reminder, *, today, to, cc, connection=None):
    nomination = reminder.nomination
    deployment = nomination.deployment
    certification = reminder.certification
    trainee = nomination.trainee
    renewal = renewals([certification.type], deployment.starts_on, deployment.ends_on, today=today).get(
        certification.type_id
    )
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return build_message(
        "deployment_reminder",
        {
            "deployment": deployment,
            "certification": certification,
            "trainee": trainee,
            "renewal": renewal,
            "contact_email": settings.CERT_REMINDER_CONTACT_EMAIL,
            "record_url": settings.SITE_URL + page_url("own-record"),
        },
        to=to,
        cc=cc,
        reply_to=[settings.CERT_REMINDER_CONTACT_EMAIL],
        headers={"Message-ID": f"<deployment-reminder-{reminder.pk}@{domain}>"},
        language=trainee.preferred_language or "es",
        connection=connection,
    )


def deliver(reminder_id, *, today=None, now=None, connection=None) -> str:
    """Send one claimed deployment reminder, at most once; return an Outcome.

    The send is claimed with a conditional UPDATE (pending or failing, or sending whose lease
    ran out -> sending); only the caller that changed the row sends. A reminder whose
    nomination no longer stands or whose certificate was renewed or revoked meanwhile is
    cancelled; one without any address is undeliverable; a failed send is recorded as failing
    and re-raised for the caller to retry."""
    now = now or timezone.now()
    today = today or timezone.localdate()
    claimable = Q(state__in=[State.PENDING, State.FAILING]) | Q(
        state=State.SENDING, last_attempt_at__lt=now - SEND_LEASE
    )
    if not DeploymentReminder.objects.filter(claimable, pk=reminder_id).update(
        state=State.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    ):
        return Outcome.SKIPPED
    ours = DeploymentReminder.objects.filter(pk=reminder_id, state=State.SENDING, last_attempt_at=now)
    reminder = DeploymentReminder.objects.select_related(
        "nomination__deployment", "nomination__trainee__organization", "certification__type", "certification__trainee"
    ).get(pk=reminder_id)
    certification = reminder.certification
    nomination = reminder.nomination
    if (
        certification.revoked_at is not None
        or certification.superseded_by_id is not None
        or nomination.status not in ACTIVE_NOMINATION_STATUSES
        or nomination.deployment.status not in OPEN_DEPLOYMENT_STATUSES
    ):
        ours.update(state=State.CANCELLED, last_error="")
        return Outcome.CANCELLED
    certification.trainee = nomination.trainee  # with its organization, for the recipients
    to, cc = recipients_for(certification)
    if not to:
        ours.update(
            state=State.UNDELIVERABLE,
            recipients=[],
            last_error="No email address for the trainee or the training officer.",
        )
        return Outcome.UNDELIVERABLE
    try:
        build_reminder_message(reminder, today=today, to=to, cc=cc, connection=connection).send()
    except Exception as exc:
        ours.update(state=State.FAILING, recipients=to + cc, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.warning("Deployment reminder %s failed: %s", reminder_id, exc)
        raise
    ours.update(state=State.SENT, sent_at=timezone.now(), recipients=to + cc, last_error="")
    return Outcome.SENT


def stalled(now=None):
    """Claimed reminders whose send never finished and that no task is known to be retrying."""
    now = now or timezone.now()
    return DeploymentReminder.objects.filter(
        Q(state=State.PENDING, created_at__lt=now - PENDING_AFTER)
        | Q(state=State.SENDING, last_attempt_at__lt=now - SEND_LEASE)
        | Q(state=State.FAILING, last_attempt_at__lt=now - FAILING_RETRY_AFTER)
    )


def requeue_stalled(*, dispatch, now=None, limit=1000) -> list[int]:
    ids = list(stalled(now).order_by("created_at").values_list("pk", flat=True)[:limit])
    if ids:
        dispatch(ids)
    return ids
