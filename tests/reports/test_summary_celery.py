"""A real Celery worker process, on the real Redis, runs the monthly summary task against the
test database; the messages, with the PDF, arrive at a real SMTP server started by the test.
Run twice, it sends them once."""

import datetime
import time
from email import message_from_bytes

from cecopam.celery import app
from reports.models import MonthlySummary
from tests import factories
from tests.certifications.test_celery_integration import broker, smtp_server, wait_for, worker  # noqa: F401


def _send(broker_url, queue, today):
    with app.connection_for_write(broker_url) as broker_connection:
        app.send_task(
            "reports.tasks.send_monthly_summary", kwargs={"today": today}, queue=queue, connection=broker_connection
        )


def test_a_real_worker_sends_the_monthly_summary_once(worker, smtp_server):  # noqa: F811
    process, broker_url, queue, log = worker
    _, inbox = smtp_server
    factories.AdministratorFactory(username="jefa", email="jefa@cecopam.example.mx", language="en")
    _send(broker_url, queue, "2026-12-01")
    wait_for(lambda: inbox.envelopes, log)
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["jefa@cecopam.example.mx"]
    message = message_from_bytes(envelope.original_content)
    assert message["Subject"] == "CECOPAM: training report for November 2026"
    attachments = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(attachments) == 1 and attachments[0].get_payload(decode=True).startswith(b"%PDF")
    wait_for(lambda: MonthlySummary.objects.filter(state="sent").exists(), log)

    _send(broker_url, queue, "2026-12-02")
    wait_for(lambda: log.read_text().count("reports.tasks.send_monthly_summary[") >= 4, log)
    time.sleep(1)
    assert len(inbox.envelopes) == 1
    assert MonthlySummary.objects.get().month == datetime.date(2026, 11, 1)
    assert process.poll() is None
