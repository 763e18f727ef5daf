"""Readable history timelines built from django-pghistory's event tables.

Every insert and update of a Trainee, CourseSession, Enrollment and Certification is copied
by a database trigger into its event table (bulk writes and raw SQL included), with a
context row naming the signed-in user and any reason given (reopening a session). The event
tables are append-only (settings.PGHISTORY_APPEND_ONLY installs a trigger that refuses
UPDATE and DELETE), so nothing a user can do removes history.

This module turns consecutive snapshots of one record into entries a person can read:
when, who (a name, never an id), what (a record), and for each changed field its old and
new value (choice labels, country names, related records by name). The number of queries
does not depend on the number of events: one per event table, one per kind of related
record shown, one for the users.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.models import Certification, CertificationType
from courses.models import Course, CourseSession, Enrollment
from deployments.models import Deployment, Nomination
from trainees.models import Organization, Trainee

# Bookkeeping columns: who and when are already the entry's own header.
HIDDEN_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "recorded_by", "recorded_at", "finalized_at", "finalized_by", "revoked_by"}
)
# Fields whose new value is the reason for the change: shown as the entry's reason, not as a change.
REASON_FIELDS = frozenset({"reopen_reason", "revoked_reason"})

ACTION_LABELS = {
    "created": gettext_lazy("Created"),
    "changed": gettext_lazy("Changed"),
    "finalized": gettext_lazy("Finalized"),
    "reopened": gettext_lazy("Reopened"),
    "revoked": gettext_lazy("Revoked"),
}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One event in a timeline: a record created or changed, by whom, when, and how."""

    when: datetime.datetime
    who: str
    subject: str
    action: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    order: tuple = ()

    @property
    def action_label(self):
        return ACTION_LABELS[self.action]


# How a related record is named in a timeline, and what to join so that naming it costs no query.
_RELATED_LABELS = {
    get_user_model(): ((), lambda user: user.get_full_name() or user.get_username()),
    Trainee: ((), lambda trainee: trainee.full_name),
    Organization: ((), lambda organization: organization.name),
    Course: ((), str),
    CourseSession: (("course",), lambda session: f"{session.code} — {session.course.title}"),
    CertificationType: ((), str),
    Certification: (("type",), lambda cert: f"{cert.type.name} ({cert.code})"),
    Enrollment: (("session",), lambda enrollment: enrollment.session.code),
}


class _Names:
    """Related records named in bulk: ask for every pk first, then resolve with one query per model."""

    def __init__(self):
        self.wanted = defaultdict(set)
        self.names = {}

    def want(self, model, pk):
        if pk is not None and pk != "":
            self.wanted[model].add(pk)

    def resolve(self):
        for model, pks in self.wanted.items():
            select, label = _RELATED_LABELS.get(model, ((), str))
            records = model._base_manager.select_related(*select).in_bulk(pks)
            self.names[model] = {pk: label(record) for pk, record in records.items()}

    def name(self, model, pk):
        return self.names.get(model, {}).get(pk, f"#{pk}")


@dataclass
class _Source:
    """An event table to read: which rows, how to title them, and the model they track."""

    model: type
    filter: dict
    subject: Callable  # (event, names) -> str
    subject_needs: tuple = ()  # (model, attname) pairs the subject names


def _tracked_fields(event_model):
    tracked = event_model.pgh_tracked_model
    names = {f.name for f in tracked._meta.concrete_fields}
    return [
        tracked._meta.get_field(f.name)
        for f in event_model._meta.concrete_fields
        if f.name in names and f.name not in HIDDEN_FIELDS
    ]


def _is_empty(value):
    return value is None or value == ""


