"""The flag audit log: snapshots for before/after, the one function that writes a row, and export.

Rows are written only by flags.changes, flags.sdk_keys and flags.triggers, inside the
transaction of the change they describe, so a change and its audit row commit together or not
at all. FlagChange refuses updates and deletes (append-only).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from flags import validation
from flags.models import Flag, FlagChange, FlagEnvironment
from flags.signals import flag_changed

FLAG_FIELDS = [
    "key", "name", "description", "kind", "owner", "team", "ticket", "repository_path",
    "value_type", "variants", "off_variant", "client_side", "lifetime_days", "permanent", "salt", "prerequisites",
]
SEGMENT_FIELDS = ["key", "name", "description", "included", "excluded", "rules"]
STATE_FIELDS = list(validation.STATE_FIELDS)


def _json(value):
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral() else int(value)
    return value


def flag_snapshot(flag: Flag) -> dict:
    data = {name: _json(getattr(flag, name)) for name in FLAG_FIELDS if name != "owner"}
    data["owner"] = flag.owner.get_username() if flag.owner_id else None
    return data


def state_snapshot(state: FlagEnvironment | None) -> dict | None:
    if state is None:
        return None
    return {name: _json(getattr(state, name)) for name in STATE_FIELDS}


def segment_snapshot(segment) -> dict | None:
    if segment is None:
        return None
    return {name: getattr(segment, name) for name in SEGMENT_FIELDS}


def record(
    *, project, flag: Flag | None, action: str, source: str, actor=None, actor_label: str = "",
    environment: str = "", before=None, after=None, reason: str = "", flag_key: str = "", segment_key: str = "",
) -> FlagChange:
    """Writes one audit row. Call inside the change's transaction; flags.signals.flag_changed
    goes out once it commits."""
    change = FlagChange.objects.create(
        project=project,
        flag=flag,
        flag_key=flag.key if flag is not None else flag_key,
        segment_key=segment_key,
        environment=environment,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        source=source,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )
    transaction.on_commit(lambda: flag_changed.send(sender=FlagChange, change=change))
    return change


def changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """The top-level fields that differ (for display: 'rollout_percentage, rules')."""
    before, after = before or {}, after or {}
    return [name for name in dict.fromkeys([*before, *after]) if before.get(name) != after.get(name)]


def change_summary(before: dict | None, after: dict | None) -> str:
    """'rollout_percentage, rules'; 'details' for a creation or deletion (everything changed)."""
    if before is None or after is None:
        return "details"
    return ", ".join(changed_fields(before, after))


def change_json(change: FlagChange) -> dict:
    return {
        "id": change.id,
        "created_at": change.created_at.isoformat(),
        "project": change.project_id,
        "flag": change.flag_key,
        "segment": change.segment_key,
        "environment": change.environment,
        "actor": change.actor.get_username() if change.actor_id else None,
        "actor_label": change.actor_label,
        "source": change.source,
        "action": change.action,
        "before": change.before,
        "after": change.after,
        "reason": change.reason,
    }


def changes_for(project, flag_key: str | None = None, segment_key: str | None = None):
    """The project's audit rows, newest first; only one flag's (or segment's) when a key is given."""
    rows = FlagChange.objects.filter(project=project).select_related("actor")
    if flag_key:
        rows = rows.filter(flag_key=flag_key)
    if segment_key:
        rows = rows.filter(segment_key=segment_key)
    return rows
