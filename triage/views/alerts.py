"""Alert rules in a project's settings: create, disable or enable, delete, and one rule's history.
The changes are in triage.alerts.rules, the history's read side in triage.pages.alert_rules."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from projects.access import project_member_required
from triage.alerts import rules
from triage.models import AlertFormat, AlertRule, AlertTrigger
from triage.pages import as_context
from triage.pages.alert_rules import alert_history_page


class AlertRuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    trigger = forms.ChoiceField(choices=AlertTrigger.choices)
    threshold = forms.FloatField(required=False)
    webhook_url = forms.CharField(max_length=500, required=False)
    format = forms.ChoiceField(choices=AlertFormat.choices, required=False)
    emails = forms.CharField(max_length=2000, required=False, help_text="comma- or space-separated")
    repeat_minutes = forms.IntegerField(min_value=0, max_value=rules.MAX_REPEAT_MINUTES, required=False)

    def rule_fields(self) -> dict:
        data = dict(self.cleaned_data, emails=[e for e in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if e])
        if data["repeat_minutes"] is None:
            del data["repeat_minutes"]
        return data


def _to_settings(project):
    return redirect(reverse("triage:project_settings", args=[project.id]) + "#alerts")


@login_required
@require_POST
@project_member_required(perm="triage.add_alertrule")
def alert_rule_create(request, project):
    form = AlertRuleForm(request.POST)
    try:
        if not form.is_valid():
            raise rules.InvalidRule("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        rule, secret = rules.create_rule(project, form.rule_fields(), actor=request.user)
    except rules.InvalidRule as exc:
        messages.error(request, f"The rule was not saved: {exc}")
        return _to_settings(project)
    signed = f" Webhook secret (shown once, verify X-Switchyard-Signature with it): {secret}" if rule.webhook_url else ""
    messages.success(request, f"Created the alert rule {rule.name}.{signed}")
    return _to_settings(project)


@login_required
@require_POST
@project_member_required(perm="triage.change_alertrule")
def alert_rule_enable(request, project, rule_id: int):
    rule = get_object_or_404(AlertRule, project=project, id=rule_id)
    rules.set_rule_enabled(rule, request.POST.get("enabled") == "1")
    messages.success(request, f"{'Enabled' if rule.enabled else 'Disabled'} the alert rule {rule.name}.")
    return _to_settings(project)


@login_required
@require_POST
@project_member_required(perm="triage.delete_alertrule")
def alert_rule_delete(request, project, rule_id: int):
    rule = get_object_or_404(AlertRule, project=project, id=rule_id)
    rules.delete_rule(rule)
    messages.success(request, f"Deleted the alert rule {rule.name} and its history.")
    return _to_settings(project)


@login_required
@require_GET
@project_member_required
def alert_rule_history(request, project, rule_id: int):
    rule = get_object_or_404(AlertRule.objects.select_related("project"), project=project, id=rule_id)
    return render(request, "triage/alert_history.html", as_context(alert_history_page(rule, request.GET.get("page"))))