def _display(model_field, value, names):
    """A stored value as a person reads it."""
    if _is_empty(value):
        return "—"
    if model_field.is_relation:
        return names.name(model_field.related_model, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return floatformat(value, -2)
    return str(value)


def _action(source_model, label, previous, snapshot):
    if label == "insert" or previous is None:
        return "created"
    if source_model is CourseSession:
        was, now = previous.status, snapshot.status
        if now == CourseSession.Status.FINALIZED and was != now:
            return "finalized"
        if was == CourseSession.Status.FINALIZED and now != was:
            return "reopened"
    if source_model is Certification and previous.revoked_at is None and snapshot.revoked_at is not None:
        return "revoked"
    return "changed"


def _entries(sources):
    snapshots = []  # (source, previous snapshot or None, snapshot)
    names = _Names()
    user_model = get_user_model()
    for source in sources:
        event_model = source.model.pgh_event_model
        fields = _tracked_fields(event_model)
        events = (
            event_model.objects.filter(**source.filter).select_related("pgh_context").order_by("pgh_obj_id", "pgh_id")
        )
        previous_by_obj = {}
        for event in events:
            previous = previous_by_obj.get(event.pgh_obj_id)
            previous_by_obj[event.pgh_obj_id] = event
            snapshots.append((source, fields, previous, event))
            context = event.pgh_context.metadata if event.pgh_context_id and event.pgh_context else {}
            names.want(user_model, context.get("user"))
            for model, attname in source.subject_needs:
                names.want(model, getattr(event, attname))
            for model_field in fields:
                if model_field.is_relation:
                    names.want(model_field.related_model, getattr(event, model_field.attname))
                    if previous is not None:
                        names.want(model_field.related_model, getattr(previous, model_field.attname))
    names.resolve()

    entries = []
    for source, fields, previous, event in snapshots:
        context = event.pgh_context.metadata if event.pgh_context_id and event.pgh_context else {}
        action = _action(source.model, event.pgh_label, previous, event)
        reason = next((str(value) for key, value in context.items() if key.endswith("reason") and value), "")
        changes = []
        for model_field in fields:
            new = getattr(event, model_field.attname)
            old = getattr(previous, model_field.attname) if previous is not None else None
            if previous is None and _is_empty(new):
                continue  # a new record: list only what was filled in
            if previous is not None and old == new:
                continue
            if model_field.name in REASON_FIELDS and not _is_empty(new):
                reason = reason or str(new)
                continue
            changes.append(
                Change(
                    label=str(model_field.verbose_name),
                    old=_display(model_field, old, names) if previous is not None else "",
                    new=_display(model_field, new, names),
                )
            )
        if not changes and action == "changed" and not reason:
            continue  # only bookkeeping columns moved (e.g. the time a result was recorded)
        user_id = context.get("user")
        if user_id is not None:
            who = names.name(user_model, user_id)
        elif context.get("source"):  # a command or job names itself, e.g. seed_demo, import_trainees
            who = _("System (%(source)s)") % {"source": context["source"]}
        else:
            who = _("System")
        entries.append(
            Entry(
                when=event.pgh_created_at,
                who=who,
                subject=source.subject(event, names),
                action=action,
                changes=changes,
                reason=reason,
                order=(event.pgh_created_at, event.pgh_id),
            )
        )
    entries.sort(key=lambda entry: entry.order, reverse=True)
    return entries


def trainee_timeline(trainee):
    """Newest first: the trainee's record, their enrolments (results included) and certifications."""
    return _entries(
        [
            _Source(Trainee, {"pgh_obj_id": trainee.pk}, lambda event, names: _("Personal record")),
            _Source(
                Enrollment,
                {"trainee_id": trainee.pk},
                lambda event, names: (
                    _("Enrolment in %(session)s") % {"session": names.name(CourseSession, event.session_id)}
                ),
                subject_needs=((CourseSession, "session_id"),),
            ),
            _Source(
                Certification,
                {"trainee_id": trainee.pk},
                lambda event, names: (
                    _("Certification %(type)s (%(code)s)")
                    % {"type": names.name(CertificationType, event.type_id), "code": event.code}
                ),
                subject_needs=((CertificationType, "type_id"),),
            ),
        ]
    )


def session_timeline(session):
    """Newest first: the session itself and every enrolment in it (status, result, score,
    attendance, remarks)."""
    return _entries(
        [
            _Source(CourseSession, {"pgh_obj_id": session.pk}, lambda event, names: _("Session")),
            _Source(
                Enrollment,
                {"session_id": session.pk},
                lambda event, names: _("Enrolment of %(trainee)s") % {"trainee": names.name(Trainee, event.trainee_id)},
                subject_needs=((Trainee, "trainee_id"),),
            ),
        ]
    )


def deployment_timeline(deployment):
    """Newest first: the deployment itself and every nomination to it (who nominated or withdrew
    whom, when, and the readiness recorded at the time)."""
    return _entries(
        [
            _Source(Deployment, {"pgh_obj_id": deployment.pk}, lambda event, names: _("Deployment")),
            _Source(
                Nomination,
                {"deployment_id": deployment.pk},
                lambda event, names: (
                    _("Nomination of %(trainee)s") % {"trainee": names.name(Trainee, event.trainee_id)}
                ),
                subject_needs=((Trainee, "trainee_id"),),
            ),
        ]
    )
