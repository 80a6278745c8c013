"""A project's alert rules: the Alerts section of its settings page (/projects/<id>/settings/),
and one rule's history (/projects/<id>/alerts/<rule>/): what fired, when, why, and whether it got
through. Both read only; the changes are in triage.alerts.rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery

from triage.models import AlertDelivery, AlertRule

PAGE_SIZE = 100


def rule_rows(project) -> QuerySet:
    """The project's rules, each with the status and time of its latest delivery (one query)."""
    latest = AlertDelivery.objects.filter(rule=OuterRef("pk")).order_by("-fired_at", "-id")
    return AlertRule.objects.filter(project=project).annotate(
        last_status=Subquery(latest.values("status")[:1]), last_fired_at=Subquery(latest.values("fired_at")[:1])
    )


@dataclass
class AlertHistoryPage:
    project: object
    rule: AlertRule
    deliveries: Page


def alert_history_page(rule: AlertRule, page_number: str | None) -> AlertHistoryPage:
    """The rule's deliveries, newest first, 100 a page (the last page for a number past it, the first for nonsense)."""
    deliveries = rule.deliveries.select_related("group").order_by("-fired_at", "-id")
    return AlertHistoryPage(rule.project, rule, Paginator(deliveries, PAGE_SIZE).get_page(page_number))
