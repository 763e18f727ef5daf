"""/api/tokens/: the administrators' page for API tokens."""

from django.urls import path

from . import token_views

app_name = "api-tokens"

urlpatterns = [
    path("tokens/", token_views.token_list, name="list"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="revoke"),
]
