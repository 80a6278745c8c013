"""Triage in the admin. Group status and assignee change only through triage.actions (row lock,
activity row), as flag changes go through flags.changes; the rest of a group is read-only here."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from projects.models import Project
from triage import actions
from triage.edge.keys import revoke_key
from triage.fingerprint import parse_rules
from triage.models import ErrorGroup, GroupStatus, ProjectKey, Release


class ProjectKeyInline(admin.TabularInline):
    model = ProjectKey
    extra = 0
    fields = ["label", "public_key", "dsn", "created_at", "revoked_at"]
    readonly_fields = ["public_key", "dsn", "created_at", "revoked_at"]

    @admin.display(description="DSN")
    def dsn(self, key):
        return key.dsn() if key.pk else ""


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = "__all__"

    def clean_grouping_rules(self):
        rules = self.cleaned_data["grouping_rules"]
        try:
            parse_rules(rules)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return rules


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
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
            revoke_key(key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "project", "first_seen", "last_seen"]
    list_filter = ["project"]


class GroupForm(forms.ModelForm):
    """Only the assignee is edited in the form; status changes are the list's actions."""

    class Meta:
        model = ErrorGroup
        fields = ["assignee"]

    def clean_assignee(self):
        assignee = self.cleaned_data["assignee"]
        if assignee is not None:
            try:
                actions.project_member(self.instance.project, assignee.get_username())
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return assignee


@admin.register(ErrorGroup)
class ErrorGroupAdmin(admin.ModelAdmin):
    form = GroupForm
    list_display = ["title", "project", "status", "substatus", "event_count", "last_seen", "assignee"]
    list_filter = ["project", "status"]
    search_fields = ["title", "culprit"]
    readonly_fields = [
        "project", "title", "culprit", "level", "status", "substatus", "fingerprint", "algorithm", "components",
        "event_count", "users_affected", "first_seen", "last_seen", "first_release", "last_release",
        "resolved_at", "resolved_in_release", "ignore_until", "ignore_until_count",
    ]
    actions = ["resolve", "reopen", "ignore"]

    def has_add_permission(self, request):
        return False  # groups come from events

    def save_model(self, request, obj, form, change):
        if "assignee" in form.changed_data:
            actions.assign(ErrorGroup.objects.get(pk=obj.pk), obj.assignee, actor=request.user, now=timezone.now())

    @admin.action(description="Resolve selected groups", permissions=["change"])
    def resolve(self, request, queryset):
        self._apply(request, queryset, actions.resolve, GroupStatus.RESOLVED, "Resolved")

    @admin.action(description="Reopen selected groups", permissions=["change"])
    def reopen(self, request, queryset):
        self._apply(request, queryset, actions.reopen, GroupStatus.UNRESOLVED, "Reopened")

    @admin.action(description="Ignore selected groups (until reopened)", permissions=["change"])
    def ignore(self, request, queryset):
        self._apply(request, queryset, actions.ignore, GroupStatus.IGNORED, "Ignored")

    def _apply(self, request, queryset, action, status: str, done: str) -> None:
        """Groups already in `status` are left alone (no second activity row)."""
        now, groups = timezone.now(), list(queryset.exclude(status=status))
        for group in groups:
            action(group, actor=request.user, now=now)
        self.message_user(request, f"{done} {len(groups)} group(s).", messages.SUCCESS)
