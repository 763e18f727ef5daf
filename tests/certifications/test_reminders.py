"""The expiry reminder sweep and delivery: stage choice, exactly once, recipients, the message."""

import datetime
import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from certifications import reminders, tasks
from certifications.models import Certification, ExpiryReminder
from certifications.services import issue_certification, revoke_certification
from courses.models import CourseSession
from tests import factories

TODAY = datetime.date(2027, 3, 1)
State = ExpiryReminder.State


def certification_expiring_in(days_left, **trainee_fields):
    trainee = factories.TraineeFactory(**trainee_fields)
    return factories.CertificationFactory(
        trainee=trainee, issued_on=datetime.date(2025, 1, 10), expires_on=TODAY + timedelta(days=days_left)
    )


def claimed_stages(certification):
    return sorted(certification.reminders.values_list("stage", flat=True))


def sweep_and_deliver(today=TODAY):
    claims = reminders.sweep(today=today)
    return [reminders.deliver(claim.reminder_id, today=today) for claim in claims]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_left", "stage"),
    [
        (91, None),
        (90, 90),
        (31, 90),
        (30, 30),
        (8, 30),
        (7, 7),
        (1, 7),
        (0, 0),
        (-1, 0),
        (-30, 0),  # the last day of the grace period
        (-31, None),  # expired longer than the grace period ago when first seen
    ],
)
def test_stage_chosen_at_each_boundary(days_left, stage, mailoutbox):
    certification = certification_expiring_in(days_left)

    sweep_and_deliver()

    assert claimed_stages(certification) == ([] if stage is None else [stage])
    assert len(mailoutbox) == (0 if stage is None else 1)


@pytest.mark.django_db
def test_several_stages_due_sends_only_the_most_urgent_and_never_the_skipped_ones(mailoutbox):
    certification = certification_expiring_in(5)  # 90, 30 and 7 are all due: only 7 is sent

    sweep_and_deliver()
    assert claimed_stages(certification) == [7]
    assert len(mailoutbox) == 1

    # Days later the skipped 90- and 30-day stages are still not sent; stage 0 comes on time.
    for day in range(1, 5):
        sweep_and_deliver(TODAY + timedelta(days=day))
    assert claimed_stages(certification) == [7]
    sweep_and_deliver(TODAY + timedelta(days=5))
    assert claimed_stages(certification) == [0, 7]
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_each_stage_follows_in_turn_when_the_job_runs_every_day(mailoutbox):
    certification = certification_expiring_in(100)

    for day in range(0, 140):
        sweep_and_deliver(TODAY + timedelta(days=day))

    assert claimed_stages(certification) == [0, 7, 30, 90]
    assert len(mailoutbox) == 4


@pytest.mark.django_db
def test_a_day_the_job_did_not_run_is_caught_up_by_the_range(mailoutbox):
    certification = certification_expiring_in(32)
    sweep_and_deliver(TODAY)  # stage 90
    # The job does not run on the day the 30-day stage falls due (days left 30); the next day it catches up.
    sweep_and_deliver(TODAY + timedelta(days=3))
    assert claimed_stages(certification) == [30, 90]


@pytest.mark.django_db
def test_a_more_urgent_stage_already_sent_blocks_a_less_urgent_one(mailoutbox):
    certification = certification_expiring_in(20)
    factories.ExpiryReminderFactory(certification=certification, stage=7, state=State.SENT)

    sweep_and_deliver()

    assert claimed_stages(certification) == [7]
    assert mailoutbox == []


@pytest.mark.django_db
def test_revoked_and_superseded_certifications_get_no_reminder(admin_user, mailoutbox):
    revoked = certification_expiring_in(7)
    revoke_certification(certification=revoked, reason="Issued in error", by=admin_user)
    old = certification_expiring_in(7)
    renewal = issue_certification(trainee=old.trainee, type=old.type, issued_on=TODAY)
    old.refresh_from_db()
    assert old.superseded_by == renewal
    never_expires = factories.CertificationFactory(type=factories.CertificationTypeFactory(validity_months=None))

    sweep_and_deliver()

    assert ExpiryReminder.objects.count() == 0
    assert never_expires.expires_on is None
    assert mailoutbox == []


