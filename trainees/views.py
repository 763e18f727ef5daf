"""Trainee pages: the administrators' list, a trainee's record, and /me/ for the trainee."""

from django.http import HttpResponse


def me(request):
    return HttpResponse("TODO")


def trainee_list(request):
    return HttpResponse("TODO")


def trainee_detail(request, pk):
    return HttpResponse("TODO")
