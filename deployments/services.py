"""Writes of the deployments app: nominate people for a deployment, withdraw a nomination.

Views, the admin and commands call these; none re-implements them.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trainees.models import Trainee

from .models import ACTIVE_NOMINATION_STATUSES, Nomination
from .readiness import assess

logger = logging.getLogger(__name__)


def describe_failures(readiness):
    """One line naming what is not met, in the active language (the recorded warning)."""
    parts = []
    for failure in readiness.failures:
        text = f"{failure.code}: {failure.reason_label}"
        if failure.lapses_on:
            text += " " + _("(last valid day %(date)s)") % {"date": failure.lapses_on.isoformat()}
        if failure.renewal:
            text += " — " + _("renewal: session %(code)s") % {"code": failure.renewal.session.code}
        parts.append(text)
    return "; ".join(parts)


@transaction.atomic
def nominate(*, deployment, trainees, by, notes="", today=None) -> list[Nomination]:
    """Nominate each of `trainees` for `deployment`; returns the nominations made.

    Guarantees: one nomination per person and deployment (database constraint); someone already
    standing nominated is left as they are, a withdrawn or returned nomination is proposed again.
    Nominating someone not ready is allowed: their readiness at this moment is recorded on the
    nomination (ready_when_nominated, and a warning naming each failing requirement), and after
    commit their training officer is told what lapses (deployments/notifications.py).
    """
    from .notifications import notify_training_officers

    # Two administrators nominating for the same deployment at once serialize here.
    type(deployment).objects.select_for_update().filter(pk=deployment.pk).first()
    ids = [t.pk for t in trainees]
    people = Trainee.objects.filter(pk__in=ids).select_related("organization").order_by("pk")
    assessed = assess(people, deployment.profile, deployment.starts_on, deployment.ends_on, today=today)
    existing = {n.trainee_id: n for n in Nomination.objects.filter(deployment=deployment, trainee__in=ids)}
    now = timezone.now()
    made = []
    for readiness in assessed:
        fields = {
            "status": Nomination.Status.PROPOSED,
            "nominated_by": by,
            "nominated_at": now,
            "ready_when_nominated": readiness.ready,
            "warning": describe_failures(readiness),
        }
        nomination = existing.get(readiness.trainee.pk)
        if nomination is None:
            nomination = Nomination.objects.create(
                deployment=deployment, trainee=readiness.trainee, notes=notes, **fields
            )
        elif nomination.status in ACTIVE_NOMINATION_STATUSES:
            continue
        else:
            for name, value in fields.items():
                setattr(nomination, name, value)
            if notes:
                nomination.notes = notes
            nomination.save()
        made.append(nomination)
    warned = [n.pk for n in made if not n.ready_when_nominated]
    if warned:
        transaction.on_commit(lambda: notify_training_officers(warned))
    return made


@transaction.atomic
def withdraw_nomination(*, nomination, reason="") -> bool:
    """Withdraw a standing nomination (kept, with its history: who withdrew it is the signed-in
    user pghistory's middleware records). Returns False when it was not standing any more
    (already withdrawn or returned): a double click changes nothing."""
    changed = Nomination.objects.filter(pk=nomination.pk, status__in=ACTIVE_NOMINATION_STATUSES).update(
        status=Nomination.Status.WITHDRAWN,
        notes=(nomination.notes + ("\n" if nomination.notes else "") + reason).strip() if reason else nomination.notes,
    )
    nomination.refresh_from_db()
    return bool(changed)
