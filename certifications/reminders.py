"""Certification expiry reminders: the daily sweep that claims what is due, the delivery of one
reminder, the recovery of reminders whose send never finished, and the administrators' digest.

Exactly once, by the database:
- the sweep claims a stage by inserting its unique ExpiryReminder row (certification, stage)
  with INSERT ... ON CONFLICT DO NOTHING RETURNING, in one statement for all certifications
  due, so two sweeps at once cannot both claim a stage, and only claimed rows are sent;
- the delivery of a claimed reminder claims the send with a conditional UPDATE (pending or
  failing -> sending) and sends only when it changed the row, so a task delivered twice
  sends one message.

Celery tasks (certifications/tasks.py) and the send_expiry_reminders command call these
functions; neither re-implements them.
"""

import datetime
import functools
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from common.links import page_url
from common.permissions import ADMINISTRATORS
from courses.models import CourseSession
from trainees.models import Trainee

from .emails import build_message
from .models import Certification, CertificationType, ExpiryReminder

logger = logging.getLogger(__name__)

State = ExpiryReminder.State

# Serializes sweeps (two runs for different days would otherwise each pick "the most urgent"
# stage from their own snapshot); the unique (certification, stage) row stays the real guard.
SWEEP_LOCK_KEY = 0x4345434F50414D01  # "CECOPAM\x01"

# A send claimed longer ago than this is presumed dead (worker killed): the task's hard time
# limit is well below it, so a live send never loses its claim.
SEND_LEASE = timedelta(minutes=15)
# A failing reminder untouched for this long has no retry scheduled any more (the back-off
# tops out at one hour), so the recovery enqueues it again.
FAILING_RETRY_AFTER = timedelta(hours=2)

# How many upcoming sessions a reminder suggests for renewal.
RENEWAL_SESSIONS = 5
# The digest lists at most this many rows per section (and says how many more there are).
DIGEST_LIMIT = 200
DIGEST_WINDOW_DAYS = 30


class Outcome:
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, or another process holds the send
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Claim:
    reminder_id: int
    certification_id: int
    stage: int


@functools.lru_cache(maxsize=8)
def _due_sql(today, stages, grace_days):
    """The compiled SQL of Certification.objects.due_for_reminder(today): compiling it costs
    about 1 ms, as much as the daily claim itself on a small database, and only `today` and the
    settings change it."""
    due = Certification.objects.due_for_reminder(today, stages=stages, grace_days=grace_days)
    sql, params = due.order_by().values_list("pk", "reminder_stage").query.sql_with_params()
    return sql, tuple(params)


def _claim_statement(today):
    """INSERT ... SELECT <due certifications> ON CONFLICT DO NOTHING RETURNING, with its params.

    The SELECT is Certification.objects.due_for_reminder(today), compiled by the ORM, so the
    sweep, the dry run and the tests share one definition of "due". Every other column gets
    the model's default, cast to the column's type.
    """
    due_sql, due_params = _due_sql(today, tuple(settings.CERT_REMINDER_DAYS), settings.CERT_REMINDER_GRACE_DAYS)
    meta = ExpiryReminder._meta
    prototype = ExpiryReminder(state=State.PENDING)
    other_fields = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.attname not in ("certification_id", "stage")
    ]
    columns = [meta.get_field("certification").column, meta.get_field("stage").column]
    columns += [field.column for field in other_fields]
    values = [f"CAST(%s AS {field.db_type(connection)})" for field in other_fields]
    params = [field.get_db_prep_save(getattr(prototype, field.attname), connection) for field in other_fields]
    quote = connection.ops.quote_name
    # Only identifiers from the model's metadata and the ORM's own SQL are interpolated; every
    # value travels as a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(column) for column in columns)}) "  # noqa: S608
        f"SELECT due.certification_id, due.stage, {', '.join(values)} "
        f"FROM ({due_sql}) AS due (certification_id, stage) "
        f"ON CONFLICT ({quote(columns[0])}, {quote(columns[1])}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}, {quote(columns[0])}, {quote(columns[1])}"
    )
    return sql, [*params, *due_params]


