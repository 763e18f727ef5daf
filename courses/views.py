"""Course catalogue and session pages."""

from django.http import HttpResponse


def course_list(request):
    return HttpResponse("TODO")


def session_list(request):
    return HttpResponse("TODO")


def session_detail(request, pk):
    return HttpResponse("TODO")