@pytest.mark.django_db
def test_revoked_between_claim_and_send_is_cancelled(admin_user, mailoutbox):
    certification = certification_expiring_in(30)
    (claim,) = reminders.sweep(today=TODAY)
    revoke_certification(certification=certification, reason="Fraud", by=admin_user)

    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.CANCELLED

    assert ExpiryReminder.objects.get().state == State.CANCELLED
    assert mailoutbox == []


@pytest.mark.django_db
def test_no_address_at_all_is_recorded_as_undeliverable(mailoutbox):
    certification = certification_expiring_in(
        7, email="", organization=factories.OrganizationFactory(training_officer_email="")
    )
    without_organization = certification_expiring_in(7, email="", organization=None)

    assert sweep_and_deliver() == [reminders.Outcome.UNDELIVERABLE] * 2

    assert mailoutbox == []
    for cert in (certification, without_organization):
        reminder = cert.reminders.get()
        assert reminder.state == State.UNDELIVERABLE
        assert reminder.sent_at is None
        assert "No email address" in reminder.last_error
    assert ExpiryReminder.objects.needs_attention().count() == 2


@pytest.mark.django_db
def test_trainee_is_the_recipient_with_the_training_officer_in_copy(mailoutbox):
    organization = factories.OrganizationFactory(training_officer_email="oficial@sedena.example.mx")
    certification = certification_expiring_in(30, email="jose@example.mx", organization=organization)

    sweep_and_deliver()

    (message,) = mailoutbox
    assert message.to == ["jose@example.mx"]
    assert message.cc == ["oficial@sedena.example.mx"]
    reminder = certification.reminders.get()
    assert reminder.state == State.SENT
    assert reminder.sent_at is not None
    assert reminder.attempts == 1
    assert reminder.recipients == ["jose@example.mx", "oficial@sedena.example.mx"]


@pytest.mark.django_db
def test_without_a_trainee_address_the_training_officer_receives_it(mailoutbox):
    organization = factories.OrganizationFactory(training_officer_email="oficial@sedena.example.mx")
    certification_expiring_in(30, email="", organization=organization)

    sweep_and_deliver()

    (message,) = mailoutbox
    assert message.to == ["oficial@sedena.example.mx"]
    assert message.cc == []


@pytest.mark.django_db
def test_sweep_run_twice_claims_and_sends_each_stage_once(mailoutbox):
    certifications = [certification_expiring_in(days) for days in (90, 30, 7, 0)]

    first = sweep_and_deliver()
    second = sweep_and_deliver()

    assert first == [reminders.Outcome.SENT] * 4
    assert second == []
    assert len(mailoutbox) == 4
    assert [claimed_stages(c) for c in certifications] == [[90], [30], [7], [0]]


@pytest.mark.django_db
def test_sweep_query_count_does_not_grow_with_the_number_due(django_assert_num_queries):
    for _ in range(3):
        certification_expiring_in(7)
    # Savepoint, the advisory lock, one INSERT ... SELECT ... RETURNING, release.
    with django_assert_num_queries(4):
        assert len(reminders.sweep(today=TODAY)) == 3

    for _ in range(30):
        certification_expiring_in(30)
    with django_assert_num_queries(4):
        assert len(reminders.sweep(today=TODAY)) == 30


@pytest.mark.django_db
def test_claimed_reminders_are_dispatched_only_after_commit(django_capture_on_commit_callbacks):
    certification_expiring_in(7)
    dispatched = []

    with django_capture_on_commit_callbacks() as callbacks:
        claims = reminders.sweep(today=TODAY, dispatch=dispatched.extend)
        assert dispatched == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert dispatched == [claims[0].reminder_id]


