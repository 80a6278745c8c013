"""The Django admin as a flag-management tool. Every save, delete and action goes through
flags.changes, flags.segments, flags.schedules, flags.approvals or flags.policy (audited,
propagated), never through a plain model save.

`enabled` is read-only in the environment inline: turning a flag on or off needs a reason, so it
is done with the actions ("Disable in production…", "Enable in an environment…"), which ask for one.
A change that needs approval is refused here with a pointer to the dashboard, where it becomes a
request; approving and rejecting requests are actions of their own list.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.template.response import TemplateResponse

from flags import audit, changes, policy, prerequisites, sdk_keys, triggers
from flags.models import Flag, FlagChange, FlagEnvironment, SdkKey, Trigger
from flags.validation import InvalidChange, message, validate_environment, validate_state, validate_variants
from projects.members import projects_for

STATE_EDITABLE = ["default_variant", "rollout_percentage", "weights", "rules", "allow_keys", "deny_keys"]


class EnvironmentFilter(admin.SimpleListFilter):
    title = "environment"
    parameter_name = "environment"

    def lookups(self, request, model_admin):
        names = FlagEnvironment.objects.values_list("environment", flat=True).distinct().order_by("environment")
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(environments__environment=self.value()).distinct() if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    """On or off: in the environment chosen in the environment filter, else anywhere/everywhere."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("on", "Enabled"), ("off", "Disabled")]

    def queryset(self, request, queryset):
        environment = request.GET.get("environment")
        if self.value() not in ("on", "off"):
            return queryset
        if environment:
            on = self.value() == "on"
            return queryset.filter(environments__environment=environment, environments__enabled=on).distinct()
        enabled_somewhere = queryset.filter(environments__enabled=True).values("pk")
        if self.value() == "on":
            return queryset.filter(pk__in=enabled_somewhere)
        return queryset.exclude(pk__in=enabled_somewhere)


