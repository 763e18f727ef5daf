"""The API's deployment endpoints: requirement profiles, deployments with their nominations and
each nominee's readiness, nominating (deployments.services.nominate), and readiness over a window
(deployments.readiness), all through deployments' own querysets and forms."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from deployments import services as deployment_services
from deployments.forms import PoolForm, WindowForm
from deployments.models import Deployment, Nomination, RequirementProfile
from deployments.readiness import assess, pool, readiness, with_readiness
from trainees.models import Trainee, name_order

from .pagination import KeysetCursorPagination
from .permissions import AdministratorWrites
from .views import ApiMixin


def _visible_profiles(form, user):
    """The page's form, offering only the profiles `user` may see."""
    field = form.fields["profile"]
    field.queryset = field.queryset.filter(pk__in=RequirementProfile.objects.visible_to(user).values("pk"))
    return form


def _form_errors(form):
    """A page form's errors as the API's validation error (400 problem, field by field)."""
    return exceptions.ValidationError(
        {name or "non_field_errors": list(errors) for name, errors in form.errors.items()}
    )


class ProfileSerializer(serializers.ModelSerializer):
    required_types = serializers.SlugRelatedField(slug_field="code", read_only=True, many=True)
    languages = serializers.SerializerMethodField()

    class Meta:
        model = RequirementProfile
        fields = [
            "id",
            "code",
            "name",
            "role",
            "description",
            "required_types",
            "min_age",
            "min_service_years",
            "languages",
            "is_active",
        ]

    def get_languages(self, profile) -> list[dict[str, str]]:
        return [{"language": item.language, "minimum": item.minimum} for item in profile.languages.all()]


class DeploymentSerializer(serializers.ModelSerializer):
    profile = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Deployment
        fields = ["id", "code", "mission", "profile", "starts_on", "ends_on", "positions", "status", "notes"]


class RenewalSerializer(serializers.Serializer):
    session = serializers.CharField(source="session.code")
    starts_on = serializers.DateField(source="session.starts_on")
    seats_left = serializers.IntegerField()


class FailureSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="The requirement: a certification type's code, age, service or language:<code>."
    )
    reason = serializers.CharField()
    reason_label = serializers.CharField()
    lapses_on = serializers.DateField(allow_null=True, help_text="A certification's last valid day.")
    renewal = RenewalSerializer(allow_null=True, help_text="The next session that would renew it before the start.")


class ReadinessSerializer(serializers.Serializer):
    trainee = serializers.IntegerField(source="trainee.pk")
    trainee_name = serializers.CharField(source="trainee.full_name")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    ready = serializers.BooleanField()
    lapses_on = serializers.DateField(allow_null=True)
    failures = FailureSerializer(many=True)


class NominationSerializer(serializers.ModelSerializer):
    deployment_code = serializers.CharField(source="deployment.code", read_only=True)
    trainee_name = serializers.CharField(source="trainee.full_name", read_only=True)

    class Meta:
        model = Nomination
        fields = [
            "id",
            "deployment",
            "deployment_code",
            "trainee",
            "trainee_name",
            "status",
            "nominated_at",
            "ready_when_nominated",
            "warning",
            "notes",
        ]


class NomineeSerializer(NominationSerializer):
    readiness = ReadinessSerializer(help_text="Readiness now, over the deployment's dates.")

    class Meta(NominationSerializer.Meta):
        fields = [*NominationSerializer.Meta.fields, "readiness"]


