"""`manage.py send_expiry_reminders`, the weekly digest, and the beat schedule."""

import datetime
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cecopam.celery import app
from certifications import reminders, tasks
from certifications.models import ExpiryReminder
from tests import factories

TODAY = datetime.date(2027, 3, 1)
State = ExpiryReminder.State


def certification_expiring_in(days_left, **trainee_fields):
    return factories.CertificationFactory(
        trainee=factories.TraineeFactory(**trainee_fields),
        issued_on=datetime.date(2025, 1, 10),
        expires_on=TODAY + timedelta(days=days_left),
    )


def run(*args):
    out = StringIO()
    call_command("send_expiry_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dry_run_lists_what_would_be_sent_and_sends_and_records_nothing(mailoutbox):
    due = certification_expiring_in(7, email="maria@example.mx")
    nobody = certification_expiring_in(30, email="", organization=None)
    certification_expiring_in(200)

    output = run("--today", TODAY.isoformat(), "--dry-run")

    assert f"would send: 7-day reminder · {due.code}" in output
    assert "maria@example.mx" in output
    assert f"would send: 30-day reminder · {nobody.code}" in output
    assert "undeliverable" in output
    assert "2 reminder(s) due; nothing sent or recorded" in output
    assert ExpiryReminder.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_command_sends_in_process_without_a_worker_and_prints_what_it_did(mailoutbox):
    due = certification_expiring_in(7, email="maria@example.mx")
    nobody = certification_expiring_in(30, email="", organization=None)

    output = run("--today", TODAY.isoformat())

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["maria@example.mx"]
    assert f"sent: 7-day reminder · {due.code}" in output
    assert f"undeliverable: 30-day reminder · {nobody.code}" in output
    assert "2 claimed, 0 retried; 1 sent, 1 undeliverable." in output
    assert due.reminders.get().state == State.SENT

    # Run again the same day: nothing more.
    assert "0 claimed, 0 retried; nothing due." in run("--today", TODAY.isoformat())
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_command_records_a_failed_send_and_retries_it_on_a_later_run(settings, mailoutbox):
    from tests.certifications.test_reminders import FlakyBackend

    settings.EMAIL_BACKEND = "tests.certifications.test_reminders.FlakyBackend"
    FlakyBackend.failures = 1
    try:
        certification = certification_expiring_in(7)
        output = run("--today", TODAY.isoformat())
        assert "failing: 7-day reminder" in output
        assert "SMTPServerDisconnected" in output
        reminder = certification.reminders.get()
        assert reminder.state == State.FAILING

        # Retries exhausted (or no worker): the next run finds it again.
        ExpiryReminder.objects.update(last_attempt_at=reminder.last_attempt_at - reminders.FAILING_RETRY_AFTER)
        output = run("--today", TODAY.isoformat())
        assert "0 claimed, 1 retried; 1 sent." in output
        assert len(mailoutbox) == 1
    finally:
        FlakyBackend.failures = 0


@pytest.mark.django_db
def test_command_rejects_a_malformed_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--today", "01/03/2027")


@pytest.mark.django_db
def test_weekly_digest_goes_to_administrators_with_expiring_and_undelivered(mailoutbox, admin_user, instructor):
    factories.UserFactory(username="root", email="root@example.mx", is_superuser=True)
    factories.AdministratorFactory(username="noemail", email="")
    english_admin = factories.AdministratorFactory(username="admin2", email="admin2@example.mx", language="en")
    soon = certification_expiring_in(12, given_names="Rocío", paternal_surname="Quintana")
    later = certification_expiring_in(45, paternal_surname="Lejano")
    nobody = certification_expiring_in(5, email="", organization=None, paternal_surname="Sincorreo")
    reminders.sweep(today=TODAY)
    reminders.deliver(nobody.reminders.get().pk, today=TODAY)

    out = StringIO()
    call_command("send_reminder_digest", "--today", TODAY.isoformat(), stdout=out)

    assert "Digest sent to 3 administrator(s)." in out.getvalue()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([admin_user.email, "root@example.mx", "admin2@example.mx"])
    english = next(m for m in mailoutbox if m.to == [english_admin.email])
    assert english.subject == "CECOPAM: 2 certifications expire in the next 30 days · 1 reminder not delivered"
    assert "Rocío" in english.body and soon.trainee.service_number in english.body
    assert "Sincorreo" in english.body
    assert "Lejano" not in english.body and later.trainee.service_number not in english.body
    assert "[Undeliverable]" in english.body
    assert "No email address for the trainee nor the training officer." in english.body
    assert "/certifications/expiring/?days=30" in english.body
    assert english.alternatives[0][1] == "text/html"
    assert instructor.email not in [m.to[0] for m in mailoutbox]


@pytest.mark.django_db
def test_digest_task_runs_the_same_function(mailoutbox, admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    assert tasks.send_reminder_digest.apply(kwargs={"today": TODAY.isoformat()}).get() == 1
    assert "None: every reminder was delivered." in mailoutbox[0].body


def test_beat_schedule_runs_the_sweep_daily_the_recovery_and_the_weekly_digest():
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    sweep = schedule["certifications.tasks.send_expiry_reminders"]
    assert sweep.hour == {settings.CERT_REMINDER_HOUR} and sweep.minute == {0}
    assert "certifications.tasks.requeue_stalled_reminders" in schedule
    digest = schedule["certifications.tasks.send_reminder_digest"]
    assert digest.day_of_week == {1}
    assert app.conf.timezone == "America/Mexico_City"
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks module
    for name in schedule:
        assert name in app.tasks
