"""The REST API's endpoints: thin views over the apps' querysets, forms and services.

Every list and record is read through the owning app's `visible_to(user)` (a token acts as its
user), so what a token sees is what its user sees on the pages; writes call the same
services and forms as the pages and answer with their messages.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from certifications import credentials, verification
from certifications.filters import CertificationFilter
from certifications.models import Certification
from common.clients import client_ip
from courses import services as course_services
from courses.filters import CourseFilter, SessionFilter
from courses.forms import ResultsGrid
from courses.models import Course, CourseSession, Enrollment
from trainees.exports import trainee_rows
from trainees.filters import TraineeFilter
from trainees.imports import KEY_COLUMNS, country_code, import_rows
from trainees.models import Organization, Trainee, name_order

from . import serializers as s
from .filters import EnrollmentFilter, OrganizationFilter
from .models import ApiToken
from .permissions import AdministratorWrites
from .problems import BulkRowsInvalid
from .services import record_use


class ApiMixin:
    # Speak the token user's saved language, and log every request made with a token.
    lookup_value_regex = "[0-9]+"  # ids only; any other path is the catch-all's 404

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        try:
            token = request.auth
        except exceptions.APIException:
            token = None
        if isinstance(token, ApiToken):
            record_use(
                token=token,
                method=request.method,
                path=request.path,
                status=response.status_code,
                client_ip=client_ip(request),
            )
        return response


def _import_errors(report, *, rows):
    """The import report's errors as problem `errors`, with the row's position when `rows`."""
    errors = []
    for error in report.errors:
        item = {"field": error.column, "message": error.message, "code": "invalid"}
        if error.value:
            item["value"] = error.value
        if rows and error.row is not None:
            item["row"] = error.row
        errors.append(item)
    return errors


def _text_row(validated):
    return {name: "" if value is None else value for name, value in validated.items()}


def _refs(planned_rows):
    return [
        {
            "row": planned.row,
            "id": planned.trainee.pk if planned.trainee is not None else None,
            "service_number": planned.service_number,
            "nationality": planned.nationality,
        }
        for planned in planned_rows
    ]


def _report_data(report):
    return {
        "committed": report.committed,
        "summary": report.summary(),
        "created": _refs(report.created),
        "updated": [
            {**ref, "changes": [{"column": c.column, "old": c.old, "new": c.new} for c in planned.changes]}
            for ref, planned in zip(_refs(report.updated), report.updated, strict=True)
        ],
        "unchanged": _refs(report.unchanged),
        "new_organizations": [organization.name for organization in report.new_organizations],
    }


@extend_schema_view(
    list=extend_schema(summary="Organizations the token's user may see"),
    retrieve=extend_schema(summary="One organization"),
)
class OrganizationViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Organizations (units, agencies, partner-nation services): all for administrators, else
    those of the trainees the token's user sees."""

    serializer_class = s.OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering = ("name", "id")

    def get_queryset(self):
        return Organization.objects.visible_to(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Trainees the token's user may see (the trainee list's filters)"),
    retrieve=extend_schema(summary="One trainee"),
)
class TraineeViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Trainees. Writes (administrators) are import rows: the same columns, validation and
    messages as a CSV import, matched on (service_number, nationality)."""

    serializer_class = s.TraineeSerializer
    filterset_class = TraineeFilter
    permission_classes = [*APIView.permission_classes, AdministratorWrites]
    ordering = name_order()

    def get_queryset(self):
        return Trainee.objects.visible_to(self.request.user).select_related("organization")

    def _import_one(self, row):
        report = import_rows([row], commit=True, first_row=0, source="api")
        if not report.ok:
            raise BulkRowsInvalid(_("The trainee was not saved."), _import_errors(report, rows=False))
        planned = (report.created or report.updated or report.unchanged)[0]
        trainee = self.get_queryset().get(pk=planned.trainee.pk)
        return trainee, bool(report.created)

    @extend_schema(
        summary="Create or update a trainee from one import row",
        request=s.TraineeRowSerializer,
        responses={201: s.TraineeSerializer, 200: s.TraineeSerializer},
    )
    def create(self, request):
        serializer = s.TraineeRowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        trainee, created = self._import_one(_text_row(serializer.validated_data))
        return Response(
            s.TraineeSerializer(trainee).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Change a trainee: the columns given, as an import row",
        request=s.TraineeRowSerializer,
        responses={200: s.TraineeSerializer},
    )
    def partial_update(self, request, pk=None):
        trainee = self.get_object()
        serializer = s.TraineeRowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = _text_row(serializer.validated_data)
        current = dict(zip(s.COLUMNS, next(trainee_rows(Trainee.objects.filter(pk=trainee.pk))), strict=True))
        for name in KEY_COLUMNS:
            value = given.get(name)
            same = value is None or ((country_code(value) if name == "nationality" else value.strip()) == current[name])
            if not same:
                raise exceptions.ValidationError(
                    {name: [_("The service number and nationality identify the trainee: they cannot be changed here.")]}
                )
        trainee, _created = self._import_one({**current, **given, **{name: current[name] for name in KEY_COLUMNS}})
        return Response(s.TraineeSerializer(trainee).data)

    @extend_schema(
        summary="Create or update many trainees, all or nothing",
        request=s.TraineeBulkSerializer,
        responses={200: s.ImportReportSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Import rows as a file's rows are imported: every row is validated first, and any
        error in any row writes nothing and lists every error with its row (from 0)."""
        serializer = s.TraineeBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = [_text_row(row) for row in serializer.validated_data["trainees"]]
        report = import_rows(rows, commit=not serializer.validated_data["dry_run"], first_row=0, source="api")
        if not report.ok:
            count = report.error_count
            raise BulkRowsInvalid(
                ngettext("Nothing was imported: %(count)d error.", "Nothing was imported: %(count)d errors.", count)
                % {"count": count},
                _import_errors(report, rows=True),
            )
        return Response(_report_data(report))


