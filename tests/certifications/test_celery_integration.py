"""A real Celery worker process, on the real Redis, runs the reminder job against the test
database, and the email arrives at a real SMTP server (aiosmtpd) started by the test."""

import datetime
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from cecopam.celery import app
from certifications import tasks
from certifications.models import ExpiryReminder
from tests import factories

WAIT_SECONDS = 90


class Inbox:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def broker():
    """A Redis database number and a queue name of this run only, removed afterwards."""
    url = f"redis://127.0.0.1:6379/{random.randint(5, 15)}"
    queue = f"test-reminders-{uuid.uuid4().hex}"
    yield url, queue
    remove_queue(url, queue)


def remove_queue(url, queue):
    """Delete a test's queue and its bindings from the Redis broker at `url`."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
    for key in client.scan_iter("_kombu.binding.*"):
        for member in client.smembers(key):
            if queue.encode() in member:
                client.srem(key, member)


@pytest.fixture
def worker(transactional_db, smtp_server, broker, tmp_path):
    """`celery -A cecopam worker` in its own process group, killed when the test ends."""
    controller, _ = smtp_server
    broker_url, queue = broker
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cecopam",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-Q",
                queue,
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while " ready." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield process, broker_url, queue, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def wait_for(condition, log):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out; worker log:\n" + log.read_text()
        time.sleep(0.2)


def test_a_real_worker_runs_the_job_and_the_email_arrives_over_smtp(worker, smtp_server):
    process, broker_url, queue, log = worker
    _, inbox = smtp_server
    today = datetime.date(2027, 3, 1)
    organization = factories.OrganizationFactory(training_officer_email="oficial@sedena.example.mx")
    trainee = factories.TraineeFactory(email="lucia@example.mx", organization=organization, preferred_language="en")
    certification = factories.CertificationFactory(
        trainee=trainee, issued_on=datetime.date(2025, 3, 1), expires_on=today + timedelta(days=7)
    )

    with app.connection_for_write(broker_url) as broker_connection:
        app.send_task(
            "certifications.tasks.send_expiry_reminders",
            kwargs={"today": today.isoformat()},
            queue=queue,
            connection=broker_connection,
        )

    wait_for(lambda: inbox.envelopes, log)
    (envelope,) = inbox.envelopes
    assert sorted(envelope.rcpt_tos) == ["lucia@example.mx", "oficial@sedena.example.mx"]
    message = message_from_bytes(envelope.original_content)
    assert str(make_header(decode_header(message["Subject"]))) == (
        f'Your certification "{certification.type.name}" expires in 7 days'
    )
    assert message["To"] == "lucia@example.mx"
    assert message["Cc"] == "oficial@sedena.example.mx"
    assert certification.code.encode() in envelope.original_content

    reminder = ExpiryReminder.objects.get(certification=certification)
    wait_for(lambda: ExpiryReminder.objects.filter(pk=reminder.pk, state=ExpiryReminder.State.SENT).exists(), log)
    reminder.refresh_from_db()
    assert (reminder.stage, reminder.attempts) == (7, 1)
    log_text = log.read_text()
    assert "certifications.tasks.send_expiry_reminders" in log_text
    assert "certifications.tasks.send_expiry_reminder[" in log_text  # the per-message task

    # The job run again (beat's next day, or a second beat) sends nothing more.
    with app.connection_for_write(broker_url) as broker_connection:
        app.send_task(
            "certifications.tasks.send_expiry_reminders",
            kwargs={"today": (today + timedelta(days=1)).isoformat()},
            queue=queue,
            connection=broker_connection,
        )
    wait_for(lambda: log.read_text().count("send_expiry_reminders[") >= 4, log)  # received + succeeded, twice
    time.sleep(1)
    assert len(inbox.envelopes) == 1
    assert process.poll() is None


def test_beat_schedule_contains_the_daily_sweep():
    entries = [
        entry
        for entry in app.conf.beat_schedule.values()
        if entry["task"] == "certifications.tasks.send_expiry_reminders"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"].hour == {settings.CERT_REMINDER_HOUR}
    assert app.tasks["certifications.tasks.send_expiry_reminders"].name == tasks.send_expiry_reminders.name
