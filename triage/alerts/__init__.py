"""Alerts, the stage that tells people: a trigger fires in a project, its matching rules (rules.py)
make one delivery per webhook and email address, and a Celery task sends each (deliver.py,
triage.tasks.deliver_alert), retrying with backoff and recording every attempt.

Triggers: "new_group" and "regression" fire from the digest after its commit
(`notify_digested`); "spike", "flag_cohort" and "guard" from attribution, through `notify`.
Sentry's issue alerts start from the same primitives (new issue, regression, frequency):
https://docs.sentry.io/product/alerts/alert-types/#issue-alerts
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction

from config.redis_clients import redis_client
from triage.alerts import rules
from triage.alerts.deliver import group_url
from triage.models import AlertChannel, AlertDelivery, AlertTrigger, ErrorGroup

__all__ = ["group_url", "notify", "notify_digested", "notify_user"]
log = logging.getLogger(__name__)


def notify(project_id: int, trigger: str, *, now: dt.datetime, group_id: int | None = None, flag_key: str | None = None,
           value: float | None = None, details: dict) -> int:
    """Fires `trigger` in the project: each enabled rule of that trigger whose threshold `value`
    reaches (spike score, cohort's affected rate; other triggers have none) and that has not told
    about this group (or flag) within its repeat_minutes gets one delivery per webhook and email
    address. `details` is JSON-able plain facts for the message ("title", "url" of the group page,
    "evidence" words…). Returns how many deliveries were queued: on commit when called inside a
    transaction. ValueError for an unknown trigger."""
    if trigger not in AlertTrigger.values:
        raise ValueError(f"unknown alert trigger {trigger!r}")
    matched = [rule for rule in rules.enabled_rules(project_id, trigger) if rules.matches(rule, value)]
    if not matched:
        return 0
    if flag_key:
        _pause_rollouts(project_id, flag_key, details, rules.reason(matched[0], trigger, value, flag_key, details))
    redis = redis_client()
    deliveries = [
        AlertDelivery(rule=rule, fired_at=now, trigger=trigger, group_id=group_id, flag_key=(flag_key or "")[:200],
                      reason=rules.reason(rule, trigger, value, flag_key, details), details=details, channel=channel, target=target)
        for rule in matched if rules.claim_repeat(redis, rule, group_id, flag_key)
        for channel, target in _targets(rule)
    ]
    return _queue(AlertDelivery.objects.bulk_create(deliveries))


def _pause_rollouts(project_id: int, flag_key: str, details: dict, reason: str) -> None:
    """An alert on a flag pauses its scheduled and progressive changes (in the environment the
    alert names, else everywhere), even when the rule's repeat limit holds this message back."""
    from triage import flagstate

    try:
        flagstate.pause_rollouts(project_id, flag_key, details.get("environment"), reason)
    except Exception:  # telling people matters more; the next firing pauses them
        log.exception("could not pause the schedules of %s", flag_key)


def notify_user(user, subject: str, text: str, *, now: dt.datetime, details: dict) -> int:
    """Emails one person (a flag's owner, by the guard): `subject` is the headline, `text` says
    why, `details` adds facts ("trigger", "flag_key" or "flag", and "group_id" or "url" for a
    link, are also kept on the delivery). Retried and recorded like a rule's delivery. Returns 1
    if queued, 0 when the user has no email address."""
    if not user.email:
        return 0
    facts = {**details, "subject": subject}
    if "url" not in facts and isinstance(details.get("group_id"), int):
        facts["url"] = group_url(details["group_id"])
    flag_key = str(details.get("flag_key") or details.get("flag") or "")[:200]
    delivery = AlertDelivery(fired_at=now, trigger=str(details.get("trigger", ""))[:16], flag_key=flag_key, reason=text,
                             details=facts, channel=AlertChannel.EMAIL, target=user.email)
    return _queue(AlertDelivery.objects.bulk_create([delivery]))


def notify_digested(new_groups: Iterable[ErrorGroup], regressed: Iterable[ErrorGroup], now: dt.datetime) -> int:
    """new_group and regression for the groups a digest just committed (triage.digest.events).
    Costs nothing beyond the cached rules unless one of their projects has such a rule."""
    fired = [(AlertTrigger.NEW_GROUP, g) for g in new_groups] + [(AlertTrigger.REGRESSION, g) for g in regressed]
    queued = 0
    for trigger, group in fired:
        if rules.enabled_rules(group.project_id, trigger):
            details = {"title": group.title, "culprit": group.culprit, "level": group.level, "url": group_url(group.id)}
            queued += notify(group.project_id, trigger, now=now, group_id=group.id, details=details)
    return queued


def _targets(rule) -> list[tuple[str, str]]:
    webhook = [(AlertChannel.WEBHOOK, rule.webhook_url)] if rule.webhook_url else []
    return webhook + [(AlertChannel.EMAIL, email) for email in rule.emails]


def _queue(deliveries: list[AlertDelivery]) -> int:
    ids = [d.id for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _send_tasks(ids))
    return len(ids)


def _send_tasks(ids: list[int]) -> None:
    from triage.tasks import deliver_alert  # triage.tasks imports this package

    for delivery_id in ids:
        try:
            deliver_alert.delay(delivery_id)
        except Exception:  # the broker is away: the delivery stays pending in the rule's history
            log.exception("could not queue alert delivery %s", delivery_id)