@extend_schema_view(
    list=extend_schema(summary="The course catalogue (the catalogue page's filters)"),
    retrieve=extend_schema(summary="One course"),
)
class CourseViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """The course catalogue: all for administrators and instructors, else the courses of the
    trainee's own sessions."""

    serializer_class = s.CourseSerializer
    filterset_class = CourseFilter
    ordering = ("code", "id")

    def get_queryset(self):
        return Course.objects.visible_to(self.request.user).select_related("grants").prefetch_related("prerequisites")


@extend_schema_view(
    list=extend_schema(summary="Sessions the token's user may see (the session list's filters)"),
    retrieve=extend_schema(summary="One session"),
)
class SessionViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Scheduled sessions: all for administrators, those taught for instructors, those enrolled
    in for trainees. `period` is upcoming, running or past, as the session list's tabs."""

    serializer_class = s.SessionSerializer
    filterset_class = SessionFilter
    ordering = ("starts_on", "code", "id")

    def get_queryset(self):
        return (
            CourseSession.objects.visible_to(self.request.user).select_related("course").prefetch_related("instructors")
        )

    def filterset_kwargs(self):
        return {"today": timezone.localdate()}

    @extend_schema(
        summary="Record results for the session's class (its instructors and administrators)",
        request=s.ResultsSerializer,
        responses={200: s.ResultsSavedSerializer},
    )
    @action(detail=True, methods=["post"])
    def results(self, request, pk=None):
        """Validated as the results grid validates a row (a field left out keeps its value), then
        saved by courses.services.record_results, all or nothing."""
        session = get_object_or_404(
            CourseSession.objects.recordable_by(request.user).select_related("course__grants"), pk=pk
        )
        serializer = s.ResultsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if session.is_finalized:
            course_services.record_results(session=session, results={}, by=request.user)  # says it is finalized
        rows = serializer.validated_data["results"]
        enrollments = list(
            session.enrollments.filter(status=Enrollment.Status.ENROLLED).select_related("trainee").order_by("pk")
        )
        by_pk = {enrollment.pk: enrollment for enrollment in enrollments}
        data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": "0"}
        for index, row in enumerate(rows):
            stored = by_pk.get(row["enrollment"])
            values = {name: getattr(stored, name) for name in course_services.RESULT_FIELDS} if stored else {}
            values.update({name: value for name, value in row.items() if name != "enrollment"})
            data[f"form-{index}-enrollment"] = str(row["enrollment"])
            for name in course_services.RESULT_FIELDS:
                value = values.get(name)
                data[f"form-{index}-{name}"] = "" if value is None else str(value)
        grid = ResultsGrid(data, enrollments=enrollments, course=session.course)
        if not grid.is_valid():
            errors = [{"field": "", "message": message, "code": "invalid"} for message in grid.non_form_errors()]
            for index, row_errors in enumerate(grid.errors):
                for field, messages in row_errors.items():
                    errors.extend(
                        {"row": index, "field": field, "message": message, "code": "invalid"} for message in messages
                    )
            raise BulkRowsInvalid(_("Nothing was saved: the results have errors."), errors)
        changed = course_services.record_results(session=session, results=grid.results(), by=request.user)
        if changed:
            detail = _("Results saved (%(count)d rows changed).") % {"count": changed}
        else:
            detail = _("Nothing changed: the results were already saved.")
        return Response({"changed": changed, "detail": detail})


