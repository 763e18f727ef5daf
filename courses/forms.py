"""Forms of the course and session pages: the catalogue, sessions, enrolment, reopening and
the instructor's results grid."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.formsets import DEFAULT_MAX_NUM, INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from certifications.models import CertificationType
from common.numbers import plain
from common.parsing import parse_id
from common.permissions import INSTRUCTORS
from common.renderers import escape_html
from common.text import PlainTextFormMixin, isolate, refuse_control_characters
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


class GridRow:
    """One trainee's row of the results grid: what its inputs show (strings, "" for empty), its
    errors by field and, once valid, its values for services.record_results."""

    FIELDS = ("enrollment", *services.RESULT_FIELDS)
    __slots__ = ("grid", "index", "record", "values", "errors", "cleaned")

    def __init__(self, grid, index, record, values):
        self.grid = grid
        self.index = index
        self.record = record  # the Enrollment its hidden id names, or None
        self.values = values  # {field: str} for FIELDS, as typed or as stored
        self.errors = {}  # {field: [message]}
        self.cleaned = {}

    @property
    def prefix(self):
        return f"{self.grid.prefix}-{self.index}"

    def cells(self):
        """The row's <th> and <td>s, written here rather than by a template loop or widgets (a
        200-row grid is 1,000 inputs): the markup Django's widgets wrote for the per-row form
        this replaced, byte for byte (names, ids, attributes, ARIA, errors under the input)."""
        prefix, values = self.prefix, self.values
        trainee = self.record.trainee if self.record is not None else None
        name = trainee.full_name if trainee is not None else ""
        labels = {field: escape_html(label % {"name": name}) for field, label in self.grid.labels.items()}
        disabled = " disabled" if self.grid.read_only else ""

        def value(field):
            return f' value="{escape_html(values[field])}"' if values[field] else ""

        def attrs(field, classes):
            """After the type, name and value: accessible name, classes, ARIA when invalid, id."""
            control = f"id_{prefix}-{field}"
            invalid = (
                f' is-invalid" aria-invalid="true" aria-describedby="{control}_error' if field in self.errors else ""
            )
            return f' aria-label="{labels[field]}" class="{classes}{invalid}"{disabled} id="{control}"'

        def errors(field, described=True):
            described = f' id="id_{prefix}-{field}_error"' if described else ""
            return "".join(
                f'<div class="invalid-feedback d-block"{described}>{escape_html(error)}</div>'
                for error in self.errors.get(field, ())
            )

        return mark_safe(  # noqa: S308 - every value is escaped
            "\n            ".join(
                (
                    '<th scope="row" class="fw-normal grid-name">',
                    f'  <input type="hidden" name="{prefix}-enrollment"{value("enrollment")} id="id_{prefix}-enrollment">'
                    f"{isolate(name or '—')}",
                    f"  {errors('enrollment', described=False)}",
                    "</th>",
                    f'<td class="service-number">{escape_html(trainee.service_number) if trainee else ""}</td>',
                    f'<td><select name="{prefix}-result"{attrs("result", "form-select form-select-sm")}>'
                    f"{self.grid.options(values['result'])}\n</select>{errors('result')}</td>",
                    f'<td><input type="number" name="{prefix}-score"{value("score")} step="0.01" min="0" max="100"'
                    f"{attrs('score', 'form-control form-control-sm')}>{errors('score')}</td>",
                    f'<td><input type="number" name="{prefix}-attendance"{value("attendance")} step="1" min="0"'
                    f' max="100"{attrs("attendance", "form-control form-control-sm")}>{errors("attendance")}</td>',
                    f'<td><textarea name="{prefix}-remarks" cols="40" rows="1" maxlength="2000"'
                    f"{attrs('remarks', 'form-control form-control-sm')}>\n{escape_html(values['remarks'])}</textarea>"
                    f"{errors('remarks')}</td>",
                )
            )
        )


class ResultsGrid:
    """The whole class's results in one form: a row per ENROLLED enrolment, matched by its hidden
    id (never by position) against the enrolments loaded once for the page, so a class list that
    changed since the page was opened cannot shift results between people.

    The wire format is a Django formset's (a management form, `form-<i>-<field>`), but there is
    no Form per row: the columns' fields are built once per grid and every row's raw values go
    through their clean() in one pass, and the rows are written from plain strings (GridRow),
    not through 1,000 BoundFields and widget renderings. The grid only checks input:
    services.record_results saves and checks who may.
    """

    prefix = "form"
    max_num = DEFAULT_MAX_NUM  # announced as MAX_NUM_FORMS, as formset_factory's default
    absolute_max = 2 * DEFAULT_MAX_NUM  # rows read from a submission at most (Django's formset limit)
    error_messages = forms.BaseFormSet.default_error_messages  # Django's wording and translations

    def __init__(self, data=None, *, enrollments, course, read_only=False, finalizing=False):
        if read_only and data is not None:
            raise ValueError("A read-only grid is only shown: a finalized session's results take no input.")
        self.enrollments = list(enrollments)
        self.by_pk = {enrollment.pk: enrollment for enrollment in self.enrollments}
        self.course = course
        self.read_only = read_only
        self.finalizing = finalizing  # the Finalize button: every row needs a result
        self.data = data
        self.is_bound = data is not None
        self.fields = {
            "result": forms.ChoiceField(choices=Enrollment.Result.choices),
            "score": forms.DecimalField(required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2),
            "attendance": forms.IntegerField(required=False, min_value=0, max_value=100),
            "remarks": forms.CharField(required=False, max_length=2000),
        }
        refuse_control_characters(self.fields.values())
        self._non_form_errors = []

    @cached_property
    def management_form(self):
        """Django's own management form, bound to the submission or announcing the class size."""
        if self.is_bound:
            form = ManagementForm(self.data, prefix=self.prefix)
            form.full_clean()
            return form
        count = len(self.enrollments)
        return ManagementForm(
            prefix=self.prefix,
            initial={
                TOTAL_FORM_COUNT: count,
                INITIAL_FORM_COUNT: count,
                "MIN_NUM_FORMS": 0,
                "MAX_NUM_FORMS": self.max_num,
            },
        )

    @cached_property
    def rows(self):
        """The GridRows: the class as stored, or the submission's rows, each validated."""
        if not self.is_bound:
            return [
                GridRow(
                    self,
                    index,
                    enrollment,
                    {
                        "enrollment": str(enrollment.pk),
                        "result": enrollment.result,
                        "score": _text(plain(enrollment.score)),  # 62, 92.5: as every page prints it
                        "attendance": _text(enrollment.attendance),
                        "remarks": enrollment.remarks,
                    },
                )
                for index, enrollment in enumerate(self.enrollments)
            ]
        return self._clean()

    def non_form_errors(self):
        """Errors of the submission as a whole (a mangled management form, a trainee twice)."""
        self.rows  # noqa: B018 - validates a bound grid
        return self._non_form_errors

    @property
    def errors(self):
        """[{field: [message]}], a dict per row (empty for a valid row), as a formset's errors."""
        return [row.errors for row in self.rows]

    def is_valid(self):
        return self.is_bound and not any(row.errors for row in self.rows) and not self.non_form_errors()

    def results(self):
        """{enrolment id: {result, score, attendance, remarks}}, for services.record_results."""
        return {row.record.pk: {name: row.cleaned[name] for name in services.RESULT_FIELDS} for row in self.rows}

    @cached_property
    def labels(self):
        return {
            "result": gettext("Result for %(name)s"),
            "score": gettext("Score for %(name)s"),
            "attendance": gettext("Attendance for %(name)s"),
            "remarks": gettext("Remarks for %(name)s"),
        }

    @cached_property
    def _options(self):
        """{selected value: the <option>s}, each the markup of Django's select widget."""
        choices = [(value, escape_html(value), escape_html(label)) for value, label in Enrollment.Result.choices]
        return {
            selected: mark_safe(  # noqa: S308 - values and labels escaped above
                "".join(
                    f'\n  <option value="{html_value}"{" selected" if value == selected else ""}>{label}</option>\n'
                    for value, html_value, label in choices
                )
            )
            for selected in (*(value for value, _html, _label in choices), None)
        }

    def options(self, selected):
        """The <option>s of the result select with `selected` (a submitted value) marked."""
        return self._options.get(selected, self._options[None])

    def _clean(self):
        """The submission's rows, validated in one pass; errors of the whole in _non_form_errors."""
        management = self.management_form
        if not management.is_valid():
            error = forms.ValidationError(
                self.error_messages["missing_management_form"],
                params={"field_names": ", ".join(management.add_prefix(name) for name in management.errors)},
                code="missing_management_form",
            )
            self._non_form_errors.extend(error.messages)
        submitted = management.cleaned_data.get(TOTAL_FORM_COUNT, 0)
        rows = []
        for index in range(max(0, min(submitted, self.absolute_max))):
            # A value missing from the submission is empty, as a browser sends an empty input.
            values = {name: self.data.get(f"{self.prefix}-{index}-{name}") or "" for name in GridRow.FIELDS}
            row = GridRow(self, index, self.by_pk.get(parse_id(values["enrollment"])), values)
            self._clean_row(row)
            rows.append(row)
        if submitted > self.absolute_max:
            self._non_form_errors = [str(self.error_messages["too_many_forms"] % {"num": self.max_num})]
        elif not any(row.errors for row in rows) and len({row.record.pk for row in rows}) != len(rows):
            self._non_form_errors = [gettext("A trainee appears twice in the grid; nothing was saved.")]
        return rows

    def _clean_row(self, row):
        """The rules of a row, in the order (and with the messages) of a form's validation:
        each field, then the rules across fields."""
        errors, cleaned = row.errors, row.cleaned
        if not row.values["enrollment"]:
            errors["enrollment"] = [str(forms.Field.default_error_messages["required"])]
        elif row.record is None:
            errors["enrollment"] = [gettext("This row is not an enrolled trainee of this session: reload the page.")]
        for name, field in self.fields.items():
            try:
                cleaned[name] = field.clean(row.values[name])
            except forms.ValidationError as error:
                errors[name] = error.messages
        if "result" in cleaned and "score" in cleaned:
            error = services.result_error(course=self.course, result=cleaned["result"], score=cleaned["score"])
            if error:
                errors.setdefault("score", []).append(error)
                del cleaned["score"]
        if self.finalizing and cleaned.get("result") == Enrollment.Result.PENDING:
            errors.setdefault("result", []).append(gettext("Record a result before finalizing the session."))
            del cleaned["result"]


def _text(value):
    return "" if value is None else str(value)
