"""History pages for administrators: a trainee's timeline and a session's timeline.

An htmx request (HX-Request header) gets the timeline fragment alone, so a record page can
load it into a panel; any other request gets the full page.
"""

from django.shortcuts import get_object_or_404, render

from common.permissions import administrator_required
from courses.models import CourseSession
from trainees.models import Trainee

from .history import session_timeline, trainee_timeline


def _render(request, template, context):
    if request.headers.get("HX-Request"):
        template = "includes/history.html"
    return render(request, template, context)


@administrator_required
def trainee_history(request, pk):
    trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
    return _render(request, "history/trainee.html", {"trainee": trainee, "entries": trainee_timeline(trainee)})


@administrator_required
def session_history(request, pk):
    session = get_object_or_404(CourseSession.objects.visible_to(request.user).select_related("course"), pk=pk)
    return _render(request, "history/session.html", {"session": session, "entries": session_timeline(session)})