@pytest.mark.django_db
def test_the_daily_task_enqueues_one_send_task_per_claimed_reminder(monkeypatch, django_capture_on_commit_callbacks):
    certification_expiring_in(7)
    certification_expiring_in(30)
    enqueued = []
    monkeypatch.setattr(tasks.send_expiry_reminder, "delay", lambda pk, **kwargs: enqueued.append((pk, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_expiry_reminders.apply(kwargs={"today": TODAY.isoformat()}).get() == 2

    assert sorted(enqueued) == [
        (pk, {"today": TODAY.isoformat()}) for pk in ExpiryReminder.objects.order_by("pk").values_list("pk", flat=True)
    ]
    assert set(ExpiryReminder.objects.values_list("state", flat=True)) == {State.PENDING}


@pytest.mark.django_db
def test_send_task_is_idempotent_and_acknowledged_late():
    task = tasks.send_expiry_reminder
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert issubclass(smtplib.SMTPException, task.autoretry_for)
    assert issubclass(ConnectionRefusedError, task.autoretry_for)
    assert task.retry_backoff


class FlakyBackend(EmailBackend):
    """The locmem backend, whose first `failures` sends fail like a mail server going away."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.mark.django_db
def test_a_failed_send_is_recorded_as_failing_then_sent_once_on_retry(flaky_mail, mailoutbox):
    certification = certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)

    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminders.deliver(claim.reminder_id, today=TODAY)
    reminder = certification.reminders.get()
    assert reminder.state == State.FAILING
    assert reminder.attempts == 1
    assert "Connection unexpectedly closed" in reminder.last_error
    assert reminder.sent_at is None
    assert mailoutbox == []
    assert list(ExpiryReminder.objects.needs_attention()) == [reminder]

    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.SENT
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.last_error) == (State.SENT, 2, "")
    assert len(mailoutbox) == 1
    # A third delivery (a late duplicate) does nothing.
    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.SKIPPED
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_send_task_retries_with_back_off_and_sends_one_email(flaky_mail, mailoutbox):
    certification = certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)

    result = tasks.send_expiry_reminder.apply(args=[claim.reminder_id])

    assert result.get() == reminders.Outcome.SENT
    assert len(mailoutbox) == 1
    reminder = certification.reminders.get()
    assert (reminder.state, reminder.attempts) == (State.SENT, 2)


@pytest.mark.django_db
def test_a_duplicated_delivery_of_the_send_task_sends_once(mailoutbox):
    certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)

    outcomes = [tasks.send_expiry_reminder.apply(args=[claim.reminder_id]).get() for _ in range(2)]

    assert outcomes == [reminders.Outcome.SENT, reminders.Outcome.SKIPPED]
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_duplicate_arriving_while_the_first_is_still_sending_sends_nothing(monkeypatch, mailoutbox):
    certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)
    duplicate_outcomes = []
    send = EmailBackend.send_messages

    def send_while_a_duplicate_arrives(self, messages):
        duplicate_outcomes.append(reminders.deliver(claim.reminder_id, today=TODAY))
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_while_a_duplicate_arrives)

    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.SENT
    assert duplicate_outcomes == [reminders.Outcome.SKIPPED]
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_send_whose_worker_died_is_found_again_after_its_lease(mailoutbox):
    certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)
    now = timezone.now()
    # A worker claimed the send and was killed before it finished.
    ExpiryReminder.objects.filter(pk=claim.reminder_id).update(
        state=State.SENDING, attempts=1, last_attempt_at=now - timedelta(minutes=2)
    )
    assert reminders.requeue_stalled(dispatch=lambda ids: None, now=now) == []
    assert reminders.deliver(claim.reminder_id, today=TODAY, now=now) == reminders.Outcome.SKIPPED

    later = now + reminders.SEND_LEASE
    requeued = []
    assert reminders.requeue_stalled(dispatch=requeued.extend, now=later) == [claim.reminder_id]
    assert requeued == [claim.reminder_id]
    assert reminders.deliver(claim.reminder_id, today=TODAY, now=later) == reminders.Outcome.SENT
    assert len(mailoutbox) == 1
    assert ExpiryReminder.objects.get().attempts == 2


@pytest.mark.django_db
def test_claimed_but_never_enqueued_reminders_are_requeued(settings):
    certification_expiring_in(7)
    reminders.sweep(today=TODAY)
    reminder = ExpiryReminder.objects.get()
    now = timezone.now()

    assert reminders.requeue_stalled(dispatch=lambda ids: None, now=now) == []
    later = now + timedelta(minutes=settings.CERT_REMINDER_REQUEUE_MINUTES + 1)
    assert reminders.requeue_stalled(dispatch=lambda ids: None, now=later) == [reminder.pk]

    ExpiryReminder.objects.filter(pk=reminder.pk).update(state=State.SENT)
    assert reminders.requeue_stalled(dispatch=lambda ids: None, now=later) == []


@pytest.mark.django_db
def test_failing_reminder_is_retried_by_the_recovery_once_its_retries_are_over():
    certification_expiring_in(7)
    reminders.sweep(today=TODAY)
    now = timezone.now()
    ExpiryReminder.objects.update(state=State.FAILING, last_attempt_at=now - timedelta(minutes=30))
    assert reminders.requeue_stalled(dispatch=lambda ids: None, now=now) == []
    assert len(reminders.requeue_stalled(dispatch=lambda ids: None, now=now + timedelta(hours=2))) == 1


def renewal_sessions_for(certification):
    """Sessions that renew the certification, and some that must not be suggested."""
    course = factories.CourseFactory(grants=certification.type, title="Observadores Militares de la ONU")
    open_session = factories.CourseSessionFactory(
        course=course,
        code="UNMEM-2027-02",
        starts_on=TODAY + timedelta(days=20),
        ends_on=TODAY + timedelta(days=31),
        status=CourseSession.Status.OPEN,
    )
    planned = factories.CourseSessionFactory(
        course=course,
        code="UNMEM-2027-03",
        starts_on=TODAY + timedelta(days=60),
        ends_on=TODAY + timedelta(days=71),
        status=CourseSession.Status.PLANNED,
    )
    factories.CourseSessionFactory(
        course=course,
        code="UNMEM-CANCELLED",
        starts_on=TODAY + timedelta(days=10),
        ends_on=TODAY + timedelta(days=12),
        status=CourseSession.Status.CANCELLED,
    )
    factories.CourseSessionFactory(
        course=course,
        code="UNMEM-PAST",
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY - timedelta(days=1),
        status=CourseSession.Status.OPEN,
    )
    factories.CourseSessionFactory(
        code="OTHER-TYPE", starts_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=8)
    )
    return open_session, planned


@pytest.mark.django_db
def test_message_says_what_expires_when_and_how_to_renew_in_english(settings, mailoutbox):
    certification = certification_expiring_in(30, preferred_language="en", rank="Mayor", given_names="Lucía")
    certification.type.name = "UN Military Expert on Mission"
    certification.type.save()
    open_session, planned = renewal_sessions_for(certification)

    sweep_and_deliver()

    (message,) = mailoutbox
    assert message.subject == 'Your certification "UN Military Expert on Mission" expires in 30 days'
    body = message.body
    assert "Dear Mayor Lucía" in body
    assert "expires on March 31, 2027, in 30 days" in body
    assert certification.code in body
    assert "UNMEM-2027-02" in body and "From March 21, 2027 to April 1, 2027" in body
    assert "UNMEM-2027-03" in body
    assert "UNMEM-CANCELLED" not in body and "UNMEM-PAST" not in body and "OTHER-TYPE" not in body
    assert body.index("UNMEM-2027-02") < body.index("UNMEM-2027-03")
    assert settings.CERT_REMINDER_CONTACT_EMAIL in body
    assert "To ask for a seat" in body
    assert message.reply_to == [settings.CERT_REMINDER_CONTACT_EMAIL]
    assert message.extra_headers["Content-Language"] == "en"
    assert message.extra_headers["Message-ID"].startswith(f"<expiry-reminder-{certification.reminders.get().pk}@")
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert "<td>UNMEM-2027-02</td>" in html
    assert "Lucía" in html
    assert certification.reminders.get().language == "en"


@pytest.mark.django_db
def test_message_is_in_spanish_by_default(mailoutbox):
    certification = certification_expiring_in(7)
    assert certification.trainee.preferred_language == "es"

    sweep_and_deliver()

    (message,) = mailoutbox
    assert message.extra_headers["Content-Language"] == "es"
    assert "8 de marzo de 2027" in message.body  # dates through the Spanish locale
    assert "March" not in message.body
    assert certification.reminders.get().language == "es"


@pytest.mark.django_db
def test_message_for_an_expired_certification_and_no_session_scheduled(mailoutbox):
    certification = certification_expiring_in(-3, preferred_language="en")

    sweep_and_deliver()

    (message,) = mailoutbox
    assert message.subject == f'Your certification "{certification.type.name}" expired on Feb. 26, 2027'
    assert "No session that renews this certification is scheduled yet" in message.body
    assert "cannot be deployed" in message.body


@pytest.mark.django_db
def test_due_for_reminder_queryset_matches_what_the_sweep_claims():
    certs = {days: certification_expiring_in(days) for days in (120, 60, 20, 3, -5, -40)}
    due = {c.pk: c.reminder_stage for c in Certification.objects.due_for_reminder(TODAY)}
    assert due == {certs[60].pk: 90, certs[20].pk: 30, certs[3].pk: 7, certs[-5].pk: 0}

    claims = reminders.sweep(today=TODAY)
    assert {c.certification_id: c.stage for c in claims} == due
    assert not Certification.objects.due_for_reminder(TODAY).exists()


@pytest.mark.django_db
def test_stages_come_from_settings(settings, mailoutbox):
    settings.CERT_REMINDER_DAYS = [60, 14]
    certification = certification_expiring_in(20)

    sweep_and_deliver()

    assert claimed_stages(certification) == [60]


@pytest.mark.django_db
def test_a_trainee_sees_the_reminders_they_were_sent_and_nobody_elses(trainee_user, other_trainee_user, mailoutbox):
    from django.template.loader import render_to_string
    from django.utils import translation

    mine = factories.CertificationFactory(
        trainee=trainee_user.trainee, issued_on=datetime.date(2025, 1, 10), expires_on=TODAY + timedelta(days=7)
    )
    factories.CertificationFactory(
        trainee=other_trainee_user.trainee, issued_on=datetime.date(2025, 1, 10), expires_on=TODAY
    )
    sweep_and_deliver()
    assert len(mailoutbox) == 2

    visible = ExpiryReminder.objects.visible_to(trainee_user)
    assert list(visible.sent_to(trainee_user.trainee)) == [mine.reminders.get()]
    assert list(visible.sent_to(other_trainee_user.trainee)) == []

    with translation.override("en"):
        html = render_to_string(
            "certifications/reminders_sent.html", {"reminders": visible.sent_to(trainee_user.trainee)}
        )
    assert mine.type.name in html
    assert "7 days before expiry" in html
    assert trainee_user.trainee.email in html


class RefusingBackend(EmailBackend):
    """A mail server that refuses every recipient with the given SMTP code."""

    code = 550

    def send_messages(self, messages):
        refused = {address: (RefusingBackend.code, b"No such user") for address in messages[0].recipients()}
        raise smtplib.SMTPRecipientsRefused(refused)


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "state"), [(550, State.UNDELIVERABLE), (450, State.FAILING)])
def test_addresses_refused_for_good_are_undeliverable_and_temporary_refusals_are_retried(settings, code, state):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.code = code
    certification = certification_expiring_in(7)
    (claim,) = reminders.sweep(today=TODAY)

    if state == State.FAILING:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            reminders.deliver(claim.reminder_id, today=TODAY)
    else:
        assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.UNDELIVERABLE

    reminder = certification.reminders.get()
    assert reminder.state == state
    assert "SMTPRecipientsRefused" in reminder.last_error
