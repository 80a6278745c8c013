"""Every change to a flag, one function each: create, edit, change state, disable, enable, delete.

Called alike by the admin, the dashboard, the REST API, triggers, automation, schedules,
approvals and commands (`source` says which). Each function validates, changes the rows and
writes the audit row in one transaction, then publishes the environments it touched on commit
(flags.cache.publish), so the next OFREP answer anywhere reflects it. Bad input raises
InvalidChange, a ValueError whose message can be shown to the user as is.

Turning a flag on or off in an environment always needs a reason; a kill (disable) is never
blocked by anything else, approvals included (flags.policy). A change that enables or widens a
flag where the project requires approval raises ApprovalRequired unless it carries the approved
request (flags.approvals). Prerequisites must name flags and variants of the same project and
form no cycle; a flag others require cannot be deleted.
"""

from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from flags import audit, cache, policy, weights
from flags.environments import project_environments
from flags.models import Flag, FlagChange, FlagEnvironment, FlagKind, Segment
from flags.prerequisites import check_prerequisites, dependants
from flags.validation import (
    InvalidChange,
    default_variants,
    segment_keys,
    validate_environment,
    validate_key,
    validate_state,
    validate_variants,
)

FLAG_EDITABLE = [
    "name", "description", "kind", "owner", "team", "ticket", "repository_path",
    "variants", "off_variant", "client_side", "lifetime_days", "permanent", "salt", "prerequisites",
]


