"""JSON in and out for the flags REST API: flags as dicts, request bodies as checked arguments."""

from __future__ import annotations

import dataclasses

from django.contrib.auth import get_user_model

from flags.audit import STATE_FIELDS
from flags.models import Flag
from flags.validation import InvalidChange

_TEXT = {"name", "description", "kind", "team", "ticket", "repository_path", "off_variant", "salt"}
_BOOL = {"client_side", "permanent"}
CREATE_ONLY = {"key", "value_type", "environments", "reason"}


def _number(value) -> float | int:
    return float(value) if value != int(value) else int(value)


def state_json(state) -> dict:
    data = {name: getattr(state, name) for name in STATE_FIELDS}
    data["rollout_percentage"] = _number(state.rollout_percentage)
    data["updated_at"] = state.updated_at.isoformat()
    return data


def flag_json(flag: Flag, last_evaluated=None, dependants: list[str] | None = None) -> dict:
    evaluated = last_evaluated or flag.last_evaluated_at
    return {
        "id": flag.id,
        "key": flag.key,
        "name": flag.name,
        "description": flag.description,
        "kind": flag.kind,
        "owner": flag.owner.get_username(),
        "team": flag.team,
        "ticket": flag.ticket,
        "repository_path": flag.repository_path,
        "value_type": flag.value_type,
        "variants": flag.variants,
        "off_variant": flag.off_variant,
        "client_side": flag.client_side,
        "lifetime_days": flag.lifetime_days,
        "permanent": flag.permanent,
        "salt": flag.salt or flag.key,
        "prerequisites": flag.prerequisites,
        **({"dependants": dependants} if dependants is not None else {}),
        "created_at": flag.created_at.isoformat(),
        "updated_at": flag.updated_at.isoformat(),
        "last_evaluated_at": evaluated.isoformat() if evaluated else None,
        "environments": {state.environment: state_json(state) for state in flag.environments.all()},
    }


def flag_fields(data: dict, project) -> dict:
    """The flag's own fields of a create or PATCH body, type-checked, owner resolved to a user."""
    fields = {}
    for name, value in data.items():
        if name in CREATE_ONLY:
            continue
        if name in _TEXT and not isinstance(value, str):
            raise InvalidChange(f"{name} must be a string")
        if name in _BOOL and not isinstance(value, bool):
            raise InvalidChange(f"{name} must be true or false")
        if name == "lifetime_days" and value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidChange("lifetime_days must be a whole number of days, or null")
        if name == "variants" and not isinstance(value, dict):
            raise InvalidChange("variants must be an object {name: value}")
        if name == "prerequisites" and not isinstance(value, list):
            raise InvalidChange('prerequisites must be a list of {"key": flag key, "variants": [variant, …]}')
        if name == "owner":
            value = owner_named(value)
        fields[name] = value
    return fields


def owner_named(username) -> object:
    if not isinstance(username, str) or not username:
        raise InvalidChange("owner must be a username")
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    if user is None:
        raise InvalidChange(f"no such user: {username!r}")
    return user


def environment_states(data: dict) -> dict[str, dict]:
    states = data.get("environments", {})
    if not isinstance(states, dict) or not all(isinstance(s, dict) for s in states.values()):
        raise InvalidChange("environments must be an object {environment: {state fields}}")
    return states


def reason_of(data: dict) -> str:
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidChange("reason must be a string")
    return reason


def _time(value) -> str | None:
    return value.isoformat() if value else None


def segment_json(segment, used_by: list[tuple[str, str]] | None = None) -> dict:
    data = {name: getattr(segment, name) for name in ("key", "name", "description", "included", "excluded", "rules")}
    data.update(created_at=_time(segment.created_at), updated_at=_time(segment.updated_at))
    if used_by is not None:
        data["used_by"] = [{"flag": key, "environment": environment} for key, environment in used_by]
    return data


def schedule_json(schedule) -> dict:
    return {
        "id": schedule.id, "flag": schedule.flag.key, "environment": schedule.environment, "status": schedule.status,
        "status_reason": schedule.status_reason, "reason": schedule.reason, "steps": schedule.steps,
        "next_step": schedule.next_step, "start_at": _time(schedule.start_at), "next_at": _time(schedule.next_at),
        "created_by": schedule.created_by.get_username() if schedule.created_by_id else None,
        "created_at": _time(schedule.created_at),
    }


def approval_json(request, after: dict | None = None, evidence: list | None = None) -> dict:
    data = {
        "id": request.id, "flag": request.flag.key, "environment": request.environment, "status": request.status,
        "changes": request.changes, "schedule": request.schedule_id, "before": request.before,
        "widening": request.widening, "reason": request.reason,
        "requested_by": request.requested_by.get_username(), "created_at": _time(request.created_at),
        "reviewed_by": request.reviewed_by.get_username() if request.reviewed_by_id else None,
        "reviewed_at": _time(request.reviewed_at), "review_comment": request.review_comment,
    }
    if after is not None:
        data["after"] = after
    if evidence is not None:
        data["error_evidence"] = [dataclasses.asdict(e) for e in evidence]
    return data
