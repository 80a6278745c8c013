"""Trigger URLs: secret, single-action webhooks that kill one flag in one environment.

For outside alerting (Grafana, Alertmanager, a pager): a POST to the URL disables the flag
through flags.changes.disable_flag, audited with source "trigger". The token is shown once; only
its hash is stored. A trigger can only ever turn a flag off, so a leaked URL can do no more than
the kill it was made for.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from flags import audit, changes
from flags.models import Flag, FlagChange, Trigger
from flags.validation import validate_environment

PREFIX = "sytrg_"
MAX_REASON = 1000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trigger_url(token: str, base_url: str | None = None) -> str:
    base = (base_url or settings.SWITCHYARD_BASE_URL).rstrip("/")
    return base + reverse("flags:trigger_fire", kwargs={"token": token})


def create_trigger(flag: Flag, environment: str, *, label: str = "", actor, source: str) -> tuple[Trigger, str]:
    """Returns the trigger and its secret token (shown once)."""
    validate_environment(environment)
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        trigger = Trigger.objects.create(flag=flag, environment=environment, label=label[:100], token_hash=_hash(token),
                                         prefix=token[:12], created_by=actor)
        audit.record(project=flag.project, flag=flag, action="trigger_created", source=source, actor=actor,
                     environment=environment, after=_snapshot(trigger))
    return trigger, token


def revoke_trigger(trigger: Trigger, *, actor, source: str) -> Trigger:
    """Idempotent."""
    with transaction.atomic():
        trigger = Trigger.objects.select_for_update().select_related("flag__project").get(pk=trigger.pk)
        if trigger.revoked_at is None:
            before = _snapshot(trigger)
            trigger.revoked_at = timezone.now()
            trigger.save(update_fields=["revoked_at"])
            audit.record(project=trigger.flag.project, flag=trigger.flag, action="trigger_revoked", source=source,
                         actor=actor, environment=trigger.environment, before=before, after=_snapshot(trigger))
    return trigger


def fire_trigger(token: str, note: str = "") -> tuple[Trigger, FlagChange | None] | None:
    """Disables the trigger's flag. None for an unknown or revoked token; otherwise the trigger
    and the audit row (None when the flag was already off: firing twice is harmless)."""
    trigger = Trigger.objects.active().select_related("flag__project").filter(token_hash=_hash(token)).first()
    if trigger is None:
        return None
    name = trigger.label or trigger.prefix
    reason = f"trigger {name!r} fired" + (f": {note.strip()}" if note.strip() else "")
    change = changes.disable_flag(trigger.flag, trigger.environment, actor=None, actor_label=f"trigger {name}",
                                  reason=reason[:MAX_REASON], source="trigger")
    Trigger.objects.filter(pk=trigger.pk).update(last_fired_at=timezone.now())
    return trigger, change


def _snapshot(trigger: Trigger) -> dict:
    return {"id": trigger.id, "prefix": trigger.prefix, "label": trigger.label, "action": "disable",
            "revoked": not trigger.is_active}