class EnvironmentForm(forms.ModelForm):
    class Meta:
        model = FlagEnvironment
        fields = ["environment", *STATE_EDITABLE]
        widgets = {name: forms.Textarea(attrs={"rows": 2, "cols": 36}) for name in ["weights", "rules", "allow_keys", "deny_keys"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["environment"].disabled = True  # a state is renamed by nobody

    def clean(self):
        data = super().clean()
        variants = self.instance.flag.variants if self.instance.flag_id or hasattr(self.instance, "flag") else {}
        state = {name: data[name] for name in STATE_EDITABLE if data.get(name) is not None}
        try:
            environment = validate_environment(data.get("environment", "") or self.instance.environment)
            cleaned = validate_state(state, variants)
            if self.instance.flag_id:
                before = audit.state_snapshot(self.instance if self.instance.pk else None)
                after = {**(before or {}), **{k: audit._json(v) for k, v in cleaned.items()}}
                if before is not None:
                    policy.check_not_held(self.instance.flag, environment, before, after)
        except InvalidChange as exc:
            raise forms.ValidationError(exc.messages) from None
        return data


class EnvironmentInline(admin.StackedInline):
    """One block per environment: as table columns, its four JSON boxes made the page 2,000 px wide."""

    model = FlagEnvironment
    form = EnvironmentForm
    extra = 0
    can_delete = False
    fields = ["environment", "enabled", *STATE_EDITABLE, "updated_at"]
    readonly_fields = ["enabled", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields


class HistoryInline(admin.TabularInline):
    """The flag's audit log, read-only, newest first."""

    model = FlagChange
    fk_name = "flag"
    extra = 0
    can_delete = False
    verbose_name_plural = "audit history"
    fields = ["created_at", "environment", "who", "source", "action", "changed", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="changed")
    def changed(self, change):
        return audit.change_summary(change.before, change.after)


class FlagForm(forms.ModelForm):
    reason = forms.CharField(required=False, max_length=1000, help_text="Why this change? Recorded in the audit log.")

    class Meta:
        model = Flag
        fields = "__all__"

    def clean(self):
        data = super().clean()
        value_type = data.get("value_type", self.instance.value_type)
        try:
            if "variants" in data and "off_variant" in data:
                validate_variants(value_type, data["variants"], data["off_variant"])
            project = data.get("project") or getattr(self.instance, "project", None)
            if data.get("owner") is not None and project is not None:
                changes.check_owner(project, data["owner"])
            key = data.get("key") or self.instance.key
            data["prerequisites"] = data.get("prerequisites") or []
            if data["prerequisites"] and project is not None:
                data["prerequisites"] = prerequisites.check_prerequisites(project.id, key, data["prerequisites"], lock=False)
        except InvalidChange as exc:
            raise forms.ValidationError(exc.messages) from None
        return data


class ReasonForm(forms.Form):
    environment = forms.CharField(max_length=64)
    reason = forms.CharField(max_length=1000, widget=forms.TextInput(attrs={"size": 80}))


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    form = FlagForm
    list_display = ["key", "name", "project", "kind", "owner", "states", "updated_at", "last_evaluated_at"]
    list_filter = ["project", EnvironmentFilter, "kind", "owner", StateFilter]
    search_fields = ["key", "name", "description", "team", "ticket", "repository_path", "owner__username"]
    readonly_fields = ["created_at", "updated_at", "last_evaluated_at"]
    actions = ["disable_in_production", "disable_in_environment", "enable_in_environment"]
    fieldsets = [
        (None, {"fields": ["project", "key", "name", "description", "kind", "owner"]}),
        ("Values", {"fields": ["value_type", "variants", "off_variant", "client_side", "salt", "prerequisites"]}),
        ("Metadata", {"fields": ["team", "ticket", "repository_path", "lifetime_days", "permanent"]}),
        ("Change", {"fields": ["reason", "created_at", "updated_at", "last_evaluated_at"]}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("project", "owner").prefetch_related("environments")
        return queryset.filter(project__in=projects_for(request.user))

    def get_readonly_fields(self, request, obj=None):
        # A flag's identity (project, key, value type) is fixed: apps depend on it.
        return self.readonly_fields + (["project", "key", "value_type"] if obj else [])

    def get_inlines(self, request, obj):
        return [EnvironmentInline, HistoryInline] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = projects_for(request.user)
        if db_field.name == "owner":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="state")
    def states(self, flag):
        return ", ".join(
            f"{s.environment}: {'on' if s.enabled else 'off'}"
            + (f" {s.rollout_percentage.normalize():f}%" if s.enabled and s.rollout_percentage < 100 else "")
            for s in flag.environments.all()
        )

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("reason", "")
        if change:
            edited = {name: form.cleaned_data[name] for name in form.changed_data if name in changes.FLAG_EDITABLE}
            if edited:
                changes.update_flag(obj, edited, actor=request.user, source="admin", reason=reason)
            return
        fields = {name: form.cleaned_data[name] for name in changes.FLAG_EDITABLE if name in form.cleaned_data}
        flag = changes.create_flag(form.cleaned_data["project"], key=form.cleaned_data["key"], actor=request.user,
                                   source="admin", value_type=form.cleaned_data["value_type"], reason=reason, **fields)
        obj.pk, obj._state.adding = flag.pk, False

    def save_formset(self, request, form, formset, change):
        if formset.model is not FlagEnvironment:
            return formset.save()
        reason = form.cleaned_data.get("reason", "")
        # Not formset.save(): each environment goes through changes.update_environment. The
        # admin's change message reads these three lists, which save() would have filled.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            if not inline.has_changed():
                continue
            state = {name: inline.cleaned_data[name] for name in STATE_EDITABLE if name in inline.cleaned_data}
            environment = inline.cleaned_data.get("environment") or inline.instance.environment
            changes.update_environment(form.instance, environment, state, actor=request.user, source="admin", reason=reason)
            target = formset.changed_objects if inline.instance.pk else formset.new_objects
            target.append((inline.instance, inline.changed_data) if inline.instance.pk else inline.instance)

    def delete_model(self, request, obj):
        changes.delete_flag(obj, actor=request.user, source="admin")

    def delete_queryset(self, request, queryset):
        for flag in queryset:
            changes.delete_flag(flag, actor=request.user, source="admin")

    def _switch(self, request, queryset, turn, title: str, environment: str | None):
        form = ReasonForm(request.POST if "apply" in request.POST else None, initial={"environment": environment})
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for flag in queryset:
                try:
                    done += turn(flag, form.cleaned_data["environment"], actor=request.user,
                                 reason=form.cleaned_data["reason"], source="admin") is not None
                except InvalidChange as exc:  # held for approval: the dashboard makes the request
                    refused.append(f"{flag.key}: {message(exc)}")
            self.message_user(request, f"{title}: {done} flag(s) changed, {queryset.count() - done - len(refused)} already so.",
                              messages.SUCCESS)
            for line in refused:
                self.message_user(request, line, messages.ERROR)
            return None
        context = {**self.admin_site.each_context(request), "title": title, "flags": queryset, "form": form,
                   "action": request.POST.get("action"), "opts": self.model._meta, "fixed_environment": environment}
        return TemplateResponse(request, "flags/admin/reason_action.html", context)

    @admin.action(description="Disable in production…", permissions=["change"])
    def disable_in_production(self, request, queryset):
        return self._switch(request, queryset, changes.disable_flag, "Disable in production", "production")

    @admin.action(description="Disable in an environment…", permissions=["change"])
    def disable_in_environment(self, request, queryset):
        return self._switch(request, queryset, changes.disable_flag, "Disable in an environment", None)

    @admin.action(description="Enable in an environment…", permissions=["change"])
    def enable_in_environment(self, request, queryset):
        return self._switch(request, queryset, changes.enable_flag, "Enable in an environment", None)


@admin.register(FlagChange)
class FlagChangeAdmin(admin.ModelAdmin):
    """The audit log, read-only: no add, change or delete, for anyone."""

    list_display = ["created_at", "project", "flag_key", "environment", "who", "source", "action", "reason"]
    list_filter = ["project", "source", "action", "environment"]
    search_fields = ["flag_key", "reason", "actor__username", "actor_label"]
    actions = ["export_json"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "project").filter(project__in=projects_for(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export selected as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        response = JsonResponse({"changes": [audit.change_json(c) for c in queryset]})
        response["Content-Disposition"] = 'attachment; filename="flag-audit.json"'
        return response


class SdkKeyForm(forms.ModelForm):
    class Meta:
        model = SdkKey
        fields = ["project", "environment", "kind", "label"]


@admin.register(SdkKey)
class SdkKeyAdmin(admin.ModelAdmin):
    form = SdkKeyForm
    list_display = ["project", "environment", "kind", "label", "prefix", "created_at", "revoked_at"]
    list_filter = ["project", "environment", "kind"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(project__in=projects_for(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["project", "environment", "kind", "prefix", "created_at", "revoked_at"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = projects_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return SdkKey.objects.filter(pk=obj.pk).update(label=obj.label)
        key, plaintext = sdk_keys.create_sdk_key(obj.project, obj.environment, kind=obj.kind, label=obj.label,
                                                 actor=request.user, source="admin")
        obj.pk, obj._state.adding = key.pk, False
        self.message_user(request, f"SDK key (shown once, copy it now): {plaintext}", messages.WARNING)

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            sdk_keys.revoke_sdk_key(key, actor=request.user, source="admin")
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    """Trigger URLs are created on a flag's dashboard page (the secret is shown once there)."""

    list_display = ["flag", "environment", "label", "prefix", "created_at", "last_fired_at", "revoked_at"]
    list_filter = ["flag__project", "environment"]
    readonly_fields = ["flag", "environment", "prefix", "created_at", "last_fired_at", "revoked_at"]
    fields = ["flag", "environment", "label", *readonly_fields[2:]]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(flag__project__in=projects_for(request.user))

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected trigger URLs", permissions=["change"])
    def revoke(self, request, queryset):
        for trigger in queryset:
            triggers.revoke_trigger(trigger, actor=request.user, source="admin")
        self.message_user(request, f"Revoked {queryset.count()} trigger URL(s).", messages.SUCCESS)


# Segments, schedules, approval requests and the approval policy.
from flags import admin_rollouts  # noqa: E402, F401