@extend_schema_view(
    list=extend_schema(summary="Enrolments with their results (drafts only for the session's staff)"),
    retrieve=extend_schema(summary="One enrolment"),
)
class EnrollmentViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Enrolments with their results. Draft results (a session not yet finalized) are for the
    session's instructors and administrators only (courses' Enrollment.objects.visible_to)."""

    serializer_class = s.EnrollmentSerializer
    filterset_class = EnrollmentFilter
    permission_classes = [*APIView.permission_classes, AdministratorWrites]
    ordering = ("id",)

    def get_queryset(self):
        return Enrollment.objects.visible_to(self.request.user).select_related("session", "trainee")

    @extend_schema(
        summary="Enrol a trainee in a session (waitlisted when full; prerequisites checked)",
        request=s.EnrollSerializer,
        responses={201: s.EnrollmentSerializer},
    )
    def create(self, request):
        serializer = s.EnrollSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enrollment = course_services.enroll(
            session=data["session"],
            trainee=data["trainee"],
            by=request.user,
            override_prerequisites=data["override_prerequisites"],
            override_reason=data["override_reason"],
        )
        enrollment = self.get_queryset().get(pk=enrollment.pk)
        return Response(s.EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Certifications the token's user may see"),
    retrieve=extend_schema(summary="One certification"),
)
class CertificationViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Issued certifications: all for administrators, else the user's own. `state` is the state
    the pages show (valid, expiring, expired, revoked, superseded); `expiring_within` takes the
    current ones expiring from today to that many days ahead, as the expiring report."""

    serializer_class = s.CertificationSerializer
    filterset_class = CertificationFilter
    ordering = ("issued_on", "id")

    def get_queryset(self):
        return Certification.objects.visible_to(self.request.user).select_related("trainee", "type")

    def filterset_kwargs(self):
        return {"today": timezone.localdate()}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class VerifyView(ApiMixin, APIView):
    """Public: what the verification page says about a certificate, as JSON."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # the verification page's own limit, per client address, shared with it

    @extend_schema(
        summary="Verify a certificate by its code (public)",
        responses={200: s.VerificationSerializer, 404: OpenApiResponse(description="No certificate has this code.")},
        auth=[],
    )
    def get(self, request, code):
        if verification.rate_limited(request):
            _limit, period = verification.parse_rate(settings.VERIFY_RATE_LIMIT)
            raise exceptions.Throttled(wait=period)
        certification = verification.find_certification(code)
        if certification is None:
            raise exceptions.NotFound(_("No certificate has this code."))
        facts = {
            **verification.public_facts(certification, timezone.localdate()),
            "issuer_did": credentials.issuer_did(),
        }
        response = Response(s.VerificationSerializer(facts).data)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response


class RootView(APIView):
    """The API's entry point: links to its resources, schema and documentation."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        names = ["organization", "trainee", "course", "session", "enrollment", "certification"]
        links = {f"{name}s": reverse(f"api:{name}-list", request=request) for name in names}
        links["schema"] = reverse("api:schema", request=request)
        links["docs"] = reverse("api:docs", request=request)
        return Response(links)


class NotFoundView(APIView):
    """Any other path under /api/v1/: a problem document, not an HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    post = put = patch = delete = head = options = get
