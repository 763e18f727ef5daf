"""What the API reads and writes. Reads are plain representations of the apps' models; writes
are validated for shape here (types), then by the apps' own forms and services (meaning)."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from certifications.models import Certification
from courses.models import Course, CourseSession, Enrollment
from trainees.imports import COLUMNS
from trainees.models import Organization, Trainee


class OrganizationSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "country"]


class TraineeSerializer(serializers.ModelSerializer):
    """A trainee with the import's columns as the import reads them (organization by name,
    nationality as an ISO code), so a list read here imports back unchanged."""

    organization = serializers.SerializerMethodField()
    nationality = serializers.CharField(source="nationality.code")

    class Meta:
        model = Trainee
        fields = ["id", *COLUMNS, "organization_id", "created_at", "updated_at"]

    def get_organization(self, trainee) -> str:
        return trainee.organization.name if trainee.organization_id else ""


class TraineeRowSerializer(serializers.Serializer):
    """One import row: text per column (the import's columns; a column left out is not changed)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in COLUMNS:
            self.fields[name] = serializers.CharField(
                required=False, allow_blank=True, allow_null=True, trim_whitespace=False
            )


class TraineeBulkSerializer(serializers.Serializer):
    trainees = TraineeRowSerializer(many=True, allow_empty=False, max_length=settings.API_BULK_MAX_ROWS)
    dry_run = serializers.BooleanField(default=False, help_text="Validate and say what would change; write nothing.")


class RowRefSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)
    service_number = serializers.CharField()
    nationality = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    column = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class UpdatedRowSerializer(RowRefSerializer):
    changes = ChangeSerializer(many=True)


class ImportReportSerializer(serializers.Serializer):
    committed = serializers.BooleanField()
    summary = serializers.CharField()
    created = RowRefSerializer(many=True)
    updated = UpdatedRowSerializer(many=True)
    unchanged = RowRefSerializer(many=True)
    new_organizations = serializers.ListField(child=serializers.CharField())


class CourseSerializer(serializers.ModelSerializer):
    grants = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    prerequisites = serializers.SlugRelatedField(slug_field="code", read_only=True, many=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "description",
            "category",
            "duration_hours",
            "pass_mark",
            "grants",
            "prerequisites",
            "is_active",
        ]


class InstructorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class SessionSerializer(serializers.ModelSerializer):
    course_code = serializers.CharField(source="course.code")
    course_title = serializers.CharField(source="course.title")
    instructors = InstructorSerializer(many=True)

    class Meta:
        model = CourseSession
        fields = [
            "id",
            "code",
            "course",
            "course_code",
            "course_title",
            "starts_on",
            "ends_on",
            "location",
            "capacity",
            "status",
            "instructors",
        ]


class EnrollmentSerializer(serializers.ModelSerializer):
    session_code = serializers.CharField(source="session.code", read_only=True)
    trainee_name = serializers.CharField(source="trainee.full_name", read_only=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "session",
            "session_code",
            "trainee",
            "trainee_name",
            "status",
            "result",
            "score",
            "attendance",
            "remarks",
            "recorded_at",
            "enrolled_at",
            "prerequisites_overridden",
            "override_reason",
        ]


class EnrollSerializer(serializers.Serializer):
    """Enrol a trainee in a session (courses.services.enroll decides: seat, waitlist, prerequisites)."""

    session = serializers.PrimaryKeyRelatedField(queryset=CourseSession.objects.none())
    trainee = serializers.PrimaryKeyRelatedField(queryset=Trainee.objects.none())
    override_prerequisites = serializers.BooleanField(default=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # the schema generator builds it without one
            self.fields["session"].queryset = CourseSession.objects.visible_to(request.user)
            self.fields["trainee"].queryset = Trainee.objects.visible_to(request.user)


class ResultRowSerializer(serializers.Serializer):
    """One trainee's row of the results grid; a field left out keeps its recorded value."""

    enrollment = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    result = serializers.ChoiceField(choices=Enrollment.Result.choices, required=False)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    attendance = serializers.IntegerField(required=False, allow_null=True)
    remarks = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)


class ResultsSerializer(serializers.Serializer):
    results = ResultRowSerializer(many=True, allow_empty=False)


class ResultsSavedSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    detail = serializers.CharField()


class CertificationSerializer(serializers.ModelSerializer):
    trainee_name = serializers.CharField(source="trainee.full_name")
    type_code = serializers.CharField(source="type.code")
    type_name = serializers.CharField(source="type.name")
    state = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "code",
            "trainee",
            "trainee_name",
            "type_code",
            "type_name",
            "issued_on",
            "expires_on",
            "state",
            "issuer",
            "enrollment",
            "revoked_at",
            "revoked_reason",
            "superseded_by",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Certification.State.choices))
    def get_state(self, certification):
        today = self.context.get("today") or timezone.localdate()
        return certification.state(today)


class VerificationSerializer(serializers.Serializer):
    """What the public verification page says about a certificate, and nothing more."""

    code = serializers.CharField()
    holder_name = serializers.CharField()
    certification_name = serializers.CharField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=Certification.State.choices)
    state_label = serializers.CharField()
    revoked_on = serializers.DateField(allow_null=True)
    issuer_did = serializers.CharField(help_text="The issuer's did:web: its key checks the signed credential offline.")
