from django.urls import path

from . import views

app_name = "certifications"

urlpatterns = [
    path("certifications/expiring/", views.expiring, name="expiring"),
]