class NominateSerializer(serializers.Serializer):
    trainees = serializers.PrimaryKeyRelatedField(many=True, queryset=Trainee.objects.none(), allow_empty=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["trainees"].child_relation.queryset = Trainee.objects.visible_to(request.user)


def _nominees(pairs):
    rows = []
    for nomination, result in pairs:
        nomination.readiness = result
        rows.append(nomination)
    return NomineeSerializer(rows, many=True).data


@extend_schema_view(
    list=extend_schema(summary="Requirement profiles per UN role"), retrieve=extend_schema(summary="One profile")
)
class ProfileViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Requirement profiles (the administrators' tool: nobody else sees them)."""

    serializer_class = ProfileSerializer
    ordering = ("code", "id")
    filter_backends = []

    def get_queryset(self):
        return RequirementProfile.objects.visible_to(self.request.user).prefetch_related("required_types", "languages")


@extend_schema_view(list=extend_schema(summary="Planned deployments"), retrieve=extend_schema(summary="One deployment"))
class DeploymentViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Deployments (administrators). `status` filters as on the deployment list."""

    serializer_class = DeploymentSerializer
    ordering = ("starts_on", "code", "id")
    filter_backends = []
    permission_classes = [*APIView.permission_classes, AdministratorWrites]

    def get_queryset(self):
        queryset = Deployment.objects.visible_to(self.request.user).select_related("profile")
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted is not None:
            if wanted not in Deployment.Status.values:
                raise exceptions.ValidationError(
                    {"status": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Deployment.Status.values)}]}
                )
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Deployment.Status.values)],
        summary="Planned deployments",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        methods=["GET"],
        summary="The deployment's nominees, each with readiness now",
        responses={200: NomineeSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Nominate people (allowed when not ready: the warning is recorded and the training officer told)",
        request=NominateSerializer,
        responses={201: NomineeSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def nominations(self, request, pk=None):
        deployment = self.get_object()
        if request.method == "POST":
            serializer = NominateSerializer(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            made = deployment_services.nominate(
                deployment=deployment,
                trainees=serializer.validated_data["trainees"],
                by=request.user,
                notes=serializer.validated_data["notes"],
            )
            nominations = Nomination.objects.filter(pk__in=[n.pk for n in made])
            status_code = status.HTTP_201_CREATED
        else:
            nominations = Nomination.objects.visible_to(request.user).filter(deployment=deployment)
            status_code = status.HTTP_200_OK
        nominations = nominations.select_related("deployment__profile", "trainee").order_by(*name_order("trainee__"))
        return Response(_nominees(with_readiness(nominations)), status=status_code)


@extend_schema_view(
    list=extend_schema(summary="Nominations the token's user may see"), retrieve=extend_schema(summary="One nomination")
)
class NominationViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Nominations: all for administrators, a trainee's own for a trainee."""

    serializer_class = NominationSerializer
    ordering = ("id",)
    filter_backends = []

    def get_queryset(self):
        return Nomination.objects.visible_to(self.request.user).select_related("deployment", "trainee")


WINDOW_PARAMETERS = [
    OpenApiParameter("profile", OpenApiTypes.STR, required=True, description="The requirement profile's code."),
    OpenApiParameter("starts_on", OpenApiTypes.DATE, required=True),
    OpenApiParameter("ends_on", OpenApiTypes.DATE, required=True),
]


class TraineeReadinessView(ApiMixin, APIView):
    @extend_schema(
        summary="Is this trainee ready for a profile over a window; if not, why",
        parameters=WINDOW_PARAMETERS,
        responses={200: ReadinessSerializer},
    )
    def get(self, request, pk):
        trainee = get_object_or_404(Trainee.objects.visible_to(request.user), pk=pk)
        form = _visible_profiles(WindowForm(request.query_params), request.user)
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        return Response(
            ReadinessSerializer(readiness(trainee, data["profile"], data["starts_on"], data["ends_on"])).data
        )


class ReadinessPoolView(ApiMixin, APIView):
    ordering = name_order()

    @extend_schema(
        summary="Who is ready for a profile over a window (the /readiness/ page's search)",
        parameters=[
            *WINDOW_PARAMETERS,
            OpenApiParameter("organization", OpenApiTypes.INT),
            OpenApiParameter("category", OpenApiTypes.STR, enum=Trainee.Category.values),
            OpenApiParameter("nationality", OpenApiTypes.STR),
            OpenApiParameter("gender", OpenApiTypes.STR, enum=Trainee.Gender.values),
        ],
        responses={200: ReadinessSerializer(many=True)},
    )
    def get(self, request):
        form = _visible_profiles(PoolForm(request.query_params), request.user)
        if not form.is_valid():
            raise _form_errors(form)
        data = form.cleaned_data
        found = pool(
            data["profile"],
            data["starts_on"],
            data["ends_on"],
            trainees=form.trainees(Trainee.objects.visible_to(request.user)),
        )
        paginator = KeysetCursorPagination()
        page = paginator.paginate_queryset(found.ready, request, view=self)
        results = assess(
            Trainee.objects.filter(pk__in=[t.pk for t in page]).order_by(*name_order()),
            data["profile"],
            data["starts_on"],
            data["ends_on"],
            pool=found,
        )
        return paginator.get_paginated_response(ReadinessSerializer(results, many=True).data)
