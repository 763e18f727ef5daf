"""The OpenAPI schema: every operation documents its error answers as problem documents.

An answer the schema does not list is a defect that the schemathesis tests catch; so each
operation lists 400 (invalid parameters or body), 401 (bad token), 403, 404, 406, 429 and,
for writes, 415, all as application/problem+json (api/problems.py).
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers

from .problems import PROBLEM_CONTENT_TYPE

ERROR_DESCRIPTIONS = {
    "400": "The parameters or the body have errors (see `errors`).",
    "401": "No valid token: missing for this operation, unknown, expired or revoked.",
    "403": "The token's user or scope may not do this.",
    "404": "Not found, or not visible to the token's user.",
    "406": "The Accept header asks for something other than JSON.",
    "415": "The body is not JSON.",
    "429": "Too many requests: wait the seconds given in Retry-After.",
}


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field (or row and field), empty for the whole request.")
    message = serializers.CharField()
    code = serializers.CharField()
    row = serializers.IntegerField(required=False, help_text="Bulk writes: the row's position, from 0.")
    value = serializers.CharField(required=False, help_text="Bulk writes: the value refused.")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    code = serializers.CharField()
    errors = ProblemErrorSerializer(many=True, required=False)

    class Meta:
        ref_name = "Problem"


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        codes = ["400", "401", "403", "404", "406", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        for code in codes:
            responses.setdefault(
                code,
                {"description": ERROR_DESCRIPTIONS[code], "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}}},
            )
        return responses
