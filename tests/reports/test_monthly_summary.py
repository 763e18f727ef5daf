"""The monthly summary: sent to administrators on the first working day of the month (Mexico
City), with the dashboard PDF attached, exactly once per month, even with two runs at once."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection

from cecopam.celery import app
from reports import summary, tasks
from reports.models import MonthlySummary
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 12, datetime.date(2026, 12, 1)),  # a Tuesday
        (2026, 2, datetime.date(2026, 2, 3)),  # Sunday 1st, Monday 2nd is Constitution Day
        (2027, 1, datetime.date(2027, 1, 4)),  # Friday 1st is New Year's Day, then a weekend
        (2027, 5, datetime.date(2027, 5, 3)),  # Saturday 1st is Labour Day anyway
        (2026, 11, datetime.date(2026, 11, 2)),  # Sunday 1st
    ],
)
def test_first_working_day(year, month, expected):
    assert summary.first_working_day(year, month) == expected


@pytest.fixture
def administrators(db):
    factories.AdministratorFactory(username="jefa", email="jefa@cecopam.example.mx", language="es")
    factories.AdministratorFactory(username="coord", email="coord@cecopam.example.mx", language="en")
    factories.AdministratorFactory(username="sin-correo", email="")
    factories.InstructorFactory(username="instructor", email="instructor@cecopam.example.mx")


def test_not_sent_before_the_first_working_day(administrators):
    assert summary.send_monthly_summary(today=datetime.date(2026, 11, 1)) == 0  # a Sunday
    assert mail.outbox == [] and not MonthlySummary.objects.exists()


def test_sent_once_on_the_first_working_day_with_the_pdf(administrators, training):
    assert summary.send_monthly_summary(today=datetime.date(2026, 10, 1)) == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["coord@cecopam.example.mx", "jefa@cecopam.example.mx"]
    english = next(message for message in mail.outbox if message.to == ["coord@cecopam.example.mx"])
    spanish = next(message for message in mail.outbox if message.to == ["jefa@cecopam.example.mx"])
    assert english.subject == "CECOPAM: training report for September 2026"
    assert spanish.subject == "CECOPAM: informe de capacitación de septiembre de 2026"
    # September 2026: Ana, Dora and Fer trained, two of them women.
    assert "3 people trained, 2 of them women" in english.body
    assert "/reports/?period=2026-09" in english.body
    (name, content, mimetype) = english.attachments[0]
    assert (name, mimetype) == ("cecopam-report-2026-09.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    row = MonthlySummary.objects.get()
    assert (row.month, row.state, row.attempts) == (datetime.date(2026, 9, 1), "sent", 1)
    assert sorted(row.recipients) == ["coord@cecopam.example.mx", "jefa@cecopam.example.mx"]

    # The next mornings of the month, and a second run the same day, send nothing.
    for day in (1, 2, 15, 31):
        assert summary.send_monthly_summary(today=datetime.date(2026, 10, day)) == 0
    assert len(mail.outbox) == 2


def test_a_missed_first_working_day_is_caught_up_later_in_the_month(administrators):
    assert summary.send_monthly_summary(today=datetime.date(2026, 12, 9)) == 2
    assert MonthlySummary.objects.get().month == datetime.date(2026, 11, 1)


def test_a_failed_send_is_recorded_and_retried(administrators, monkeypatch):
    def refuse(self, messages):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(OSError):
        summary.send_monthly_summary(today=datetime.date(2026, 12, 1))
    row = MonthlySummary.objects.get()
    assert row.state == "failing" and "connection refused" in row.last_error
    monkeypatch.undo()
    assert summary.send_monthly_summary(today=datetime.date(2026, 12, 2)) == 2
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_summary(administrators):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(summary.send_monthly_summary(today=datetime.date(2026, 12, 1)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == [0, 2]
    assert len(mail.outbox) == 2
    assert MonthlySummary.objects.count() == 1


def test_beat_runs_the_summary_every_morning(settings):
    entries = [
        entry for entry in app.conf.beat_schedule.values() if entry["task"] == "reports.tasks.send_monthly_summary"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"].hour == {settings.REPORTS_SUMMARY_HOUR}
    assert settings.CELERY_TIMEZONE == "America/Mexico_City"
    assert tasks.send_monthly_summary.name == "reports.tasks.send_monthly_summary"