def _require_reason(reason: str | None, doing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange(f"a reason is required to {doing} a flag")
    return reason


def check_owner(project, owner) -> None:
    if owner is None or not owner.is_active:
        raise InvalidChange("a flag needs an owner: an active user")
    if not owner.is_superuser and not project.members.filter(pk=owner.pk).exists():
        raise InvalidChange(f"the owner {owner.get_username()!r} is not a member of the project")


def _publish_on_commit(project_id: int, environments, flag_key: str, change: FlagChange | None) -> None:
    event = {"flag": flag_key, "action": change.action if change else "", "change": change.id if change else None}
    transaction.on_commit(partial(cache.publish, project_id, list(environments), event))


def _touch(flag: Flag, now) -> None:
    Flag.objects.filter(pk=flag.pk).update(updated_at=now)
    flag.updated_at = now


def create_flag(project, *, key: str, owner, actor, source: str, name: str = "", kind: str = FlagKind.RELEASE,
                value_type: str = "boolean", variants: dict | None = None, off_variant: str | None = None,
                environments: dict[str, dict] | None = None, reason: str = "", **fields) -> Flag:
    """Creates a flag with a state in every environment of the project (off, 100 % default
    variant), then applies `environments` ({name: partial state}). Extra `fields`: description,
    team, ticket, repository_path, client_side, lifetime_days, permanent."""
    validate_key(key)
    if not isinstance(value_type, str):
        raise InvalidChange("value_type must be boolean, string, number or json")
    if kind not in FlagKind.values:
        raise InvalidChange(f"unknown kind {kind!r} ({', '.join(FlagKind.values)})")
    unknown = set(fields) - set(FLAG_EDITABLE)
    if unknown:
        raise InvalidChange(f"unknown flag field(s): {', '.join(sorted(unknown))}")
    check_owner(project, owner)
    start_variants, start_off, start_default = default_variants(value_type) if value_type in {
        "boolean", "string", "number", "json"} else ({}, "off", "on")
    variants = start_variants if variants is None else variants
    off_variant = start_off if off_variant is None else off_variant
    validate_variants(value_type, variants, off_variant)
    default = start_default if start_default in variants and start_default != off_variant else next(
        v for v in variants if v != off_variant)
    states = {validate_environment(env): validate_state(state, variants) for env, state in (environments or {}).items()}
    for state in states.values():
        _check_segments_exist(project.id, state)
    if Flag.objects.filter(project=project, key=key).exists():
        raise InvalidChange(f"a flag with key {key!r} already exists in this project")
    fields["salt"] = fields.get("salt") or ""  # empty: the key, so buckets are reproducible (flags.models)
    now = timezone.now()
    try:
        with transaction.atomic():
            fields["prerequisites"] = check_prerequisites(project.id, key, fields.get("prerequisites") or [])
            flag = Flag.objects.create(
                project=project, key=key, name=name or key, kind=kind, owner=owner, value_type=value_type,
                variants=variants, off_variant=off_variant, created_at=now, updated_at=now, **fields,
            )
            names = set(project_environments(project.id)) | set(states)
            for env in sorted(names):
                state = FlagEnvironment(flag=flag, environment=env, default_variant=default, updated_at=now)
                for field, value in states.get(env, {}).items():
                    setattr(state, field, value)
                state.allocation = weights.reallocate([], state.weights)
                if env in states:
                    policy.check_not_held(flag, env, None, audit.state_snapshot(state))
                state.save()
            after = {**audit.flag_snapshot(flag), "environments": {
                s.environment: audit.state_snapshot(s) for s in flag.environments.all()}}
            change = audit.record(project=project, flag=flag, action="created", source=source, actor=actor,
                                  after=after, reason=reason.strip())
            _publish_on_commit(project.id, names, key, change)
    except IntegrityError:
        raise InvalidChange(f"a flag with key {key!r} already exists in this project") from None
    transaction.on_commit(partial(_forget_misses, project.id, key))
    return flag


def _forget_misses(project_id: int, key: str) -> None:
    from config.redis_clients import redis_client
    from flags.exposures import forget_misses

    try:
        forget_misses(redis_client(), project_id, key)
    except Exception:  # only the stale-flags page reads misses; never fail a creation for it
        pass


def update_flag(flag: Flag, changes: dict, *, actor, source: str, reason: str = "") -> FlagChange | None:
    """Edits the flag's own fields (not its key or value type). None when nothing changed."""
    unknown = set(changes) - set(FLAG_EDITABLE)
    if unknown:
        raise InvalidChange(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("owner", "project").get(pk=flag.pk)
        before = audit.flag_snapshot(flag)
        if "prerequisites" in changes:
            changes = {**changes, "prerequisites": check_prerequisites(flag.project_id, flag.key, changes["prerequisites"])}
        if "salt" in changes and (not isinstance(changes["salt"], str) or len(changes["salt"]) > 64):
            raise InvalidChange("salt is a string of up to 64 characters")
        for field, value in changes.items():
            setattr(flag, field, value)
        if "kind" in changes and flag.kind not in FlagKind.values:
            raise InvalidChange(f"unknown kind {flag.kind!r} ({', '.join(FlagKind.values)})")
        if "owner" in changes:
            check_owner(flag.project, flag.owner)
        if not (flag.name or "").strip():
            raise InvalidChange("a flag needs a name")
        validate_variants(flag.value_type, flag.variants, flag.off_variant)
        _check_dependants_use_variants(flag)
        _check_states_use_variants(flag)
        after = audit.flag_snapshot(flag)
        if after == before:
            return None
        flag.updated_at = timezone.now()
        flag.save()
        change = audit.record(project=flag.project, flag=flag, action="updated", source=source, actor=actor,
                              before=before, after=after, reason=(reason or "").strip())
        _publish_on_commit(flag.project_id, project_environments(flag.project_id), flag.key, change)
    return change


def _check_states_use_variants(flag: Flag) -> None:
    for state in flag.environments.all():
        try:
            validate_state({"default_variant": state.default_variant, "rules": state.rules, "weights": state.weights},
                           flag.variants)
        except InvalidChange as exc:
            raise InvalidChange(f"{state.environment}: {exc} (change that environment first)") from None


def _check_dependants_use_variants(flag: Flag) -> None:
    for dependant in Flag.objects.filter(project_id=flag.project_id).exclude(pk=flag.pk):
        for prerequisite in dependant.prerequisites or []:
            missing = set(prerequisite["variants"]) - set(flag.variants) if prerequisite["key"] == flag.key else set()
            if missing:
                raise InvalidChange(f"{dependant.key} requires {flag.key} to serve {', '.join(sorted(missing))}: "
                                    "change its prerequisites first")


def _check_segments_exist(project_id: int, state: dict) -> None:
    wanted = segment_keys(state.get("rules") or [])
    known = set(Segment.objects.filter(project_id=project_id, key__in=wanted).values_list("key", flat=True))
    if wanted - known:
        raise InvalidChange(f"no such segment: {', '.join(sorted(wanted - known))}")


def update_environment(flag: Flag, environment: str, changes: dict, *, actor, source: str, reason: str = "",
                       actor_label: str = "", approved: bool = False) -> FlagChange | None:
    """Changes the flag's state in one environment: enabled, default variant, rollout, weights,
    rules, allow and deny lists, guard. Flipping `enabled` needs a reason. None when nothing
    changed. ApprovalRequired (an InvalidChange) when it widens the flag where the project needs
    approval, unless `approved` (flags.approvals and approved schedules pass it)."""
    validate_environment(environment)
    cleaned = validate_state(changes, flag.variants)
    _check_segments_exist(flag.project_id, cleaned)
    reason = (reason or "").strip()
    with transaction.atomic():
        state = FlagEnvironment.objects.select_for_update().filter(flag=flag, environment=environment).first()
        before = audit.state_snapshot(state)
        if state is None:
            default = next(v for v in flag.variants if v != flag.off_variant)
            state = FlagEnvironment(flag=flag, environment=environment, default_variant=default)
        was_enabled = state.enabled
        for field, value in cleaned.items():
            setattr(state, field, value)
        if "weights" in cleaned:
            state.allocation = weights.reallocate(state.allocation, state.weights)
        after = audit.state_snapshot(state)
        if after == before:
            return None
        if not approved:
            policy.check_not_held(flag, environment, before, after)
        if state.enabled != was_enabled:
            _require_reason(reason, "enable" if state.enabled else "disable")
            action = "enabled" if state.enabled else "disabled"
        else:
            action = "state_changed"
        now = timezone.now()
        state.updated_at = now
        state.save()
        _touch(flag, now)
        change = audit.record(project=flag.project, flag=flag, action=action, source=source, actor=actor,
                              actor_label=actor_label, environment=environment, before=before, after=after,
                              reason=reason)
        _publish_on_commit(flag.project_id, [environment], flag.key, change)
    return change


def disable_flag(flag: Flag, environment: str, *, actor, reason: str, source: str,
                 actor_label: str = "") -> FlagChange | None:
    """The kill switch: turns the flag off in the environment, audited and propagated.

    Idempotent: a flag already off there (or with no state there) returns None and writes no
    audit row. A blank reason raises InvalidChange (a ValueError).
    """
    reason = _require_reason(reason, "disable")
    if not FlagEnvironment.objects.filter(flag=flag, environment=environment, enabled=True).exists():
        return None
    return update_environment(flag, environment, {"enabled": False}, actor=actor, source=source,
                              reason=reason, actor_label=actor_label)


def enable_flag(flag: Flag, environment: str, *, actor, reason: str, source: str,
                actor_label: str = "") -> FlagChange | None:
    """Turns the flag on in the environment (creating its state there if needed), with a reason.
    None when it was already on."""
    reason = _require_reason(reason, "enable")
    return update_environment(flag, environment, {"enabled": True}, actor=actor, source=source,
                              reason=reason, actor_label=actor_label)


def delete_flag(flag: Flag, *, actor, source: str, reason: str = "") -> FlagChange:
    """Deletes the flag; its audit history stays (rows keep the key, lose the link). Refused while
    other flags require it (their prerequisites would silently fail)."""
    needed_by = dependants(flag.project_id, flag.key)
    if needed_by:
        raise InvalidChange(f"{', '.join(needed_by)} require{'s' if len(needed_by) == 1 else ''} {flag.key}: "
                            "remove the prerequisite first")
    with transaction.atomic():
        before = {**audit.flag_snapshot(flag), "environments": {
            s.environment: audit.state_snapshot(s) for s in flag.environments.all()}}
        change = audit.record(project=flag.project, flag=None, flag_key=flag.key, action="deleted", source=source,
                              actor=actor, before=before, reason=(reason or "").strip())
        key, project_id = flag.key, flag.project_id
        flag.delete()
        _publish_on_commit(project_id, project_environments(project_id), key, change)
    return change


def change_flag(flag: Flag, *, fields: dict, states: dict[str, dict], actor, source: str,
                reason: str = "") -> list[FlagChange]:
    """update_flag, then update_environment for each environment: all of it, or none of it
    (the REST API's PATCH and the admin's save)."""
    made = []
    with transaction.atomic():
        if fields:
            made.append(update_flag(flag, fields, actor=actor, source=source, reason=reason))
            flag.refresh_from_db()
        for environment, state in states.items():
            made.append(update_environment(flag, environment, state, actor=actor, source=source, reason=reason))
    return [change for change in made if change is not None]