def sweep(*, today: datetime.date, dispatch: Callable[[int], object] | None = None) -> list[Claim]:
    """Claim every reminder due on `today`; after commit, hand the claimed ids to `dispatch`.

    Guarantees: each current (not revoked, not superseded) certification expiring within the
    longest stage, or expired no longer than the grace period ago, gets a claim for its most
    urgent due stage unless that stage or a more urgent one was claimed before (so skipped
    stages are never sent later, and no stage is claimed twice, even by sweeps running at
    once). A claim is a committed ExpiryReminder row in state pending; only the claims made by
    this call are returned and dispatched. The number of queries does not depend on how many
    are due (an advisory lock and one INSERT ... SELECT).
    """
    sql, params = _claim_statement(today)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            cursor.execute(sql, params)
            claims = [Claim(*row) for row in cursor.fetchall()]
        if claims and dispatch is not None:
            ids = [claim.reminder_id for claim in claims]
            transaction.on_commit(lambda: dispatch(ids))
    return claims


def due_on(today: datetime.date) -> QuerySet[Certification]:
    """What a sweep on `today` would claim (for the dry run), with what the listing shows."""
    return (
        Certification.objects.due_for_reminder(today)
        .select_related("trainee__organization", "type")
        .order_by("expires_on", "pk")
    )


def recipients_for(certification: Certification) -> tuple[list[str], list[str]]:
    """(to, cc): the trainee, with the organization's training officer in copy; the officer
    alone when the trainee has no address; both empty when nobody can be written to."""
    trainee = certification.trainee
    officer = trainee.organization.training_officer_email if trainee.organization_id else ""
    to = [trainee.email] if trainee.email else []
    cc = [officer] if officer and officer.lower() != trainee.email.lower() else []
    if not to:
        to, cc = cc, []
    return to, cc


def renewal_sessions(certification_type: CertificationType, today: datetime.date) -> QuerySet:
    """The next sessions, planned or open for enrolment, of active courses granting this type."""
    return list(
        CourseSession.objects.filter(
            course__grants=certification_type,
            course__is_active=True,
            status__in=[CourseSession.Status.OPEN, CourseSession.Status.PLANNED],
            starts_on__gte=today,
        )
        .select_related("course")
        .order_by("starts_on", "code")[:RENEWAL_SESSIONS]
    )


def reminder_language(trainee: Trainee) -> str:
    """The trainee's preferred language; Spanish when they have not chosen one."""
    return trainee.preferred_language or "es"


def build_reminder_message(
    reminder: ExpiryReminder, *, today: datetime.date, to: list[str], cc: list[str], connection=None
) -> EmailMultiAlternatives:
    """The reminder email in the trainee's language (Spanish unless they chose otherwise)."""
    certification = reminder.certification
    trainee = certification.trainee
    language = reminder_language(trainee)
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    context = {
        "reminder": reminder,
        "certification": certification,
        "trainee": trainee,
        "days_left": certification.days_left(today),
        "sessions": renewal_sessions(certification.type, today),
        "contact_email": settings.CERT_REMINDER_CONTACT_EMAIL,
        "record_url": settings.SITE_URL + page_url("own-record"),
    }
    return build_message(
        "expiry_reminder",
        context,
        to=to,
        cc=cc,
        reply_to=[settings.CERT_REMINDER_CONTACT_EMAIL],
        # The same Message-ID on every attempt lets mail clients fold a duplicate into one.
        headers={"Message-ID": f"<expiry-reminder-{reminder.pk}@{domain}>"},
        language=language,
        connection=connection,
    )


def _error_text(exc):
    return f"{type(exc).__name__}: {exc}"[:2000]


