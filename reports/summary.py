"""The dashboard as a printable PDF, and the monthly summary emailed to administrators.

The summary of a month goes out on the first working day of the next month (Monday to Friday,
not a Mexican statutory holiday, America/Mexico_City), exactly once, by the database:
- the month is claimed by its unique MonthlySummary row (created once, whoever races);
- the send is claimed by a conditional UPDATE (pending or failing, or sending whose lease ran
  out -> sending) and only the process that changed the row sends, as certifications/reminders.py
  delivers a reminder.
The beat task runs every morning and selects by a range (on or after the first working day,
within the month), never by an exact date: a day the job did not run is caught up the next.
"""

import logging
from datetime import date, timedelta

from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html

from certifications.documents import render_pdf
from certifications.emails import build_message
from certifications.reminders import digest_recipients

from . import statistics
from .charts import svg_bars
from .filters import Period, ReportFilters
from .models import MonthlySummary

logger = logging.getLogger(__name__)

State = MonthlySummary.State
SEND_LEASE = timedelta(minutes=15)


def _nth_monday(year, month, n):
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def mexican_holidays(year):
    """Statutory rest days (Ley Federal del Trabajo, art. 74) of `year`."""
    days = {
        date(year, 1, 1),
        _nth_monday(year, 2, 1),  # Constitution day
        _nth_monday(year, 3, 3),  # Benito Juárez
        date(year, 5, 1),
        date(year, 9, 16),
        _nth_monday(year, 11, 3),  # Revolution day
        date(year, 12, 25),
    }
    if (year - 2024) % 6 == 0:
        days.add(date(year, 10, 1))  # transmission of the federal executive power
    return days


def first_working_day(year, month):
    day = date(year, month, 1)
    holidays = mexican_holidays(year)
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def previous_month(today):
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def dashboard_context(filters, *, today):
    tables = statistics.dashboard_tables(filters, today)
    for table in tables:
        table.svg = svg_bars(table.chart, title=str(table.title))
    period = filters.period
    label = formats.date_format(period.start, "YEAR_MONTH_FORMAT") if period.is_month else period.value
    return {
        "filters": filters,
        "tables": tables,
        "total": statistics.trained_total(filters),
        "today": today,
        "period_label": label,
        "page_number": format_html('<span class="{}"></span>', "page-number"),
        "page_count": format_html('<span class="{}"></span>', "page-count"),
    }


def dashboard_pdf(filters, *, today):
    """The dashboard of `filters` (its period and the rest) as PDF bytes, in the active language."""
    return render_pdf("reports/pdf/dashboard.html", dashboard_context(filters, today=today))


def is_due(today):
    return today >= first_working_day(today.year, today.month)


def claim_month(month):
    """Make sure the month's row exists (two processes at once: one creates it, the other finds it)."""
    try:
        with transaction.atomic():
            return MonthlySummary.objects.create(month=month), True
    except IntegrityError:
        return MonthlySummary.objects.get(month=month), False


def send_monthly_summary(*, today=None, now=None, connection=None):
    """Send last month's summary to every administrator with an address, if due and not sent.

    Returns the number of messages sent (0 when not due yet, already sent, or sent by another
    process at the same moment). Raises what the mail server raised after recording the
    summary as failing (the task retries; the next morning's run tries again too).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if not is_due(today):
        return 0
    month = previous_month(today)
    summary, _created = claim_month(month)
    claimable = Q(state__in=[State.PENDING, State.FAILING]) | Q(
        state=State.SENDING, last_attempt_at__lt=now - SEND_LEASE
    )
    claimed = MonthlySummary.objects.filter(claimable, pk=summary.pk).update(
        state=State.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return 0
    ours = MonthlySummary.objects.filter(pk=summary.pk, state=State.SENDING, last_attempt_at=now)
    recipients = list(digest_recipients())
    if not recipients:
        ours.update(state=State.NO_RECIPIENT, recipients=[], last_error="")
        return 0
    try:
        messages = build_summary_messages(month, recipients, today=today, connection=connection)
        sent = (connection or get_connection()).send_messages(messages) or 0
    except Exception as exc:
        ours.update(state=State.FAILING, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.warning("Monthly summary of %s failed: %s", month, exc)
        raise
    ours.update(state=State.SENT, sent_at=timezone.now(), recipients=[user.email for user in recipients], last_error="")
    return sent


def build_summary_messages(month, recipients, *, today, connection=None):
    """One message per administrator, in their language, with the month's dashboard PDF (one
    rendering per language)."""
    from django.conf import settings

    filters = ReportFilters(period=Period.month_of(month))
    query = f"?period={filters.period.value}"
    pdfs, contexts = {}, {}
    messages = []
    for user in recipients:
        language = user.language or settings.LANGUAGE_CODE
        if language not in pdfs:
            with translation.override(language):
                context = dashboard_context(filters, today=today)
                pdfs[language] = render_pdf("reports/pdf/dashboard.html", context)
                by_type = next(table for table in context["tables"] if table.name == "certifications-by-type")
                standing = [
                    (column, sum(row[index].value for row in by_type.rows))
                    for index, column in enumerate(by_type.columns[1:], start=1)
                ]
                contexts[language] = {
                    "standing": standing,
                    "period_label": context["period_label"],
                    "total": context["total"][0].value,
                    "women": context["total"][1].value,
                    "dashboard_url": settings.SITE_URL + reverse("reports:dashboard") + query,
                    "parity_url": settings.SITE_URL + reverse("reports:parity"),
                }
        message = build_message(
            "monthly_summary",
            {**contexts[language], "user": user},
            to=[user.email],
            language=language,
            connection=connection,
        )
        message.attach(f"cecopam-report-{filters.period.value}.pdf", pdfs[language], "application/pdf")
        messages.append(message)
    return messages
