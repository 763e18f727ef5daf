"""Forms of the course and session pages: the catalogue, sessions, enrolment, reopening and
the instructor's results grid."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from certifications.models import CertificationType
from common.numbers import plain
from common.parsing import parse_id
from common.permissions import INSTRUCTORS
from common.text import PlainTextFormMixin
from trainees.models import name_order

from . import services
from .models import Course, CourseSession, Enrollment

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NamedInputsMixin:
    """Give each single-input field its label as aria-label too.

    crispy-forms' label markup wraps the text in whitespace, which tools that match a label by
    pattern (browser tests, some assistive software) see as part of the name; the aria-label
    carries the same words without it. Checkbox and radio groups keep their per-option labels.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if widget.is_hidden or isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                continue
            if field.label:
                widget.attrs.setdefault("aria-label", str(field.label))


class CourseForm(PlainTextFormMixin, NamedInputsMixin, forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "code",
            "title",
            "description",
            "category",
            "ugps_category",
            "duration_hours",
            "pass_mark",
            "grants",
            "prerequisites",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = CertificationType.objects.order_by("name")
        self.fields["grants"].queryset = types
        self.fields["prerequisites"].queryset = types
        self.fields["prerequisites"].widget.attrs["size"] = 6

    def clean_pass_mark(self):
        pass_mark = self.cleaned_data.get("pass_mark")
        if pass_mark is not None and pass_mark > 100:
            raise forms.ValidationError(gettext("The pass mark is a score between 0 and 100."))
        return pass_mark

    def clean(self):
        cleaned = super().clean()
        grants, prerequisites = cleaned.get("grants"), cleaned.get("prerequisites")
        if grants is not None and prerequisites and grants in prerequisites:
            self.add_error(
                "prerequisites",
                gettext("A course cannot require the certification it grants (%(name)s).") % {"name": grants.name},
            )
        return cleaned


class InstructorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class SessionForm(PlainTextFormMixin, NamedInputsMixin, forms.ModelForm):
    """A session's schedule, seats, instructors and status.

    Finalized is not offered as a status: a session is finalized through its finalize button
    (which issues the certificates) and leaves that state only by being reopened. The view
    saves a capacity change through services.change_capacity (the waitlist moves up).
    """

    instructors = InstructorChoiceField(
        label=_("Instructors"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CourseSession
        fields = ["course", "code", "starts_on", "ends_on", "location", "capacity", "instructors", "status"]
        widgets = {"starts_on": DATE_WIDGET, "ends_on": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        current_course = Q(pk=instance.course_id) if instance.course_id else Q(pk__in=[])
        self.fields["course"].queryset = Course.objects.filter(Q(is_active=True) | current_course).order_by("code")
        current_instructors = (
            Q(pk__in=instance.instructors.values("pk")) if instance.pk else Q(pk__in=[])
        )  # someone who left the group stays listed until unticked
        self.fields["instructors"].queryset = (
            get_user_model()
            .objects.filter(Q(groups__name=INSTRUCTORS, is_active=True) | current_instructors)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        status = self.fields["status"]
        if instance.pk and instance.is_finalized:
            # Certificates were issued from these values: they change only after a reopen.
            for name in instance.frozen_fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("The session is finalized: reopen it to change this.")
        else:
            status.choices = [choice for choice in status.choices if choice[0] != CourseSession.Status.FINALIZED.value]
        if not self.fields["capacity"].disabled:
            self.fields["capacity"].help_text = _("When seats are added, waitlisted trainees move up in order.")

    def clean_capacity(self):
        capacity = self.cleaned_data.get("capacity")
        if capacity is not None and capacity < 1:
            raise forms.ValidationError(gettext("A session needs at least one seat."))
        return capacity

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", gettext("The session cannot end before it starts."))
        return cleaned


class EnrollForm(PlainTextFormMixin, forms.Form):
    """One trainee to enrol (the search results' Enrol buttons post it)."""

    trainee = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, trainees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = trainees


class EnrollManyForm(PlainTextFormMixin, NamedInputsMixin, forms.Form):
    """A whole class at once: the people ticked in the search, a pasted list of service numbers
    (each optionally followed by the nationality), everyone who passed a session, everyone of an
    organization. `people()` resolves them, in that order; services.enroll_many enrols them."""

    trainees = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.MultipleHiddenInput)
    service_numbers = forms.CharField(
        label=_("Service numbers"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "One per line, as copied from a spreadsheet; add the nationality when a number exists in two countries (e.g. “GT-204518 GT”)."
        ),
    )
    passed_session = forms.CharField(label=_("Everyone who passed the session (code)"), required=False, max_length=40)
    organization = forms.ModelChoiceField(label=_("Everyone of the organization"), queryset=None, required=False)
    override_prerequisites = forms.BooleanField(label=_("Override missing prerequisites"), required=False)
    override_reason = forms.CharField(
        label=_("Reason for overriding the prerequisites"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded on each enrolment that needed it."),
    )

    def __init__(self, *args, trainees, organizations, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = trainees
        self.sessions = sessions
        self.fields["trainees"].queryset = trainees
        self.fields["organization"].queryset = organizations

    def clean_passed_session(self):
        code = self.cleaned_data["passed_session"].strip()
        if not code:
            return None
        session = self.sessions.filter(code__iexact=code).first()
        if session is None:
            raise forms.ValidationError(gettext("No session has the code %(code)s.") % {"code": code})
        if not session.is_finalized:
            raise forms.ValidationError(
                gettext("Session %(code)s is not finalized: nobody has passed it yet.") % {"code": session.code}
            )
        return session

    def clean(self):
        cleaned = super().clean()
        sources = ("trainees", "service_numbers", "passed_session", "organization")
        if not self.errors and not any(cleaned.get(name) for name in sources):
            raise forms.ValidationError(
                gettext("Tick trainees in the search, paste service numbers, or choose a session or an organization.")
            )
        if cleaned.get("override_prerequisites") and not (cleaned.get("override_reason") or "").strip():
            self.add_error("override_reason", gettext("Give the reason for overriding the prerequisites."))
        return cleaned

    def people(self):
        """(trainees to enrol in order, without repeats; [(line, reason)] of pasted lines that name nobody)."""
        people = list(self.cleaned_data.get("trainees") or [])
        unmatched = []
        lines = []
        for line in (self.cleaned_data.get("service_numbers") or "").splitlines():
            tokens = [token for token in re.split(r"[\s,;]+", line.strip()) if token]
            if tokens:
                lines.append((line.strip(), tokens[0], tokens[1].upper() if len(tokens) > 1 else ""))
        if lines:
            found = {}
            for trainee in self.visible.filter(service_number__in={number for _line, number, _n in lines}):
                found.setdefault(trainee.service_number, []).append(trainee)
            for line, number, nationality in lines:
                matches = [t for t in found.get(number, []) if not nationality or t.nationality.code == nationality]
                if len(matches) == 1:
                    people.append(matches[0])
                elif matches:
                    unmatched.append((line, gettext("Several trainees have this service number: add the nationality.")))
                else:
                    unmatched.append(
                        (
                            line,
                            gettext("No trainee has this service number and nationality.")
                            if nationality
                            else gettext("No trainee has this service number."),
                        )
                    )
        order = name_order()
        if self.cleaned_data.get("passed_session"):
            people += self.visible.filter(
                enrollments__session=self.cleaned_data["passed_session"],
                enrollments__status=Enrollment.Status.ENROLLED,
                enrollments__result=Enrollment.Result.PASSED,
            ).order_by(*order)[: services.MAX_ENROL_AT_ONCE + 1]
        if self.cleaned_data.get("organization"):
            people += self.visible.filter(organization=self.cleaned_data["organization"]).order_by(*order)[
                : services.MAX_ENROL_AT_ONCE + 1
            ]
        return list({trainee.pk: trainee for trainee in people}.values()), unmatched


class OverrideEnrollForm(NamedInputsMixin, EnrollForm):
    """Enrol despite missing prerequisites; the reason is recorded on the enrolment."""

    override_reason = forms.CharField(
        label=_("Reason for overriding the prerequisites"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded on the enrolment and kept in its history."),
    )

    def clean_override_reason(self):
        reason = self.cleaned_data["override_reason"].strip()
        if not reason:
            raise forms.ValidationError(gettext("Give the reason for overriding the prerequisites."))
        return reason


class ReopenForm(PlainTextFormMixin, NamedInputsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the session's history. Certificates stay as they are until it is finalized again."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(gettext("Give the reason for reopening this session."))
        return reason


class ResultRowForm(PlainTextFormMixin, forms.Form):
    """One trainee's row of the results grid; the hidden enrolment id ties the row to its trainee,
    so a class list that changed since the page was opened cannot shift results between people."""

    enrollment = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(label=_("Result"), choices=Enrollment.Result.choices)
    score = forms.DecimalField(
        label=_("Score"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )
    attendance = forms.IntegerField(
        label=_("Attendance (%)"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"step": "1", "min": "0", "max": "100"}),
    )
    remarks = forms.CharField(
        label=_("Remarks"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1})
    )

    def __init__(self, *args, enrollment=None, course=None, read_only=False, finalizing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = enrollment  # not `enrollment`: templates would find the hidden field first
        self.course = course
        self.finalizing = finalizing
        name = enrollment.trainee.full_name if enrollment is not None else ""
        labels = {
            "result": gettext("Result for %(name)s"),
            "score": gettext("Score for %(name)s"),
            "attendance": gettext("Attendance for %(name)s"),
            "remarks": gettext("Remarks for %(name)s"),
        }
        for field_name, label in labels.items():
            field = self.fields[field_name]
            field.widget.attrs["aria-label"] = label % {"name": name}
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if field_name == "result" else "form-control form-control-sm"
            )
            field.disabled = read_only

    def clean_enrollment(self):
        if self.record is None:
            raise forms.ValidationError(
                gettext("This row is not an enrolled trainee of this session: reload the page.")
            )
        return self.record.pk

    def full_clean(self):
        super().full_clean()
        # Rendered by hand in the grid, so mark the invalid inputs here (Bootstrap and screen readers).
        for name in self.errors:
            if name in self.fields and name != "enrollment":
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def clean(self):
        cleaned = super().clean()
        if self.course is not None and "result" in cleaned and "score" in cleaned:
            error = services.result_error(course=self.course, result=cleaned["result"], score=cleaned["score"])
            if error:
                self.add_error("score", error)
        if self.finalizing and cleaned.get("result") == Enrollment.Result.PENDING:
            self.add_error("result", gettext("Record a result before finalizing the session."))
        return cleaned

    def values(self):
        return {name: self.cleaned_data[name] for name in services.RESULT_FIELDS}


class BaseResultsFormSet(forms.BaseFormSet):
    """The whole class in one form: a row per ENROLLED enrolment, matched by its id (never by
    position) against the enrolments loaded once for the page."""

    def __init__(self, data=None, *, enrollments, course, read_only=False, finalizing=False, **kwargs):
        self.enrollments = list(enrollments)
        self.by_pk = {enrollment.pk: enrollment for enrollment in self.enrollments}
        self.course = course
        self.read_only = read_only
        self.finalizing = finalizing  # the Finalize button: every row needs a result
        if data is None:
            kwargs["initial"] = [
                {
                    "enrollment": enrollment.pk,
                    "result": enrollment.result,
                    "score": plain(enrollment.score),  # 62, 92.5: as every page prints it
                    "attendance": enrollment.attendance,
                    "remarks": enrollment.remarks,
                }
                for enrollment in self.enrollments
            ]
        super().__init__(data, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self.is_bound:
            raw = self.data.get(f"{self.add_prefix(index)}-enrollment", "")
            enrollment = self.by_pk.get(parse_id(raw))
        else:
            enrollment = self.enrollments[index] if index < len(self.enrollments) else None
        return {
            **kwargs,
            "enrollment": enrollment,
            "course": self.course,
            "read_only": self.read_only,
            "finalizing": self.finalizing,
        }

    def clean(self):
        if any(self.errors):
            return
        seen = [form.record.pk for form in self.forms]
        if len(seen) != len(set(seen)):
            raise forms.ValidationError(gettext("A trainee appears twice in the grid; nothing was saved."))

    def results(self):
        """{enrolment id: {result, score, attendance, remarks}}, for services.record_results."""
        return {form.record.pk: form.values() for form in self.forms}


ResultsFormSet = forms.formset_factory(ResultRowForm, formset=BaseResultsFormSet, extra=0)
