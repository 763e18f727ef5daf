from django.urls import path

from . import documents_views, record_views, views

app_name = "certifications"

urlpatterns = [
    path("me/transcript.pdf", documents_views.my_transcript, name="my-transcript"),
    path("trainees/<int:pk>/transcript.pdf", documents_views.trainee_transcript, name="transcript"),
    path("certifications/expiring/", views.expiring, name="expiring"),
    # Documents, external certifications and revocation (certifications/documents_views.py, record_views.py).
    path("certifications/<int:pk>/certificate.pdf", documents_views.certificate_pdf, name="certificate"),
    path("certifications/<int:pk>/scan", record_views.scan, name="scan"),
    path("certifications/<int:pk>/revoke/", record_views.revoke, name="revoke"),
    path("certifications/new/", record_views.external_new, name="external-new"),
    path("trainees/<int:trainee_pk>/certifications/new/", record_views.external_new, name="external-new-for-trainee"),
]
