"""API tokens in the admin (read-only hashes). The Project admin page is triage's
(triage/admin.py): it edits the project's DSN keys and grouping rules, both triage's concerns."""

from django.contrib import admin

from projects.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "label", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]
