"""Alert rules: the changes to them (each in one function), which rules a fired trigger matches,
and how often a rule may repeat itself for one group.

The digest asks for a project's rules only when a batch made a group or saw a regression, and
then from a per-process copy of every enabled rule, refreshed every
SWITCHYARD["ALERT_RULES_CACHE_SECONDS"]: most batches cost no query at all, the others one every
few seconds. A process that changes a rule forgets its copy on commit; the others see the change
within those seconds.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from triage.models import AlertFormat, AlertRule, AlertTrigger
from triage.stream import PREFIX

THRESHOLD_TRIGGERS = {AlertTrigger.SPIKE, AlertTrigger.FLAG_COHORT}
MAX_EMAILS = 20
MAX_REPEAT_MINUTES = 7 * 24 * 60


class InvalidRule(ValueError):
    """A rule's fields as a person sent them, refused with a message for that person."""


def create_rule(project, fields: dict, *, actor) -> tuple[AlertRule, str]:
    """Validates and saves a rule; returns it and its webhook secret (to show once)."""
    rule = AlertRule.objects.create(project=project, created_by=actor, **validate_rule(fields))
    transaction.on_commit(forget_cached_rules)
    return rule, rule.secret


def set_rule_enabled(rule: AlertRule, enabled: bool) -> None:
    AlertRule.objects.filter(pk=rule.pk).update(enabled=enabled)
    rule.enabled = enabled
    transaction.on_commit(forget_cached_rules)


def delete_rule(rule: AlertRule) -> None:
    """Deletes the rule and its history."""
    rule.delete()
    transaction.on_commit(forget_cached_rules)


def validate_rule(fields: dict) -> dict:
    """The model fields of a rule from {"name", "trigger", "threshold", "webhook_url", "format",
    "emails", "repeat_minutes"}; InvalidRule says what is wrong."""
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidRule("name is required (100 characters at most)")
    trigger = fields.get("trigger")
    if trigger not in AlertTrigger.values:
        raise InvalidRule(f"trigger must be one of {', '.join(AlertTrigger.values)}")
    threshold = _threshold(fields.get("threshold"), trigger)
    webhook_url = _webhook_url(fields.get("webhook_url") or "")
    emails = _emails(fields.get("emails") or [])
    if not webhook_url and not emails:
        raise InvalidRule("a rule needs a webhook_url, emails, or both")
    fmt = fields.get("format") or AlertFormat.JSON
    if fmt not in AlertFormat.values:
        raise InvalidRule("format must be json or slack")
    repeat = fields.get("repeat_minutes", AlertRule._meta.get_field("repeat_minutes").default)
    if not _is_number(repeat) or repeat != int(repeat) or not 0 <= repeat <= MAX_REPEAT_MINUTES:
        raise InvalidRule(f"repeat_minutes must be a whole number from 0 to {MAX_REPEAT_MINUTES}")
    return {"name": name.strip(), "trigger": trigger, "threshold": threshold, "webhook_url": webhook_url,
            "format": fmt, "emails": emails, "repeat_minutes": int(repeat)}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _threshold(value, trigger: str) -> float | None:
    if value is None or value == "":
        if trigger in THRESHOLD_TRIGGERS:
            raise InvalidRule(f"a {trigger} rule needs a threshold")
        return None
    if trigger not in THRESHOLD_TRIGGERS:
        raise InvalidRule("only spike and flag_cohort rules have a threshold")
    if not _is_number(value) or value < 0:
        raise InvalidRule("threshold must be a number, 0 or more")
    return float(value)


def _webhook_url(url) -> str:
    if not isinstance(url, str) or len(url) > 500:
        raise InvalidRule("webhook_url must be an http or https URL (500 characters at most)")
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidRule("webhook_url must be an http or https URL") from None
    if urlsplit(url).username is not None:
        raise InvalidRule("webhook_url may not carry a user name or password")  # it would show in the list
    return url


def _emails(emails) -> list[str]:
    if not isinstance(emails, list) or len(emails) > MAX_EMAILS:
        raise InvalidRule(f"emails must be a list of at most {MAX_EMAILS} addresses")
    cleaned = []
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidRule(f"not an email address: {str(email)[:100]!r}") from None
        if email not in cleaned:
            cleaned.append(email)
    return cleaned


# --- Which rules a fired trigger matches -----------------------------------------------------

_cache: tuple[float, dict] = (-math.inf, {})


def enabled_rules(project_id: int, trigger: str) -> list[AlertRule]:
    """The project's enabled rules for the trigger, from the per-process copy (see the module doc)."""
    global _cache
    loaded, rules = _cache
    if time.monotonic() - loaded >= settings.SWITCHYARD["ALERT_RULES_CACHE_SECONDS"]:
        rules = defaultdict(list)
        for rule in AlertRule.objects.filter(enabled=True).select_related("project"):
            rules[(rule.project_id, rule.trigger)].append(rule)
        _cache = (time.monotonic(), dict(rules))
    return rules.get((project_id, trigger), [])


def forget_cached_rules() -> None:
    global _cache
    _cache = (-math.inf, {})


def matches(rule: AlertRule, value: float | None) -> bool:
    """A spike or cohort rule fires when the value reaches its threshold; the others always."""
    if rule.trigger in THRESHOLD_TRIGGERS:
        return value is not None and rule.threshold is not None and value >= rule.threshold
    return True


def title_of(details: dict, flag_key: str | None = None) -> str:
    """What an alert is about, in a few words: the group's title ("title", or "group" as the
    attribution names it), else the flag."""
    return str(details.get("title") or details.get("group") or details.get("flag") or flag_key or "")


def reason(rule: AlertRule, trigger: str, value: float | None, flag_key: str | None, details: dict) -> str:
    """Why the rule fired, in words for the history and the message (a matched rule: a threshold
    rule has its value)."""
    title, flag = title_of(details, flag_key), str(details.get("flag") or flag_key or "")
    if trigger == AlertTrigger.SPIKE:
        words = f"Spike score {value:g} reached the threshold {rule.threshold:g}"
    elif trigger == AlertTrigger.FLAG_COHORT:
        words = f"Affected rate {value:g} with {flag} reached the threshold {rule.threshold:g}"
    else:
        words = {AlertTrigger.NEW_GROUP: "New group", AlertTrigger.REGRESSION: "A resolved group came back",
                 AlertTrigger.GUARD: f"Flag guard on {flag}"}[trigger]
    if title and title != flag:
        words = f"{words}: {title}"
    evidence = details.get("evidence")
    return f"{words} ({evidence})" if evidence else words


# --- Repeats ---------------------------------------------------------------------------------


def repeat_key(rule_id: int, group_id: int | None, flag_key: str | None) -> str:
    subject = f"group:{group_id}" if group_id is not None else f"flag:{flag_key or ''}"
    return f"{PREFIX}:alerts:repeat:{rule_id}:{subject}"


def claim_repeat(redis, rule: AlertRule, group_id: int | None, flag_key: str | None) -> bool:
    """True when the rule may tell about this group (or flag) now: at most once per
    `repeat_minutes`, counted from when it last fired, across every process."""
    if rule.repeat_minutes == 0:
        return True
    return bool(redis.set(repeat_key(rule.id, group_id, flag_key), 1, nx=True, ex=rule.repeat_minutes * 60))
