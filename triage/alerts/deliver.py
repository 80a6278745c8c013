"""One delivery of an alert: the message in each format, and one attempt at sending it.

Webhooks get JSON signed with the rule's secret (`X-Switchyard-Signature: sha256=<hex HMAC-SHA256
of the raw body>`, as GitHub signs its webhooks:
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries) or a
Slack-compatible body (`text` as the fallback, `blocks` for the layout:
https://api.slack.com/messaging/webhooks). Email goes through Django's email backend. A failed
attempt is recorded and raises DeliveryFailed, which the Celery task retries with backoff
(triage.tasks.deliver_alert); the last one marks the delivery failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.urls import reverse

from triage.alerts.rules import title_of
from triage.models import AlertChannel, AlertDelivery, AlertFormat, AlertStatus, AlertTrigger

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Switchyard-Signature"
HEADLINES = {
    AlertTrigger.NEW_GROUP: "New group", AlertTrigger.REGRESSION: "Regression", AlertTrigger.SPIKE: "Spike",
    AlertTrigger.FLAG_COHORT: "Flag cohort", AlertTrigger.GUARD: "Flag guard",
}
SHOWN_ELSEWHERE = {"title", "group", "url"}  # facts the headline and the link already say
SLACK_TEXT_LIMIT = 3000  # a section block's text: https://api.slack.com/reference/block-kit/blocks#section


class DeliveryFailed(Exception):
    """An attempt that did not get through (a network error, a non-2xx answer, a mail server error)."""


def group_url(group_id: int) -> str:
    """The group's page, for messages read outside the dashboard."""
    return settings.SWITCHYARD_BASE_URL.rstrip("/") + reverse("triage:group_detail", args=[group_id])


def attempt(delivery_id: int, *, final: bool, now: dt.datetime) -> None:
    """Sends the delivery once and records the attempt. Raises DeliveryFailed when it did not get
    through and more attempts are due; after the `final` one the delivery is marked failed."""
    delivery = AlertDelivery.objects.select_related("rule__project").filter(id=delivery_id).first()
    if delivery is None or delivery.status != AlertStatus.PENDING:
        return  # deleted with its rule, or a redelivered task of one already done
    try:
        send(delivery)
    except Exception as exc:  # every failure is an attempt to record, a bug in a format included
        error = f"{type(exc).__name__}: {exc}"[:2000]
        status = AlertStatus.FAILED if final else AlertStatus.PENDING
        _record(delivery_id, status=status, last_error=error)
        if final:
            log.warning("alert delivery %s failed for good: %s", delivery_id, error)
            return
        raise DeliveryFailed(error) from exc
    _record(delivery_id, status=AlertStatus.SENT, delivered_at=now)


def _record(delivery_id: int, **fields) -> None:
    AlertDelivery.objects.filter(id=delivery_id).update(attempts=F("attempts") + 1, **fields)


def send(delivery: AlertDelivery) -> None:
    if delivery.channel == AlertChannel.EMAIL:
        subject, text = email_message(delivery)
        send_mail(subject, text, None, [delivery.target])
        return
    if delivery.rule.format == AlertFormat.SLACK:
        post(delivery.target, slack_body(delivery), {})
    else:
        body = json_body(delivery)
        post(delivery.target, body, {SIGNATURE_HEADER: signature(delivery.rule.secret, body)})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect would turn the POST into a GET without the body: report it instead


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict) -> None:
    """POSTs the body; DeliveryFailed unless the receiver answers 2xx in time."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Switchyard-Alerts", **headers,
    })
    try:
        with _opener.open(request, timeout=settings.SWITCHYARD["ALERT_WEBHOOK_TIMEOUT_SECONDS"]) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} from the receiver") from None


# --- The message ---------------------------------------------------------------------------


def facts(delivery: AlertDelivery) -> dict:
    """What every format says: the headline, why, where to look, and the caller's details."""
    details = dict(delivery.details)
    rule = delivery.rule
    project = rule.project.name if rule else details.pop("project", "")
    headline = details.pop("subject", None) or HEADLINES.get(delivery.trigger, "Alert")
    title = title_of(details, delivery.flag_key)
    return {
        "headline": f"{headline} in {project}: {title}" if project and title else headline,
        "reason": delivery.reason,
        "url": details.get("url") or (group_url(delivery.group_id) if delivery.group_id else ""),
        "project": project,
        "rule": rule.name if rule else "",
        "details": details,
    }


def json_body(delivery: AlertDelivery) -> bytes:
    f = facts(delivery)
    body = {
        "id": delivery.id,
        "trigger": delivery.trigger,
        "fired_at": delivery.fired_at.isoformat(),
        "rule": {"id": delivery.rule_id, "name": f["rule"]} if delivery.rule_id else None,
        "project": {"id": delivery.rule.project_id, "name": f["project"]} if delivery.rule_id else None,
        "group_id": delivery.group_id,
        "flag_key": delivery.flag_key or None,
        "headline": f["headline"],
        "reason": f["reason"],
        "url": f["url"] or None,
        "details": f["details"],
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def _mrkdwn(text: str) -> str:
    """Slack's three control characters: https://api.slack.com/reference/surfaces/formatting#escaping"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(delivery: AlertDelivery) -> bytes:
    f = facts(delivery)
    headline = f"<{f['url']}|{_mrkdwn(f['headline'])}>" if f["url"] else _mrkdwn(f["headline"])
    lines = [f"*{headline}*", _mrkdwn(f["reason"])]
    lines += [f"• {_mrkdwn(str(k))}: {_mrkdwn(str(v))}" for k, v in f["details"].items() if k not in SHOWN_ELSEWHERE]
    context = " · ".join(p for p in ("Switchyard", f["project"], f["rule"], delivery.fired_at.strftime("%Y-%m-%d %H:%M UTC")) if p)
    body = {
        "text": f"{f['headline']}: {f['reason']}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:SLACK_TEXT_LIMIT]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(context)}]},
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def email_message(delivery: AlertDelivery) -> tuple[str, str]:
    """(subject, plain text). The subject is one line: a header cannot hold a line break."""
    f = facts(delivery)
    subject = " ".join(f"[Switchyard] {f['headline']}".split())[:200]
    lines = [f["headline"], "", f["reason"]]
    if f["url"]:
        lines += ["", f["url"]]
    lines += [""] + [f"{k}: {v}" for k, v in f["details"].items() if k not in SHOWN_ELSEWHERE]
    footer = f"Rule {f['rule']!r} of {f['project']}, fired {delivery.fired_at:%Y-%m-%d %H:%M} UTC." if f["rule"] else ""
    return subject, "\n".join([*lines, "", footer]).strip() + "\n"
