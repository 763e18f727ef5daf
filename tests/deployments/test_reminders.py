"""Deployment reminders: a nominee whose certificate lapses before the deployment ends gets one
message (trainee, training officer in copy) naming the deployment, the date and the renewal
session; exactly once per nomination and certificate, even with two sweeps at once."""

import datetime
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from certifications.services import issue_certification
from deployments import reminders
from deployments.models import DeploymentReminder
from tests import factories

TODAY = datetime.date(2026, 12, 1)
START = datetime.date(2027, 3, 1)
END = datetime.date(2027, 8, 31)


def _setup(nominees=1):
    cptm = factories.CertificationTypeFactory(code="CPTM", name="Core pre-deployment training", validity_months=36)
    passport = factories.CertificationTypeFactory(code="PASSPORT", name="Passport", validity_months=None)
    other = factories.CertificationTypeFactory(code="GEN", name="Gender", validity_months=12)
    profile = factories.RequirementProfileFactory(code="UNMEM", required_types=[cptm, passport])
    deployment = factories.DeploymentFactory(code="MINURSO-27", profile=profile, starts_on=START, ends_on=END)
    factories.CourseSessionFactory(
        course=factories.CourseFactory(grants=cptm),
        code="CPTM-27-01",
        starts_on=datetime.date(2027, 1, 11),
        ends_on=datetime.date(2027, 1, 15),
    )
    unit = factories.OrganizationFactory(name="Batallón 1", training_officer_email="enlace@b1.example")
    certificates = []
    for index in range(nominees):
        trainee = factories.TraineeFactory(organization=unit, email=f"nominee{index}@example.mx")
        factories.NominationFactory(deployment=deployment, trainee=trainee)
        # Lapses before the end: owed a reminder.
        certificates.append(
            factories.CertificationFactory(
                trainee=trainee, type=cptm, issued_on=datetime.date(2024, 5, 1), expires_on=datetime.date(2027, 5, 1)
            )
        )
        # Valid through the end, or of a type the profile does not require: nothing owed.
        factories.CertificationFactory(trainee=trainee, type=passport, issued_on=datetime.date(2024, 1, 1))
        factories.CertificationFactory(
            trainee=trainee, type=other, issued_on=datetime.date(2026, 1, 1), expires_on=datetime.date(2027, 1, 1)
        )
    return deployment, certificates


@pytest.mark.django_db
def test_one_message_naming_the_deployment_the_date_and_the_session():
    deployment, (certificate,) = _setup()
    (claim,) = reminders.sweep(today=TODAY)
    assert claim.certification_id == certificate.pk
    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.SENT
    (message,) = mail.outbox
    assert message.to == ["nominee0@example.mx"] and message.cc == ["enlace@b1.example"]
    assert "MINURSO-27" in message.subject
    assert "1 de mayo de 2027" in message.body or "May 1, 2027" in message.body
    assert "CPTM-27-01" in message.body
    # A second run, or a redelivered task, sends nothing more.
    assert reminders.sweep(today=TODAY) == []
    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.SKIPPED
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_nothing_for_withdrawn_renewed_or_closed():
    deployment, (certificate,) = _setup()
    nomination = deployment.nominations.get()
    nomination.status = "withdrawn"
    nomination.save()
    assert reminders.sweep(today=TODAY) == []
    nomination.status = "proposed"
    nomination.save()
    # Renewed: the new certificate covers the deployment and supersedes the old one.
    issue_certification(trainee=certificate.trainee, type=certificate.type, issued_on=datetime.date(2027, 1, 15))
    assert reminders.sweep(today=TODAY) == []


@pytest.mark.django_db
def test_a_renewal_after_the_claim_cancels_the_message():
    deployment, (certificate,) = _setup()
    (claim,) = reminders.sweep(today=TODAY)
    issue_certification(trainee=certificate.trainee, type=certificate.type, issued_on=datetime.date(2027, 1, 15))
    assert reminders.deliver(claim.reminder_id, today=TODAY) == reminders.Outcome.CANCELLED
    assert mail.outbox == []


@pytest.mark.django_db
def test_command_sends_and_dry_run_records_nothing():
    _setup(nominees=2)
    out = StringIO()
    call_command("send_deployment_reminders", "--today", TODAY.isoformat(), "--dry-run", stdout=out)
    assert "2 reminder(s) due" in out.getvalue()
    assert not DeploymentReminder.objects.exists()
    out = StringIO()
    call_command("send_deployment_reminders", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().count("sent:") == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_claim_each_pair_once():
    _setup(nominees=6)
    barrier = threading.Barrier(2)
    claims = [None, None]
    errors = []

    def run(index):
        try:
            barrier.wait()
            claims[index] = reminders.sweep(today=TODAY)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    claimed = [claim.reminder_id for result in claims for claim in result]
    assert len(claimed) == 6 == len(set(claimed))
    assert DeploymentReminder.objects.count() == 6


@pytest.mark.django_db
def test_the_daily_job_runs_the_sweep(settings, django_capture_on_commit_callbacks):
    from cecopam.celery import app
    from deployments.tasks import send_deployment_reminders

    task_names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "deployments.tasks.send_deployment_reminders" in task_names
    app.loader.import_default_modules()
    assert "deployments.tasks.send_deployment_reminders" in app.tasks
    _setup(nominees=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert send_deployment_reminders.apply(kwargs={"today": TODAY.isoformat()}).get() == 3
    assert len(callbacks) == 1  # the claimed ids are enqueued after commit
