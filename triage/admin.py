from django.contrib import admin, messages

from triage import projects
from triage.models import ApiToken, ErrorGroup, Project, ProjectKey, Release


class ProjectKeyInline(admin.TabularInline):
    model = ProjectKey
    extra = 0
    fields = ["label", "public_key", "dsn", "created_at", "revoked_at"]
    readonly_fields = ["public_key", "dsn", "created_at", "revoked_at"]

    @admin.display(description="DSN")
    def dsn(self, key):
        return key.dsn() if key.pk else ""


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    inlines = [ProjectKeyInline]


@admin.register(ProjectKey)
class ProjectKeyAdmin(admin.ModelAdmin):
    list_display = ["project", "label", "public_key", "created_at", "revoked_at"]
    list_filter = ["project"]
    readonly_fields = ["public_key", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            projects.revoke_key(key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "label", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "project", "first_seen", "last_seen"]
    list_filter = ["project"]


@admin.register(ErrorGroup)
class ErrorGroupAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "status", "event_count", "last_seen", "assignee"]
    list_filter = ["project", "status"]
    search_fields = ["title", "culprit"]
    readonly_fields = ["fingerprint", "algorithm", "components", "event_count", "users_affected", "first_seen", "last_seen"]
