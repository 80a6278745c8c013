"""The admin for segments, schedules, approval requests and the approval policy (imported by
flags.admin). As there, every save and action goes through the domain functions: flags.segments,
flags.schedules, flags.approvals and flags.policy, so each change is audited and published."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from flags import approvals, policy, schedules, segments
from flags.models import ApprovalPolicy, ApprovalRequest, ApprovalStatus, Schedule, Segment
from flags.validation import InvalidChange, message, validate_environment, validate_segment_key
from projects.members import projects_for


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["project", "key", "name", "description", "included", "excluded", "rules"]

    def clean(self):
        data = super().clean()
        try:
            if not self.instance.pk:
                validate_segment_key(data.get("key"))
                if Segment.objects.filter(project=data.get("project"), key=data.get("key")).exists():
                    raise InvalidChange(f"a segment with key {data.get('key')!r} already exists in this project")
            segments.clean_fields({name: data[name] for name in segments.EDITABLE if data.get(name) is not None})
        except InvalidChange as exc:
            raise forms.ValidationError(exc.messages) from None
        return data


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Segments through flags.segments: every save and delete is audited and published. A
    segment that flags use cannot be deleted (their rules would silently stop matching)."""

    form = SegmentForm
    list_display = ["key", "name", "project", "updated_at"]
    list_filter = ["project"]
    search_fields = ["key", "name", "description"]
    fields = ["project", "key", "name", "description", "included", "excluded", "rules"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project").filter(project__in=projects_for(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["project", "key"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = projects_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # one at a time, each checked for flags using it
        return found

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and segments.flags_using(obj))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in segments.EDITABLE if name in form.cleaned_data}
        if change:
            segments.update_segment(obj, fields, actor=request.user, source="admin")
            return
        made = segments.create_segment(form.cleaned_data["project"], key=form.cleaned_data["key"], actor=request.user,
                                       source="admin", **fields)
        obj.pk, obj._state.adding = made.pk, False

    def delete_model(self, request, obj):
        segments.delete_segment(obj, actor=request.user, source="admin")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    """Schedules are made on a flag's page or over the API; here they are listed and stopped."""

    list_display = ["id", "flag", "environment", "status", "next_step", "next_at", "created_by", "reason"]
    list_filter = ["status", "environment", "flag__project"]
    readonly_fields = ["flag", "environment", "steps", "start_at", "next_step", "next_at", "status", "status_reason",
                       "reason", "created_by", "created_at", "updated_at"]
    actions = ["pause", "resume", "cancel"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("flag", "created_by").filter(flag__project__in=projects_for(request.user))

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, act, done: str):
        for schedule in queryset:
            try:
                act(schedule)
                self.message_user(request, f"Schedule #{schedule.id} {done}.", messages.SUCCESS)
            except InvalidChange as exc:
                self.message_user(request, f"Schedule #{schedule.id}: {message(exc)}", messages.ERROR)

    @admin.action(description="Pause selected schedules", permissions=["change"])
    def pause(self, request, queryset):
        self._each(request, queryset, lambda s: schedules.pause_schedule(s, actor=request.user, source="admin"), "paused")

    @admin.action(description="Resume selected schedules", permissions=["change"])
    def resume(self, request, queryset):
        self._each(request, queryset, lambda s: schedules.resume_schedule(s, actor=request.user, source="admin"), "resumed")

    @admin.action(description="Cancel selected schedules", permissions=["change"])
    def cancel(self, request, queryset):
        self._each(request, queryset, lambda s: schedules.cancel_schedule(s, actor=request.user, source="admin",
                                                                          reason="cancelled in the admin"), "cancelled")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Requests are made by held changes; a second member approves or rejects them here or on
    the dashboard (where the diff sits beside the flag's error evidence)."""

    list_display = ["id", "flag", "environment", "status", "requested_by", "created_at", "reviewed_by", "reason"]
    list_filter = ["status", "environment", "flag__project"]
    readonly_fields = ["flag", "environment", "changes", "schedule", "before", "widening", "reason", "status",
                       "requested_by", "created_at", "reviewed_by", "reviewed_at", "review_comment"]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("flag", "requested_by").filter(
            flag__project__in=projects_for(request.user))

    def has_add_permission(self, request):
        return False

    def _review(self, request, queryset, verb):
        for found in queryset.filter(status=ApprovalStatus.PENDING):
            try:
                if not request.user.has_perm("flags.change_flag"):
                    raise InvalidChange("reviewing needs the flags.change_flag permission")
                getattr(approvals, verb)(found, reviewer=request.user, source="admin")
                self.message_user(request, f"Request #{found.id}: {verb}d.", messages.SUCCESS)
            except InvalidChange as exc:
                self.message_user(request, f"Request #{found.id}: {message(exc)}", messages.ERROR)

    @admin.action(description="Approve and apply selected requests", permissions=["change"])
    def approve(self, request, queryset):
        self._review(request, queryset, "approve")

    @admin.action(description="Reject selected requests", permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, "reject")


class ApprovalPolicyForm(forms.ModelForm):
    class Meta:
        model = ApprovalPolicy
        fields = ["project", "environments"]

    def clean_environments(self):
        environments = self.cleaned_data["environments"]
        if not isinstance(environments, list):
            raise forms.ValidationError('a list of environments, e.g. ["production"]')
        try:
            return [validate_environment(e) for e in environments]
        except InvalidChange as exc:
            raise forms.ValidationError(exc.messages) from None


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    """Which environments need approval, set through flags.policy (audited)."""

    form = ApprovalPolicyForm
    list_display = ["project", "environments", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(project__in=projects_for(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["project"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = projects_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        project = obj.project if change else form.cleaned_data["project"]
        policy.set_approval_environments(project, form.cleaned_data["environments"], actor=request.user, source="admin")
        saved = ApprovalPolicy.objects.get(project=project)
        obj.pk, obj._state.adding = saved.pk, False
