from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope", "hint", "expires_at", "revoked_at", "last_used_at", "use_count"]
    list_select_related = ["user"]
    readonly_fields = [
        "digest",
        "hint",
        "user",
        "created_at",
        "created_by",
        "revoked_by",
        "last_used_at",
        "use_count",
    ]

    def has_add_permission(self, request):
        return False  # tokens are created on /api/tokens/ or by create_api_token (shown once)