def deliver(
    reminder_id: int, *, today: datetime.date | None = None, now: datetime.datetime | None = None, connection=None
) -> str:
    """Send one claimed reminder, at most once; return an Outcome.

    Guarantees: the send is claimed with a conditional UPDATE (pending or failing, or sending
    whose lease has run out -> sending, attempts + 1) and only the caller that changed the row
    sends, so a task delivered twice or run by two workers at once sends one message. A sent
    reminder records sent_at and its recipients; one with no address at all becomes
    undeliverable; one whose certification was revoked or superseded meanwhile is cancelled.
    If sending raises, the reminder is recorded as failing with the error and the exception is
    re-raised for the caller to retry; when the mail server refuses every address for good
    (5xx), the reminder is recorded as undeliverable instead.
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    claimable = Q(state__in=[State.PENDING, State.FAILING]) | Q(
        state=State.SENDING, last_attempt_at__lt=now - SEND_LEASE
    )
    claimed = ExpiryReminder.objects.filter(claimable, pk=reminder_id).update(
        state=State.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return Outcome.SKIPPED
    # Later writes are conditional on still holding this claim (its timestamp is the token).
    ours = ExpiryReminder.objects.filter(pk=reminder_id, state=State.SENDING, last_attempt_at=now)
    reminder = ExpiryReminder.objects.select_related("certification__type", "certification__trainee__organization").get(
        pk=reminder_id
    )
    certification = reminder.certification
    if certification.revoked_at is not None or certification.superseded_by_id is not None:
        ours.update(state=State.CANCELLED, last_error="")
        return Outcome.CANCELLED
    to, cc = recipients_for(certification)
    if not to:
        ours.update(
            state=State.UNDELIVERABLE,
            recipients=[],
            last_error="No email address for the trainee or the training officer.",
        )
        return Outcome.UNDELIVERABLE
    try:
        message = build_reminder_message(reminder, today=today, to=to, cc=cc, connection=connection)
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if not all(code >= 500 for code, _message in exc.recipients.values()):
            ours.update(state=State.FAILING, recipients=to + cc, last_error=_error_text(exc))
            raise
        # Every address refused for good (5xx): retrying cannot help; an administrator must fix it.
        ours.update(state=State.UNDELIVERABLE, recipients=to + cc, last_error=_error_text(exc))
        return Outcome.UNDELIVERABLE
    except Exception as exc:
        ours.update(state=State.FAILING, recipients=to + cc, last_error=_error_text(exc))
        logger.warning("Expiry reminder %s failed (attempt %s): %s", reminder_id, reminder.attempts, exc)
        raise
    ours.update(
        state=State.SENT,
        sent_at=timezone.now(),
        recipients=to + cc,
        language=reminder_language(certification.trainee),
        last_error="",
    )
    return Outcome.SENT


def stalled(now: datetime.datetime | None = None) -> QuerySet[ExpiryReminder]:
    """Claimed reminders whose send never finished and that no task is known to be retrying."""
    return ExpiryReminder.objects.stalled(
        now or timezone.now(),
        pending_after=timedelta(minutes=settings.CERT_REMINDER_REQUEUE_MINUTES),
        sending_after=SEND_LEASE,
        failing_after=FAILING_RETRY_AFTER,
    )


def requeue_stalled(
    *, dispatch: Callable[[int], object], now: datetime.datetime | None = None, limit: int = 1000
) -> list[int]:
    """Hand claimed-but-unsent reminders to `dispatch` again (a killed worker, a lost message).

    Safe to run at any time: delivery claims each send, so a reminder still being sent, or
    enqueued twice, is sent once.
    """
    ids = list(stalled(now).order_by("created_at").values_list("pk", flat=True)[:limit])
    if ids:
        dispatch(ids)
    return ids


def digest_recipients() -> list[str]:
    """Active administrators (the group, and superusers) who have an email address."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ADMINISTRATORS))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def send_digest(*, today: datetime.date | None = None, connection=None) -> int:
    """Email each administrator, in their language, what expires in the next 30 days and which
    reminders could not be delivered (failing or undeliverable). Returns the messages sent."""
    from django.core.mail import get_connection

    today = today or timezone.localdate()
    end = today + timedelta(days=DIGEST_WINDOW_DAYS)
    expiring_qs = (
        Certification.objects.expiring_between(today, end)
        .with_reminder_state()
        .select_related("trainee__organization", "type")
        .order_by("expires_on", "pk")
    )
    attention_qs = (
        ExpiryReminder.objects.needs_attention()
        .filter(certification__revoked_at__isnull=True, certification__superseded_by__isnull=True)
        .select_related("certification__trainee__organization", "certification__type")
        .order_by("state", "-created_at")
    )
    expiring = list(expiring_qs[:DIGEST_LIMIT])
    attention = list(attention_qs[:DIGEST_LIMIT])
    expiring_total = expiring_qs.count() if len(expiring) == DIGEST_LIMIT else len(expiring)
    attention_total = attention_qs.count() if len(attention) == DIGEST_LIMIT else len(attention)
    context = {
        "today": today,
        "end": end,
        "expiring": expiring,
        "expiring_total": expiring_total,
        "expiring_more": expiring_total - len(expiring),
        "attention": attention,
        "attention_total": attention_total,
        "attention_more": attention_total - len(attention),
        "report_url": settings.SITE_URL + reverse("certifications:expiring") + f"?days={DIGEST_WINDOW_DAYS}",
    }
    messages = [
        build_message("reminder_digest", {**context, "user": user}, to=[user.email], language=user.language or None)
        for user in digest_recipients()
    ]
    if not messages:
        return 0
    return (connection or get_connection()).send_messages(messages) or 0
