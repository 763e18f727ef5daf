"""Forms: the public code search, certifications recorded by hand, and revocation."""

import uuid

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.text import PlainTextFormMixin

from .models import CODE_GROUP_LENGTH, CODE_GROUPS, CertificationType, normalize_code

# Accepted scan formats, recognised by their first bytes (an extension alone proves nothing).
SCAN_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)
SCAN_EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg"}


def sniff_scan(uploaded):
    """The scan's kind ("pdf", "png" or "jpg") from its first bytes, or None."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for signature, kind in SCAN_SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


class VerifySearchForm(PlainTextFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Certificate code"),
        max_length=64,
        help_text=_("As printed on the certificate, e.g. 7KQ2-M9XD-4HTN-B3RC. Upper or lower case, dashes optional."),
    )

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if len(code) != CODE_GROUPS * (CODE_GROUP_LENGTH + 1) - 1:
            raise forms.ValidationError(
                gettext("A certificate code has %(count)d letters and digits.")
                % {"count": CODE_GROUPS * CODE_GROUP_LENGTH}
            )
        return code


class ExternalCertificationForm(PlainTextFormMixin, forms.Form):
    """A certification from another institution, with a scan of the paper as evidence."""

    type = forms.ModelChoiceField(label=_("Certification"), queryset=CertificationType.objects.order_by("name"))
    issuer = forms.CharField(
        label=_("Issuing institution"),
        max_length=200,
        help_text=_("The institution that issued the certification, e.g. UNITAR, a partner-nation training centre."),
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to compute it from the certification's validity."),
    )
    scan = forms.FileField(
        label=_("Scan of the certificate"),
        help_text=_("PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )

    def clean_issued_on(self):
        issued_on = self.cleaned_data["issued_on"]
        if issued_on > timezone.localdate():
            raise forms.ValidationError(gettext("The issue date cannot be in the future."))
        return issued_on

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        limit = settings.SCAN_MAX_UPLOAD_BYTES
        if scan.size > limit:
            raise forms.ValidationError(
                gettext("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(scan.size), "limit": filesizeformat(limit)}
            )
        extension = scan.name.rsplit(".", 1)[-1].lower() if "." in scan.name else ""
        kind = sniff_scan(scan)
        if kind is None or SCAN_EXTENSIONS.get(extension) != kind:
            raise forms.ValidationError(gettext("Upload a PDF, PNG or JPEG file."))
        # Stored under a random name: the uploader's file name says nothing we want to keep
        # and the scan is only ever served through a permission-checked view.
        scan.name = f"{uuid.uuid4().hex}.{kind}"
        return scan

    def clean(self):
        cleaned = super().clean()
        issued_on, expires_on = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued_on and expires_on and expires_on < issued_on:
            self.add_error("expires_on", gettext("The expiry date cannot be before the issue date."))
        return cleaned


class RevokeForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the certification's history and shown on the holder's record."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(gettext("Give the reason for revoking this certification."))
        return reason
