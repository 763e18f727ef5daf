"""Certification pages."""

from django.http import HttpResponse


def expiring(request):
    return HttpResponse("TODO")
