"""The alert rules JSON API: list and create a project's rules, read a rule's history.

Bearer tokens (projects.api); members read, creating needs `triage.add_alertrule`. Bad input is
400 {"detail": …}. A rule's webhook secret is in the answer to its creation only.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_http_methods

from projects.access import project_member_required, require_perm
from projects.api import BadRequest, json_body, page_json, paginate, token_required
from triage.alerts import rules
from triage.models import AlertDelivery, AlertRule
from triage.pages.alert_rules import rule_rows


@token_required
@require_http_methods(["GET", "POST"])
@project_member_required
def alert_rule_collection(request, project):
    """GET: the project's rules. POST {"name", "trigger", "threshold", "webhook_url", "format",
    "emails", "repeat_minutes"}: a new rule, 201 with its "secret"."""
    if request.method == "GET":
        return page_json(paginate(request, rule_rows(project)), rule_json)
    require_perm(request.user, "triage.add_alertrule")
    try:
        rule, secret = rules.create_rule(project, json_body(request), actor=request.user)
    except rules.InvalidRule as exc:
        raise BadRequest(str(exc)) from None
    return JsonResponse({**rule_json(rule), "secret": secret}, status=201)


@token_required
@require_GET
@project_member_required
def alert_rule_history(request, project, rule_id: int):
    rule = get_object_or_404(AlertRule, project=project, id=rule_id)
    return page_json(paginate(request, rule.deliveries.select_related("group").order_by("-fired_at", "-id")), delivery_json)


def rule_json(rule: AlertRule) -> dict:
    last_status = getattr(rule, "last_status", None)
    return {
        "id": rule.id,
        "name": rule.name,
        "trigger": rule.trigger,
        "threshold": rule.threshold,
        "webhook_url": rule.webhook_url or None,
        "format": rule.format,
        "emails": rule.emails,
        "enabled": rule.enabled,
        "repeat_minutes": rule.repeat_minutes,
        "created_at": rule.created_at.isoformat(),
        "last_delivery_status": last_status,
    }


def delivery_json(delivery: AlertDelivery) -> dict:
    return {
        "id": delivery.id,
        "fired_at": delivery.fired_at.isoformat(),
        "trigger": delivery.trigger,
        "group_id": delivery.group_id,
        "group_title": delivery.group.title if delivery.group else None,
        "flag_key": delivery.flag_key or None,
        "reason": delivery.reason,
        "details": delivery.details,
        "channel": delivery.channel,
        "target": delivery.target,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
    }
