from django.urls import path

from . import credential_views, documents_views, record_views, views

app_name = "certifications"

urlpatterns = [
    path("me/transcript.pdf", documents_views.my_transcript, name="my-transcript"),
    path("trainees/<int:pk>/transcript.pdf", documents_views.trainee_transcript, name="transcript"),
    path("certifications/expiring/", views.expiring, name="expiring"),
    # Documents, external certifications and revocation (certifications/documents_views.py, record_views.py).
    path("certifications/<int:pk>/certificate.pdf", documents_views.certificate_pdf, name="certificate"),
    path("certifications/<int:pk>/credential.json", credential_views.credential_json, name="credential"),
    # Verifiable credentials' public parts: the issuer's did:web document and the status lists.
    path(".well-known/did.json", credential_views.did_document, name="did-document"),
    path("credentials/status/<int:number>.json", credential_views.status_list, name="status-list"),
    path("certifications/<int:pk>/scan", record_views.scan, name="scan"),
    path("certifications/<int:pk>/revoke/", record_views.revoke, name="revoke"),
    path("certifications/new/", record_views.external_new, name="external-new"),
    path("trainees/<int:trainee_pk>/certifications/new/", record_views.external_new, name="external-new-for-trainee"),
]
